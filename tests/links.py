"""Follow the links a list page renders (next page, CSV/XLSX), as a user's click would."""

from __future__ import annotations

import csv
import html
import io
import re
from urllib.parse import urljoin

_ANCHOR = re.compile(r'<a\b[^>]*href="([^"]*)"[^>]*>(.*?)</a>', re.S)


def link_href(page_url: str, content: str, text: str) -> str:
    """The absolute URL of the first link whose text contains `text` (fails if there is none)."""
    for href, inner in _ANCHOR.findall(content):
        if text in re.sub(r"<[^>]+>", "", inner):
            href = html.unescape(href)
            assert "??" not in href, href
            return urljoin(page_url, href)
    raise AssertionError(f"no link {text!r} on {page_url}")


def csv_rows(response) -> list[list[str]]:
    """Rows of a semicolon CSV download, header first."""
    assert response["Content-Type"].startswith("text/csv"), response["Content-Type"]
    text = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
