"""The public-data leak test: every public page, crawled as a visitor who is not signed in, on the demo
city, carries none of the demo data's NIKs, phone numbers, e-mail addresses, addresses, borrower
(KSM member) names or KSM names. The values are read from the database after seeding, not listed here.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from bkm.models import BKM, OPD, BoardMember, UnitPerson
from core.models import User
from upk.models import KSM, KSMMember

HREF = re.compile(r"""(?:href|src|data-map-src)="([^"#]+)""")
PUBLIC_STARTS = ("/", "/publik/", "/api/kawasan-kumuh/", "/api/kawasan-kumuh/?format=geojson", "/api/rplp/")


def _secrets() -> dict[str, set[str]]:
    """The personal values of the demo data, by kind (blank ones left out)."""
    board_names = set(BoardMember.objects.filter(is_active=True).values_list("name", flat=True))
    values: dict[str, set[str]] = {
        "NIK": set(BoardMember.objects.values_list("nik", flat=True))
        | set(KSMMember.objects.values_list("nik", flat=True)),
        "telepon": set(BKM.objects.values_list("phone", flat=True))
        | set(BoardMember.objects.values_list("phone", flat=True))
        | set(UnitPerson.objects.values_list("phone", flat=True))
        | set(OPD.objects.values_list("phone", flat=True))
        | set(User.objects.values_list("phone", flat=True)),
        "e-mail": set(BKM.objects.values_list("email", flat=True)) | set(User.objects.values_list("email", flat=True)),
        "alamat": set(BKM.objects.values_list("address", flat=True))
        | set(KSMMember.objects.values_list("address", flat=True)),
        # A borrower who is also on a BKM's current board is public as a board member, not as a borrower.
        "peminjam": set(KSMMember.objects.values_list("name", flat=True)) - board_names,
        "KSM": set(KSM.objects.values_list("name", flat=True)),
    }
    out = {}
    for kind, found in values.items():
        found = {v.strip() for v in found if v and v.strip()}
        if kind == "telepon":
            found |= {re.sub(r"\D", "", v) for v in found}
        out[kind] = {v for v in found if len(v) >= 6}
    return out


def _crawl(client: Client) -> dict[str, str]:
    pages: dict[str, str] = {}
    queue = list(PUBLIC_STARTS)
    while queue:
        url = queue.pop()
        if url in pages:
            continue
        response = client.get(url)
        assert response.status_code == 200, f"{url}: HTTP {response.status_code}"
        assert not getattr(response, "streaming", False) or "unduh" in url
        if getattr(response, "streaming", False):
            pages[url] = b"".join(response.streaming_content).decode("latin-1")
            continue
        body = response.content.decode()
        pages[url] = body
        for link in HREF.findall(body):
            target = urljoin(url, link.replace("&amp;", "&"))
            parts = urlsplit(target)
            if parts.netloc or parts.path.startswith("/static/"):
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if parts.path.startswith("/publik/") or parts.path.startswith("/api/kawasan-kumuh/"):
                queue.append(path)
    return pages


@pytest.mark.django_db
def test_public_pages_leak_no_personal_data(demo_city):
    secrets = _secrets()
    assert secrets["NIK"] and secrets["telepon"] and secrets["e-mail"] and secrets["peminjam"] and secrets["KSM"]
    pages = _crawl(Client())
    kinds = {urlsplit(u).path.split("/")[2] if u.startswith("/publik/") else u for u in pages}
    # Every kind of public page was reached: overview, BKM pages, UPK bands, map data, a published document.
    assert {"bkm", "upk", "peta.json", "dokumen"} <= kinds, sorted(kinds)
    assert sum(1 for u in pages if u.startswith("/publik/bkm/")) == BKM.objects.count()
    leaks = [
        f"{kind} {value!r} on {url}"
        for url, body in pages.items()
        for kind, values in secrets.items()
        for value in values
        if value in body
    ]
    assert not leaks, "\n".join(leaks[:20])
