"""One indicator list: the city report (PDF), the open-data API and the dashboard show the
indicators of upk.selectors.INDICATORS — the same ones, in the same order."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from reports.api.serializers import UpkIndicatorSerializer
from reports.builders import kinerja_upk_kota
from reports.dashboard import _upk_panel
from reports.selectors import indicator_columns
from upk.selectors import INDICATORS

CODES = [d.code for d in INDICATORS]


def test_indicator_columns_are_the_ledger_indicators():
    assert [c.code for c in indicator_columns()] == CODES
    assert [c.label for c in indicator_columns()] == [str(d.label) for d in INDICATORS]


def test_api_fields_list_the_ledger_indicators():
    fields = list(UpkIndicatorSerializer().fields)
    assert [f for f in fields if f in CODES] == CODES
    assert [f for f in fields if f.endswith("_band")] == [f"{c}_band" for c in CODES]


@pytest.mark.django_db
def test_report_api_and_dashboard_list_the_same_indicators(staff_admin):
    report = kinerja_upk_kota.build(params={"period": "2026-10"}, progress=lambda *_a: None)
    dashboard = _upk_panel(staff_admin)
    assert report["indicator_codes"] == CODES
    assert [c.code for c in report["indicators"]] == [c.code for c in dashboard["indicators"]] == CODES
    # The PDF's tables head their columns from the list, not from a copy in the template.
    html = render_to_string(kinerja_upk_kota.TEMPLATE, report)
    per_kecamatan = html.split("<thead><tr><th>Kecamatan</th>")[2]  # the second such table: indicators per kecamatan
    head = per_kecamatan[: per_kecamatan.index("</thead>")]
    assert [c.short for c in indicator_columns()] == [
        cell.split(">", 1)[1] for cell in head.split("</th>") if 'class="num"' in cell
    ]
    per_upk = html[html.index("Indikator setiap UPK") :]
    head = per_upk[per_upk.index("<thead>") : per_upk.index("</thead>")]
    assert "".join(f'<th class="num">{c.short}</th>' for c in indicator_columns()) in head
