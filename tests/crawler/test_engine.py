"""The crawler's own rules, on hand-made pages (no demo data needed)."""

from __future__ import annotations

import pytest
from django.http import HttpResponse

from tests.crawler.checks import check_html, check_refusal, check_response, expected_download
from tests.crawler.engine import Link, PageParser, malformed


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("??page=2", "two question marks"),
        ("/upk/1/pinjaman/??format=csv", "two question marks"),
        ("/upk/None/", "'None' rendered into the URL"),
        ("/bkm/?kecamatan=None", "'None' rendered into the URL"),
        ("/bkm/{{ pk }}/", "unrendered template syntax"),
        ("", "empty href"),
        ("/bkm/?a=1&&b=2", "an empty query parameter"),
    ],
)
def test_malformed_names_the_defect(url, why):
    assert malformed(url) == why


@pytest.mark.parametrize("url", ["?page=2", "/upk/1/pinjaman/?status=macet&page=2", "#reply", "/forum/topik/9/"])
def test_malformed_accepts_good_urls(url):
    assert malformed(url) is None


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("/bkm/ekspor.csv?kecamatan=1", "csv"),
        ("/upk/1/neraca/?as_of=2026-01-31&format=xlsx", "xlsx"),
        ("/upk/angsuran/5/kuitansi.pdf", "pdf"),
        ("/forum/pertemuan/kalender.ics", "ics"),
        ("/upk/1/neraca/", None),
    ],
)
def test_expected_download_reads_the_url(url, kind):
    assert expected_download(url) == kind


def test_export_answering_html_is_a_finding():
    """The UPK exports' '??format=csv' reloaded the HTML page instead of downloading."""
    link = Link("/upk/1/pinjaman/?format=csv", "/upk/1/pinjaman/", "a")
    findings = check_response(link, HttpResponse("<html></html>", content_type="text/html"))
    assert [f.rule for f in findings] == ["download-type"]
    assert not check_response(link, HttpResponse("a;b\n", content_type="text/csv"))


def test_refused_link_is_a_finding():
    link = Link("/laporan/dasbor/", "/", "a")
    assert [f.rule for f in check_response(link, HttpResponse(status=403))] == ["link-refused"]
    assert [f.rule for f in check_response(link, HttpResponse(status=500))] == ["server-error"]


def _parse(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    return parser


def test_english_page_is_found():
    page = _parse('<html lang="en"><body><a href="/">Log in</a><button aria-label="Close">x</button></body></html>')
    rules = sorted(f.rule for f in check_html(Link("/", "", "start"), HttpResponse(), page))
    assert rules == ["english-text", "not-indonesian"]


def test_indonesian_page_passes():
    page = _parse(
        '<html lang="id"><body><a href="/">Masuk</a><p>Total 3</p><script>var x="Log in"</script></body></html>'
    )
    assert check_html(Link("/", "", "start"), HttpResponse(), page) == []


def test_bare_error_page_is_a_finding():
    bare = _parse('<!doctype html><html lang="en"><body><h1>403 Forbidden</h1></body></html>')
    assert {f.rule for f in check_refusal("/x/", HttpResponse(status=403), bare)} == {"bare-error-page"}
    ours = _parse('<html lang="id"><nav><div id="mainnav"></div></nav><div data-testid="error-page"></div></html>')
    assert check_refusal("/x/", HttpResponse(status=403), ours) == []


def test_get_forms_are_submitted_with_their_rendered_values():
    page = _parse(
        '<form method="get" action="/upk/1/pinjaman/"><input name="q" value="budi">'
        '<select name="status"><option value="">Semua</option><option value="macet" selected>Macet</option></select>'
        '<input type="checkbox" name="x" value="1"><button name="go">Cari</button></form>'
        '<form method="post" action="/keluar/"><input name="a" value="b"></form>'
    )
    assert len(page.forms) == 1
    assert page.forms[0].action == "/upk/1/pinjaman/"
    assert page.forms[0].fields == [("q", "budi"), ("status", "macet")]
