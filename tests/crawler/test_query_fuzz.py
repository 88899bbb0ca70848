"""Hostile values in every GET parameter of every crawled page, as each role: never a 5xx (issue 13).

Nothing here lists pages or parameters: they come from the crawl of the demo city (`crawl_as`, shared
with `test_crawler.py` through the package-scoped `demo_city`): every URL a role was shown — links,
`hx-get`, the GET forms submitted with their rendered values, filter forms — gives its url name and
its query parameters. For each url name a role reached (200), each parameter seen on that url name
(by any role) is replaced, in a URL of that page the role was shown, by hostile values chosen by the
parameter's type (read from the values the pages render): NUL bytes, a very long string, negative and
huge numbers, years -1 and 99999, malformed dates, unicode (and "²", which `str.isdigit()` accepts and
`int()` refuses), SQL-ish text, a repeated key, empty. Then every parameter name of the crawl is sent
at once to every page reached, for parameters a view reads that no page renders.

Every answer is below 500, and a 4xx that is an HTML page is the portal's own error page (menu,
`error-page`), as for the crawler's refusals. The values of one parameter are spread over the roles
that reach the page (each value is sent once per page and parameter, by one of them) and the
sharpest values are sent by every role, which keeps the whole run to a couple of minutes.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from tests.crawler.checks import check_refusal
from tests.crawler.engine import ADMIN_PREFIX, Crawler, Finding, PageParser, url_name
from tests.crawler.test_crawler import ROLES, client_for, crawl_as, unexcused

# Sent for every parameter, whatever its type.
COMMON = [
    "\x00",
    "2024\x00",
    "x" * 4000,
    "",
    " ",
    "' OR 1=1 --",
    "\u202e\U0001f600 Palangkaraya é ĳ",
    "%",
    "[]",
    "-1",
    "99999",
    "\u00b2",  # passes str.isdigit(), refused by int()
]
# Sent in addition, by the type the rendered values show.
BY_TYPE = {
    "int": [
        "0",
        "-99999999999999999999",
        "99999999999999999999",
        "1e9",
        "NaN",
        "1.5",
        "\uff12\uff10",
        "\u0663",
        "0x10",
    ],
    "date": ["-1-01-01", "99999-01-01", "0000-00-00", "2024-02-30", "0001-01-01", "9999-12-31", "31-12-2024"],
    "month": ["2024-13", "0000-00", "-1-01", "99999-12", "2024-1-1"],
    "text": ["0", "<script>", "..%2f..%2fetc", "\uff21", "1,2"],
}
# Sent by every role that reaches the page (the others go to one role each).
SHARP = ["\x00", "-1", "99999"]
INT = re.compile(r"^-?\d+$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONTH = re.compile(r"^\d{4}-\d{2}$")


def _type(values: set[str]) -> str:
    shown = {v for v in values if v != ""}
    for kind, pattern in (("int", INT), ("date", DATE), ("month", MONTH)):
        if shown and all(pattern.match(v) for v in shown):
            return kind
    return "text"


def _pages() -> tuple[dict[str, dict[str, str]], dict[str, dict[str, set[str]]], dict[str, dict[str, str]]]:
    """From every role's crawl: (role -> url name -> a URL of it the role opened (200)),
    (url name -> parameter -> values rendered), (role -> url name -> parameter -> a URL shown with it)."""
    reached: dict[str, dict[str, str]] = defaultdict(dict)
    params: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    with_param: dict[str, dict[str, str]] = defaultdict(dict)
    for role in ROLES:
        result = crawl_as(role).result
        for visit in result.visits:
            name = url_name(visit.url)
            if name and visit.status == 200 and not visit.url.startswith(ADMIN_PREFIX):
                reached[role].setdefault(name, visit.url)
        for url in sorted(result.rendered | {v.url for v in result.visits}):
            name = url_name(url)
            if not name or url.startswith(ADMIN_PREFIX):
                continue
            for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
                params[name][key].add(value)
                with_param[role].setdefault(f"{name}?{key}", url)
    return reached, params, with_param


def _hostile(url: str, key: str, value: str | list[str]) -> str:
    """`url` with parameter `key` set to `value` (a list: the key repeated)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != key]
    query += [(key, v) for v in (value if isinstance(value, list) else [value])]
    return parts.path + "?" + urlencode(query)


def _check(crawler: Crawler, url: str, findings: list[Finding], *, signed_in: bool) -> None:
    response = crawler.fetch(url)
    shown = re.sub(r"x{100,}", lambda m: f"x…({len(m.group())})", url)
    if response.status_code >= 500:
        findings.append(Finding("server-error", shown, f"answered {response.status_code}"))
    elif 400 <= response.status_code < 500 and response.get("Content-Type", "").startswith("text/html"):
        parser = PageParser()
        parser.feed(response.content.decode(response.charset or "utf-8", "replace"))
        for f in check_refusal(url, response, parser):  # type: ignore[arg-type]
            # A visitor who is not signed in has no menu on any page (base.html): the error page is enough.
            if signed_in or "navigation" not in f.detail:
                findings.append(Finding(f.rule, shown, f.detail))


@pytest.mark.django_db
def test_every_get_parameter_of_every_page_refuses_hostile_values(demo_city):
    started = time.monotonic()
    reached, params, with_param = _pages()
    crawled = time.monotonic()
    findings: dict[str, list[Finding]] = defaultdict(list)
    sent = 0
    pairs = []
    crawlers: dict[str, Crawler] = {}

    def send(role: str, url: str) -> None:
        nonlocal sent
        if role not in crawlers:  # a new session: the crawl's was rolled back with its test
            crawlers[role] = Crawler(client_for(role))
        _check(crawlers[role], url, findings[role], signed_in=role != "anonim")
        sent += 1

    for name in sorted(params):
        roles = [role for role in ROLES if name in reached[role]]
        for key in sorted(params[name]):
            pairs.append(f"{name}?{key}")
            values: list[str | list[str]] = [*COMMON, *BY_TYPE[_type(params[name][key])]]
            shown = sorted(params[name][key])
            values.append([shown[0] if shown else "1", "-1"])  # the key twice, a good value first
            values.append([""] * 3)
            for i, role in enumerate(roles):
                url = with_param[role].get(f"{name}?{key}", reached[role][name])
                for j, value in enumerate(values):
                    if j % len(roles) == i or value in SHARP:
                        send(role, _hostile(url, key, value))
    # Parameters a view may read without any page rendering them: every parameter name of the crawl
    # at once, on every page reached, by the first role reaching it.
    every = sorted({key for keys in params.values() for key in keys})
    names = sorted({name for pages in reached.values() for name in pages})
    for name in names:
        role = next(role for role in ROLES if name in reached[role])
        for value in ("-1", "99999", "2024-02-30", "x" * 300, "\u00b2"):
            send(role, urlsplit(reached[role][name]).path + "?" + urlencode(dict.fromkeys(every, value)))
    left = {role: unexcused(found, role) for role, found in findings.items()}
    report = "\n".join(f"[{role}] {f}" for role, found in left.items() for f in found)
    print(
        f"\nfuzzed {len(pairs)} (url name, parameter) pairs on {len(params)} url names and {len(every)} parameters "
        f"at once on {len(names)} url names: {sent} requests, {time.monotonic() - crawled:.1f} s "
        f"(+ {crawled - started:.1f} s crawling)\n" + " ".join(pairs)
    )
    assert not report, report
