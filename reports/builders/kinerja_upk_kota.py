"""#1 Laporan Kinerja UPK se-Kota (monthly): every UPK's indicators with bands, totals by kecamatan,
kolektibilitas and reserve, 12-month trends, and the UPKs that need attention with why.

Figures are upk.selectors' (portfolio_summary_many) as of the month end, through
`reports.selectors.upk_city`: one table row per UPK, never per loan, so a
province of 1,000 UPKs stays within minutes and a bounded memory.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from bkm.models import Kecamatan
from reports.charts import bar_chart, line_chart
from reports.forms import PeriodField, ReportParamsForm, kecamatan_field
from reports.pdf import LongTable, format_month, format_rupiah
from reports.selectors import indicator_columns, parse_period, upk_city

TEMPLATE = "reports/pdf/kinerja_upk_kota.html"


class Params(ReportParamsForm):
    period = PeriodField()
    kecamatan = kecamatan_field()


def _pct(v: Any) -> str:
    from reports.pdf import format_decimal

    return format_decimal(v, 0) + "%"


def build(*, params: dict[str, Any], progress: Callable[[float, str], None]) -> dict[str, Any]:
    year, month = parse_period(params["period"])
    kecamatan_id = params.get("kecamatan")
    kecamatan = None
    if kecamatan_id:
        kecamatan = Kecamatan.objects.filter(pk=kecamatan_id).first()
        if kecamatan is None:
            raise LookupError(_("Kecamatan yang diminta tidak ditemukan."))
    progress(5, _("Membaca UPK"))
    city = upk_city(year=year, month=month, kecamatan_id=kecamatan_id, progress=progress)
    progress(75, _("Menggambar grafik"))
    labels = [format_month(p.as_of)[:3] + " " + str(p.as_of.year)[2:] for p in city.trend]
    charts = {
        "risk": line_chart(
            labels,
            [
                ("PAR", [p.values["par"] for p in city.trend]),
                ("LAR", [p.values["lar"] for p in city.trend]),
            ],
            title=_("PAR dan LAR kota, 12 bulan (%)"),
            value_format=_pct,
        ),
        "collection": line_chart(
            labels,
            [(_("Tingkat penagihan"), [p.values["collection_rate"] for p in city.trend])],
            title=_("Tingkat penagihan kota, 12 bulan (%)"),
            value_format=_pct,
        ),
        "outstanding": bar_chart(
            [(k.label, (k.figures.outstanding,)) for k in city.by_kecamatan],
            title=_("Saldo pinjaman per kecamatan"),
            value_format=lambda v: format_rupiah(Decimal(v)),
        ),
    }
    progress(80, _("Data siap"))
    return {
        "title": _("Laporan Kinerja UPK se-Kota"),
        "subtitle": _("Kinerja pinjaman bergulir UPK per %(date)s") % {"date": format_month(city.as_of)},
        "parameter_rows": [
            (_("Periode"), format_month(city.as_of)),
            (_("Kecamatan"), kecamatan.name if kecamatan else _("Semua kecamatan")),
            (_("Jumlah UPK"), str(len(city.rows))),
        ],
        "city": city,
        "long_table": LongTable(template="reports/pdf/_kinerja_upk_rows.html", rows=city.rows),
        "indicators": (columns := indicator_columns()),
        "indicator_codes": [c.code for c in columns],
        "charts": charts,
    }
