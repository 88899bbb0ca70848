"""The self-service submissions list (`bkm:submissions`): its FilterSet and its CSV/XLSX exports.
The exports are fetched through the links the page renders, so page and download share one query string."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from bkm import services
from tests.bkm.test_self_service import MEASURE, _draft, _pdf
from tests.factories import SlumAreaFactory

pytestmark = pytest.mark.django_db


def _title_list(response) -> list[str]:
    html = response.content.decode()
    table = html[html.index('data-testid="submission-table"') :]
    return sorted(unescape(t) for t in re.findall(r'<td><a href="[^"]+">([^<]+)</a>', table))


def _titles(response) -> set[str]:
    return set(_title_list(response))


def _export_href(response, fmt: str) -> str:
    match = re.search(rf'href="([^"]+)" data-testid="export-{fmt}"', response.content.decode())
    assert match, f"no {fmt} export link on the page"
    return unescape(match.group(1))


def _csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def _xlsx_rows(response) -> list[list[object]]:
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content), read_only=True).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


@pytest.fixture
def mixed(bkm, other_bkm, coordinator, other_coordinator, pdf_bytes):
    """Of `bkm`: a draft proposal (hostile title), a proposal waiting, an LPJ waiting, a measure update waiting.
    Of `other_bkm`: one LPJ waiting."""
    _draft(bkm, coordinator, title='=HYPERLINK("http://x")', year=2026)
    waiting = _draft(bkm, coordinator, title="Drainase menunggu", year=2027)
    services.proposal_transition(proposal_id=waiting.pk, to_status="diajukan", actor=coordinator)
    services.lpj_submit(bkm=bkm, year=2025, upload=_pdf(pdf_bytes), actor=coordinator)
    area = SlumAreaFactory(kelurahan=bkm.kelurahan, name="Kawasan Pahandut")
    services.slum_measure_update_submit(bkm=bkm, area=area, data={"year": 2026, **MEASURE}, actor=coordinator)
    services.lpj_submit(bkm=other_bkm, year=2025, upload=_pdf(pdf_bytes), actor=other_coordinator)


def test_submissions_filter_by_kind_and_stage_narrows_page_and_export(client, coordinator, mixed):
    client.force_login(coordinator)
    everything = client.get(reverse("bkm:submissions"))
    assert _titles(everything) == {
        '=HYPERLINK("http://x")',
        "Drainase menunggu",
        "LPJ tahun 2025",
        "Kawasan Pahandut 2026",
    }

    page = client.get(reverse("bkm:submissions"), {"jenis": "proposal", "tahap": "menunggu"})
    assert _titles(page) == {"Drainase menunggu"}
    rows = _csv_rows(client.get(_export_href(page, "csv")))
    assert rows[0][:3] == ["Jenis", "Pengajuan", "BKM/LKM"]
    assert [r[1] for r in rows[1:]] == ["Drainase menunggu"]

    page = client.get(reverse("bkm:submissions"), {"jenis": "lpj"})
    assert _titles(page) == {"LPJ tahun 2025"}
    assert [r[1] for r in _xlsx_rows(client.get(_export_href(page, "xlsx")))[1:]] == ["LPJ tahun 2025"]

    page = client.get(reverse("bkm:submissions"), {"tahap": "draf"})
    assert _titles(page) == {'=HYPERLINK("http://x")'}
    csv_rows = _csv_rows(client.get(_export_href(page, "csv")))
    assert [r[1] for r in csv_rows[1:]] == ['\'=HYPERLINK("http://x")']  # neutralised by core.exports
    xlsx = load_workbook(io.BytesIO(client.get(_export_href(page, "xlsx")).content)).active
    assert xlsx["B2"].data_type == "s"  # a string cell, never a formula

    page = client.get(reverse("bkm:submissions"), {"tahun": "2026"})
    assert _titles(page) == {'=HYPERLINK("http://x")', "Kawasan Pahandut 2026"}


def test_submissions_invalid_filter_values_are_shown_not_a_500(client, coordinator, mixed):
    client.force_login(coordinator)
    response = client.get(reverse("bkm:submissions"), {"tahun": "abc", "jenis": "xyz", "tahap": "draf"})
    assert response.status_code == 200
    assert _titles(response) == {'=HYPERLINK("http://x")'}  # the valid stage still applies
    export = client.get(reverse("bkm:submissions_export_csv"), {"tahun": "-1", "jenis": "lpj"})
    assert [r[1] for r in _csv_rows(export)[1:]] == ["LPJ tahun 2025"]


def test_submissions_export_coordinator_only_their_bkm_staff_all(
    client, bkm, other_bkm, coordinator, staff_admin, mixed
):
    client.force_login(coordinator)
    # The BKM filter is a staff one: a coordinator asking for another BKM still gets only their own.
    rows = _csv_rows(client.get(reverse("bkm:submissions_export_csv"), {"bkm": other_bkm.pk}))
    assert {r[2] for r in rows[1:]} == {bkm.name}
    assert len(rows) == 1 + 4

    client.force_login(staff_admin)
    page = client.get(reverse("bkm:submissions"))  # the default: waiting ones (drafts are the BKM's own)
    rows = _csv_rows(client.get(_export_href(page, "csv")))
    assert sorted(r[1] for r in rows[1:]) == _title_list(page)
    assert {r[2] for r in rows[1:]} == {bkm.name, other_bkm.name}
    assert {r[3] for r in rows[1:]} == {"Menunggu verifikasi"}
    assert len(rows) == 1 + 4

    page = client.get(reverse("bkm:submissions"), {"tahap": "", "bkm": other_bkm.pk})
    assert [r[2] for r in _csv_rows(client.get(_export_href(page, "csv")))[1:]] == [other_bkm.name]


def test_submissions_filtered_page_and_export_query_count_is_bounded(
    client, bkm, coordinator, staff_admin, pdf_bytes, django_assert_max_num_queries
):
    for year in range(2015, 2027):
        services.lpj_submit(bkm=bkm, year=year, upload=_pdf(pdf_bytes), actor=coordinator)
        _draft(bkm, coordinator, title=f"Usulan {year}", year=year)
    query = {"tahap": "", "jenis": "lpj", "tahun": "2020", "bkm": bkm.pk}
    for user in (coordinator, staff_admin):
        client.force_login(user)
        with django_assert_max_num_queries(14):
            response = client.get(reverse("bkm:submissions"), query)
        assert _titles(response) == {"LPJ tahun 2020"}
        for name in ("bkm:submissions_export_csv", "bkm:submissions_export_xlsx"):
            with django_assert_max_num_queries(8):
                assert client.get(reverse(name), {"tahap": ""}).status_code == 200
