"""What the crawler asserts about each answer.

- no 5xx; a link, form or redirect rendered to a role answers that role (no
  400/403/404/405): a page a role is shown must work for it;
- a download answers with its real content type (and the bytes start like
  one): the type is read from the URL (`.csv`, `.xlsx`, `.pdf`, `.ics` or
  `?format=csv|xlsx|pdf`);
- every HTML document is `<html lang="id">` and shows no English interface
  text, even though the crawler's browser asks for English: no text node or
  label equals an English translation from our catalogue (the msgstrs of
  `locale/en` that differ from their Indonesian msgid) or an English msgid of
  Django's own catalogue that Django translates into Indonesian; longer English
  sentences (four words or more) are also found inside longer text.
"""

from __future__ import annotations

import functools
import gettext
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

import django
from django.conf import settings
from django.http import HttpResponse

if TYPE_CHECKING:
    from tests.crawler.engine import Finding, Link, PageParser

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOWNLOADS = {
    "csv": ("text/csv", None),
    "xlsx": (XLSX, b"PK"),
    "pdf": ("application/pdf", b"%PDF"),
    "ics": ("text/calendar", b"BEGIN:VCALENDAR"),
}

# Words that are the same in both languages, so an English msgstr that equals
# them says nothing about the page's language. Each with its reason.
SHARED_WORDS = {
    "Total": "Indonesian uses 'Total' too",
    "Status": "Indonesian uses 'Status' too",
    "Filter": "Indonesian uses 'Filter' too",
    "Email": "Indonesian uses 'Email' too",
    "No.": "'No.' (nomor) is Indonesian too",
    "OK": "the same in both languages",
    "Detail": "Indonesian uses 'Detail' too",
}


def expected_download(url: str) -> str | None:
    """The download kind a URL promises, if any."""
    parts = urlsplit(url)
    suffix = parts.path.rsplit(".", 1)[-1].lower() if "." in parts.path.rsplit("/", 1)[-1] else ""
    if suffix in DOWNLOADS:
        return suffix
    fmt = dict(parse_qsl(parts.query)).get("format", "").lower()
    return fmt if fmt in DOWNLOADS else None


def _body_start(response: HttpResponse) -> bytes:
    if getattr(response, "streaming", False):
        chunks = b""
        for chunk in response.streaming_content:  # type: ignore[attr-defined]
            chunks += chunk
            if len(chunks) >= 64:
                break
        return chunks[:64]
    return response.content[:64]


def check_response(link: Link, response: HttpResponse) -> list[Finding]:
    from tests.crawler.engine import Finding

    findings = []
    status = response.status_code
    if status >= 500:
        findings.append(Finding("server-error", link.url, f"answered {status}", link.source))
    elif status >= 400 and link.how != "start":
        findings.append(
            Finding("link-refused", link.url, f"shown to this role as {link.how} but answered {status}", link.source)
        )
    if status != 200:
        return findings
    kind = expected_download(link.url)
    if kind is not None:
        content_type, magic = DOWNLOADS[kind]
        got = response.get("Content-Type", "")
        if not got.startswith(content_type):
            findings.append(Finding("download-type", link.url, f"expected {content_type}, got {got!r}", link.source))
        elif magic is not None and not _body_start(response).lstrip(b"\xef\xbb\xbf").startswith(magic):
            findings.append(Finding("download-type", link.url, f"body does not start like {kind}", link.source))
    return findings


@functools.cache
def english_texts() -> tuple[frozenset[str], tuple[str, ...]]:
    """(English interface strings, the long ones searched inside text)."""
    ours = gettext.GNUTranslations(open(Path(settings.BASE_DIR) / "locale/en/LC_MESSAGES/django.mo", "rb"))
    catalogue: dict = ours._catalog  # type: ignore[attr-defined]
    indonesian = {k for k in catalogue if isinstance(k, str)}
    english = {v for k, v in catalogue.items() if isinstance(k, str) and k and v != k}
    django_id = Path(django.__file__).parent / "conf/locale/id/LC_MESSAGES/django.mo"
    theirs: dict = gettext.GNUTranslations(open(django_id, "rb"))._catalog  # type: ignore[attr-defined]
    english |= {k for k, v in theirs.items() if isinstance(k, str) and k and v != k}
    placeholder = re.compile(r"%|\{")
    words = frozenset(
        " ".join(t.split())
        for t in english
        if not placeholder.search(t) and t not in indonesian and t not in SHARED_WORDS and re.search(r"[A-Za-z]", t)
    )
    long = tuple(sorted(t for t in words if len(t.split()) >= 4))
    return words, long


def check_html(link: Link, response: HttpResponse, parser: PageParser) -> list[Finding]:
    from tests.crawler.engine import Finding

    findings = []
    if parser.saw_html and parser.html_lang != "id":
        findings.append(Finding("not-indonesian", link.url, f'<html lang="{parser.html_lang}">', link.source))
    words, long = english_texts()
    texts = parser.texts + parser.attr_texts
    found = sorted({t for t in texts if t in words or t.rstrip(":") in words})
    joined = "\n".join(texts)
    found += [t for t in long if t in joined and t not in found]
    if found:
        shown = "; ".join(repr(t) for t in found[:5])
        findings.append(Finding("english-text", link.url, f"{len(found)} English strings: {shown}", link.source))
    return findings


def check_refusal(url: str, response: HttpResponse, parser: PageParser | None) -> list[Finding]:
    """A 403/404 a role meets is the portal's own page: Indonesian, with the menu and a way back."""
    from tests.crawler.engine import Finding

    if response.get("Content-Type", "").startswith("application/json"):
        return []  # the open-data API answers in JSON
    if parser is None or not parser.saw_html:
        return [Finding("bare-error-page", url, f"{response.status_code} is not an HTML page of the portal")]
    findings = []
    if "mainnav" not in parser.ids:
        findings.append(Finding("bare-error-page", url, f"{response.status_code} page has no navigation"))
    if "error-page" not in parser.testids:
        findings.append(Finding("bare-error-page", url, f"{response.status_code} is not the portal's error page"))
    return findings
