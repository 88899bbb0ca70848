"""#4 Rekap Kolaborasi OPD–BKM: proposals by status, OPD, kecamatan, year and funding; budgets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bkm.models import Kecamatan
from reports.charts import bar_chart
from reports.forms import ReportParamsForm, kecamatan_field
from reports.pdf import LongTable, format_rupiah
from reports.selectors import proposal_list, proposal_summary

TEMPLATE = "reports/pdf/kolaborasi.html"


class Params(ReportParamsForm):
    year = forms.IntegerField(
        label=gettext_lazy("Tahun"),
        required=False,
        min_value=2000,
        max_value=2100,
        help_text=gettext_lazy("Kosongkan untuk semua tahun."),
        error_messages={
            "min_value": gettext_lazy("Tahun minimal 2000."),
            "max_value": gettext_lazy("Tahun maksimal 2100."),
        },
    )
    kecamatan = kecamatan_field()


def _short_rupiah(value: Any) -> str:
    return format_rupiah(value)


def build(*, params: dict[str, Any], progress: Callable[[float, str], None]) -> dict[str, Any]:
    year = params.get("year")
    kecamatan_id = params.get("kecamatan")
    kecamatan = None
    if kecamatan_id:
        kecamatan = Kecamatan.objects.filter(pk=kecamatan_id).first()
        if kecamatan is None:
            raise LookupError(_("Kecamatan yang diminta tidak ditemukan."))
    progress(5, _("Menghitung ringkasan usulan"))
    summary = proposal_summary(year=year, kecamatan_id=kecamatan_id)
    progress(40, _("Membaca daftar usulan"))
    proposals = list(proposal_list(year=year, kecamatan_id=kecamatan_id))
    progress(70, _("Menggambar grafik"))
    series = (_("Diusulkan"), _("Disetujui"))
    charts = {
        "kecamatan": bar_chart(
            [(r.label, (r.budget_proposed, r.budget_approved)) for r in summary.by_kecamatan],
            title=_("Anggaran per kecamatan"),
            series=series,
            value_format=_short_rupiah,
        ),
        "year": bar_chart(
            [(str(r.label), (r.budget_proposed, r.budget_approved)) for r in summary.by_year],
            title=_("Anggaran per tahun"),
            series=series,
            value_format=_short_rupiah,
        ),
        "status": bar_chart([(r.label, (r.count,)) for r in summary.by_status], title=_("Jumlah usulan per status")),
    }
    progress(100, _("Data siap"))
    return {
        "title": _("Rekap Kolaborasi OPD–BKM"),
        "subtitle": _("Usulan kegiatan BKM/LKM kepada Organisasi Perangkat Daerah"),
        "parameter_rows": [
            (_("Tahun"), str(year) if year else _("Semua tahun")),
            (_("Kecamatan"), kecamatan.name if kecamatan else _("Semua kecamatan")),
        ],
        "summary": summary,
        "long_table": LongTable(template="reports/pdf/_kolaborasi_rows.html", rows=proposals),
        "charts": charts,
    }
