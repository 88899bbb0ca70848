"""The crawler: follows what a role is shown and checks every answer.

It starts at "/" with Django's test Client logged in as one user, and follows
every `<a href>`, every `hx-get`, every redirect and every GET form (submitted
with the values it is rendered with) on every HTML page it reaches. URLs are
grouped by what they are (the url name `resolve()` gives the path, plus the
names of the query parameters), and at most `per_kind` URLs of each group are
fetched, so a list of 300 loans costs as much as a list of three.

The checks (each failure is a `Finding`, see `checks.py` for the rules) run on
every answer; pages to run axe-core on are collected one per url name.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.http import HttpResponse
from django.test import Client
from django.urls import Resolver404, resolve

# Paths the crawler never fetches: files (static, media served by the web
# server) and Django's admin, which is Django's own interface (crawled
# separately with a tighter bound, see `ADMIN_PREFIX`).
STATIC_PREFIXES = ("/static/", "/media/")
ADMIN_PREFIX = "/admin/"

# An English-speaking browser: the portal must stay Indonesian anyway.
BROWSER_HEADERS = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9", "HTTP_USER_AGENT": "pokja-crawler"}


@dataclass
class Link:
    """One URL as rendered on a page."""

    url: str  # as written in the attribute, unescaped by the parser
    source: str  # the page it was found on
    how: str  # "a", "hx-get", "form", "redirect", "start"


@dataclass
class Form:
    action: str
    fields: list[tuple[str, str]]


class PageParser(HTMLParser):
    """Collects what the crawler needs from one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.html_lang: str | None = None
        self.saw_html = False
        self.links: list[tuple[str, str]] = []  # (how, url)
        self.ids: set[str] = set()
        self.testids: set[str] = set()
        self.forms: list[Form] = []
        self.texts: list[str] = []
        self.attr_texts: list[str] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_value: str | None = None
        self._select_first: str | None = None
        self._option_value: str | None = None
        self._skip = 0  # inside <script>/<style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "html":
            self.saw_html = True
            self.html_lang = a.get("lang")
        if "id" in a:
            self.ids.add(a["id"])
        if "data-testid" in a:
            self.testids.add(a["data-testid"])
        for name in ("title", "aria-label", "placeholder", "alt"):
            if a.get(name):
                self.attr_texts.append(a[name])
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "a" and "href" in a:
            self.links.append(("a", a["href"]))
        if "hx-get" in a:
            self.links.append(("hx-get", a["hx-get"]))
        if tag == "form":
            method = a.get("method", "get").lower()
            self._form = Form(action=a.get("action", ""), fields=[]) if method == "get" else None
            if self._form is not None:
                self.forms.append(self._form)
        if self._form is None:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "image", "reset", "file"):
                self._form.fields.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select, self._select_value, self._select_first = name, None, None
        elif tag == "option" and self._select is not None:
            self._option_value = a.get("value")
            if self._option_value is not None:
                if self._select_first is None:
                    self._select_first = self._option_value
                if "selected" in a:
                    self._select_value = self._option_value
        elif tag == "textarea" and name:
            self._form.fields.append((name, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if tag == "select" and self._select is not None and self._form is not None:
            value = self._select_value if self._select_value is not None else (self._select_first or "")
            self._form.fields.append((self._select, value))
            self._select = None
        if tag == "form":
            self._form = None

    def handle_data(self, data: str) -> None:
        if not self._skip:
            text = " ".join(data.split())
            if text:
                self.texts.append(text)


def url_kind(url: str) -> str | None:
    """What a URL is: its url name and the names of its query parameters.

    None when the path resolves to nothing.
    """
    parts = urlsplit(url)
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    keys = sorted({k for k, _v in parse_qsl(parts.query, keep_blank_values=True)})
    return match.view_name + ("?" + "&".join(keys) if keys else "")


def url_name(url: str) -> str | None:
    try:
        return resolve(urlsplit(url).path).view_name
    except Resolver404:
        return None


@dataclass
class Visit:
    url: str
    status: int
    content_type: str
    link: Link
    parsed: PageParser | None = None


@dataclass
class Finding:
    rule: str
    url: str
    detail: str
    source: str = ""

    def __str__(self) -> str:
        where = f" (linked from {self.source})" if self.source else ""
        return f"[{self.rule}] {self.url}{where}: {self.detail}"


@dataclass
class CrawlResult:
    visits: list[Visit] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # url name -> first HTML page of that name answered 200 (for axe-core)
    pages_for_axe: dict[str, str] = field(default_factory=dict)
    names_reached: set[str] = field(default_factory=set)
    rendered: set[str] = field(default_factory=set)  # every internal URL shown to this role


MALFORMED = [
    (re.compile(r"\?\?"), "two question marks"),
    (re.compile(r"\?.*\?"), "a second question mark in the query"),
    (re.compile(r"(^|/)None(/|$|\?)|=None(&|$)"), "'None' rendered into the URL"),
    (re.compile(r"\{\{|\{%|%\}|\}\}"), "unrendered template syntax"),
    (re.compile(r"\s"), "whitespace in the URL"),
    (re.compile(r"&&|\?&"), "an empty query parameter"),
]


def malformed(url: str) -> str | None:
    if url.strip() == "":
        return "empty href"
    for pattern, why in MALFORMED:
        if pattern.search(url):
            return why
    return None


class Crawler:
    def __init__(
        self,
        client: Client,
        *,
        per_kind: int = 2,
        admin_per_name: int = 1,
        max_visits: int = 2000,
        skip: Callable[[str], bool] = lambda url: False,
    ) -> None:
        self.client = client
        self.skip = skip
        self.per_kind = per_kind
        self.admin_per_name = admin_per_name
        self.max_visits = max_visits
        self.result = CrawlResult()
        self._seen: set[str] = set()
        self._kind_counts: dict[str, int] = {}
        self._queue: deque[Link] = deque()

    # --- scheduling ----------------------------------------------------------

    def _enqueue(self, link: Link) -> None:
        url = link.url
        parts = urlsplit(url)
        if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "testserver"):
            return  # mailto:, tel:, other sites
        path_and_query = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.path.startswith(STATIC_PREFIXES):
            return
        self.result.rendered.add(path_and_query)
        if path_and_query in self._seen or self.skip(path_and_query):
            return
        kind = url_kind(path_and_query)
        if kind is None:
            self._seen.add(path_and_query)
            self.result.findings.append(Finding("link-to-nowhere", path_and_query, "resolves to no view", link.source))
            return
        bound = self.admin_per_name if parts.path.startswith(ADMIN_PREFIX) else self.per_kind
        if parts.path.startswith(ADMIN_PREFIX):
            kind = kind.split("?")[0]
        if self._kind_counts.get(kind, 0) >= bound:
            return
        self._kind_counts[kind] = self._kind_counts.get(kind, 0) + 1
        self._seen.add(path_and_query)
        self._queue.append(Link(path_and_query, link.source, link.how))

    def _collect(self, page_url: str, parser: PageParser) -> None:
        for how, raw in parser.links:
            why = malformed(raw)
            if why is not None and not (raw == "" and how == "hx-get"):
                self.result.findings.append(Finding("malformed-url", raw or "(empty)", why, page_url))
                continue
            if raw.startswith("#"):
                if raw != "#" and raw[1:] not in parser.ids:
                    self.result.findings.append(Finding("broken-anchor", raw, "no element with this id", page_url))
                continue
            self._enqueue(Link(urljoin(page_url, raw.split("#")[0]), page_url, how))
        for form in parser.forms:
            action = urljoin(page_url, form.action or page_url)
            action_parts = urlsplit(action)
            query = urlencode(form.fields)
            self._enqueue(Link(action_parts.path + (f"?{query}" if query else ""), page_url, "form"))

    def _collect_json(self, page_url: str, data: object) -> None:
        """The open-data API links its pages and objects with absolute URLs."""
        if isinstance(data, dict):
            for value in data.values():
                self._collect_json(page_url, value)
        elif isinstance(data, list):
            for value in data[:3]:
                self._collect_json(page_url, value)
        elif isinstance(data, str) and data.startswith("http://testserver/"):
            self._enqueue(Link(data, page_url, "json"))

    # --- fetching ------------------------------------------------------------

    def crawl(self, *starts: str) -> CrawlResult:
        for start in starts or ("/",):
            self._enqueue(Link(start, "", "start"))
        while self._queue and len(self.result.visits) < self.max_visits:
            self.visit(self._queue.popleft())
        return self.result

    def fetch(self, url: str) -> HttpResponse:
        return self.client.get(url, **BROWSER_HEADERS)  # type: ignore[return-value]

    def probe(self, url: str) -> Visit:
        """Fetch a URL this role was not shown (another role was): any of
        200, a redirect, 403 or 404 may be right, but never a 5xx, and a
        refusal is the portal's own Indonesian page with the menu."""
        from tests.crawler import checks

        response = self.fetch(url)
        visit = Visit(url, response.status_code, response.get("Content-Type", ""), Link(url, "", "probe"))
        self.result.visits.append(visit)
        if response.status_code >= 500:
            self.result.findings.append(Finding("server-error", url, f"answered {response.status_code}"))
        if response.get("Content-Type", "").startswith("text/html") and not getattr(response, "streaming", False):
            parser = PageParser()
            parser.feed(response.content.decode(response.charset or "utf-8", "replace"))
            visit.parsed = parser
            self.result.findings.extend(checks.check_html(visit.link, response, parser))
        if response.status_code in (403, 404):
            self.result.findings.extend(checks.check_refusal(url, response, visit.parsed))
        return visit

    def visit(self, link: Link) -> Visit:
        from tests.crawler import checks

        response = self.fetch(link.url)
        content_type = response.get("Content-Type", "")
        visit = Visit(link.url, response.status_code, content_type, link)
        self.result.visits.append(visit)
        name = url_name(link.url)
        if name is not None and response.status_code < 400:
            self.result.names_reached.add(name)
        if response.status_code in (301, 302, 303, 307, 308):
            location = response["Location"]
            why = malformed(location)
            if why is not None:
                self.result.findings.append(Finding("malformed-url", location, f"redirect: {why}", link.url))
            else:
                self._enqueue(Link(urljoin(link.url, location), link.url, "redirect"))
            return visit
        self.result.findings.extend(checks.check_response(link, response))
        if content_type.startswith("application/json") and response.status_code == 200:
            self._collect_json(link.url, json.loads(response.content))
        if content_type.startswith("text/html") and not getattr(response, "streaming", False):
            parser = PageParser()
            parser.feed(response.content.decode(response.charset or "utf-8", "replace"))
            visit.parsed = parser
            self.result.findings.extend(checks.check_html(link, response, parser))
            if (
                response.status_code == 200
                and parser.saw_html
                and name is not None
                and name not in self.result.pages_for_axe
                and not link.url.startswith(ADMIN_PREFIX)
            ):
                self.result.pages_for_axe[name] = link.url
            self._collect(link.url, parser)
        return visit
