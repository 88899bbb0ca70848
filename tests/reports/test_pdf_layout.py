"""Every report type, laid out on the demo data, fits its pages (issue 10, item 9).

The demo (`seed_demo --scale small`: 30 BKMs, 3 UPKs with 18 months of books,
proposals, forum) is seeded once for the module and rolled back after it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone, translation

from bkm.models import BKM, Kecamatan, Unit, UnitType
from core.models import User
from reports.pdf import render_html
from reports.registry import all_report_types
from reports.services import report_context

from .layout import layout_defects


class _Rollback(Exception):
    pass


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        try:
            with transaction.atomic():
                call_command("seed_demo", "--seed", "2026", "--scale", "small", stdout=StringIO())
                yield
                raise _Rollback
        except _Rollback:
            pass


def _last_month() -> str:
    return f"{timezone.localdate().replace(day=1) - timedelta(days=1):%Y-%m}"


def _demo_params() -> dict[str, list[dict]]:
    """Parameters per report type: the widest choices the demo offers (every UPK, every BKM of a kecamatan)."""
    upk = (
        Unit.objects.filter(unit_type=UnitType.UPK, loans__isnull=False)
        .order_by("bkm__kelurahan__kecamatan__code", "bkm__kelurahan__code")
        .first()
    )
    kecamatan = Kecamatan.objects.order_by("code").first()
    assert upk is not None and kecamatan is not None
    return {
        "kinerja_upk_kota": [{"period": _last_month()}],
        "bulanan_upk": [{"upk": upk.pk, "period": _last_month()}],
        "kolaborasi": [{}],
        "profil_bkm": [{"bkm": BKM.objects.order_by("pk").first().pk}, {"kecamatan": kecamatan.pk}],  # type: ignore[union-attr]
        "rekap_forum": [{}],
    }


def _render(name: str, params: dict, user: User) -> str:
    rt = next(rt for rt in all_report_types() if rt.name == name)
    form = rt.module().Params.from_params(params, user=user)
    assert form.is_valid(), form.errors
    with translation.override("id"), timezone.override("Asia/Jakarta"):
        context = report_context(
            rt=rt, params=form.to_params(), requested_by=user, run=None, progress=lambda *args: None
        )
    return render_html(template=rt.module().TEMPLATE, context=context)


@pytest.mark.django_db
def test_report_context_every_report_type_fits_its_pages_on_demo_data(demo):
    staff = User.objects.get(username="staf")
    params = _demo_params()
    shipped = {rt.name for rt in all_report_types() if rt.builder.startswith("reports.builders.")}
    assert shipped == set(params), "give every report type its demo parameters here"
    defects = [
        f"{name} {p}: {defect}"
        for name, variants in params.items()
        for p in variants
        for defect in layout_defects(_render(name, p, staff))
    ]
    assert defects == []


@pytest.mark.django_db
def test_report_context_monthly_package_prints_checked_amounts_as_rupiah(demo):
    from upk.selectors import monthly_package

    manager = User.objects.get(username="manajer")
    upk = manager.upk_units.get()
    period = _last_month()
    html = _render("bulanan_upk", {"upk": upk.pk, "period": period}, manager)
    year, month = (int(part) for part in period.split("-"))
    package = monthly_package(upk=upk, year=year, month=month)
    section = html[html.index("Pemeriksaan rekonsiliasi") : html.index("Indikator kinerja")]
    assert re.findall(r"(?<![\d.])\d{4,}(?![\d.])", section) == []
    for check in package.checks:
        assert check.detail in section
    loans_check = package.checks[0]
    outstanding = package.lpp.outstanding
    assert loans_check.detail.startswith(f"Rp {outstanding:,}".replace(",", ".")) and outstanding > 10_000


SMALL_PAGE = "<style>@page { size: 200px 100px; margin: 0 } body { margin: 0 } td { height: 26px; padding: 0 }</style>"
WIDE_PAGE = "<style>@page { size: 700px 400px; margin: 0 } body { margin: 0 }</style>"


def test_layout_defects_catches_a_wide_table_a_lonely_row_and_a_cut_chart_text():
    page = SMALL_PAGE
    wide = "<table><tr>" + "<td>" + "x" * 80 + "</td></tr></table>"
    assert any(d.startswith("page 1: <table>") for d in layout_defects(page + wide))
    rows = "<table>" + "<tr><td>baris</td></tr>" * 4 + "</table>"
    assert layout_defects(page + rows) == ["page 2: carries only one row of <table> ''"]
    assert layout_defects(page + rows.replace("</table>", "<tr><td>baris</td></tr></table>")) == []
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="20" viewBox="0 0 100 20" font-size="11">'
        '<title>Uji</title><text x="95" y="15" text-anchor="middle">Nov 26</text></svg>'
    )
    assert layout_defects(page + svg) == ["page 1: chart 'Uji': text 'Nov 26' spans x 76–114 of a 100 wide chart"]
    assert layout_defects(page + svg.replace('x="95"', 'x="50"')) == []


def test_line_chart_last_x_label_fits_the_chart():
    from reports.charts import line_chart

    labels = ["Des 25", "Jan 26", "Feb 26", "Nov 26"]
    html = WIDE_PAGE + f"<div>{line_chart(labels, [('PAR', [1, 2, 3, 4])], title='PAR')}</div>"
    assert layout_defects(html) == []


def test_bar_chart_long_label_is_cut_with_an_ellipsis_inside_the_chart():
    from reports.charts import bar_chart

    label = "Pencegahan dan Penanganan Kumuh Perkotaan Terpadu"
    html = WIDE_PAGE + f"<div>{bar_chart([(label, (12_345_678_900,))], title='Uji')}</div>"
    assert layout_defects(html) == []
    assert "…" in html
