"""#3 Laporan Bulanan UPK: the ledger's monthly package for one UPK (upk.selectors.monthly_package):
LPP, kolektibilitas, neraca, laba-rugi, indicators and the reconciliation checks (failing ones in red)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bkm.models import Unit, UnitType
from core.permissions import is_staff
from reports.forms import PeriodField, ReportParamsForm
from reports.pdf import format_month
from reports.selectors import packages_submitted, parse_period, upk_label

TEMPLATE = "reports/pdf/bulanan_upk.html"


class UpkChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return upk_label(obj)


class Params(ReportParamsForm):
    upk = UpkChoiceField(
        queryset=Unit.objects.filter(unit_type=UnitType.UPK, upk_settings__isnull=False)
        .select_related("bkm")
        .order_by("bkm__name"),
        label=gettext_lazy("UPK"),
        error_messages={"required": gettext_lazy("Pilih UPK."), "invalid_choice": gettext_lazy("UPK tidak dikenal.")},
    )
    period = PeriodField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.user is not None and not is_staff(self.user):
            from upk.permissions import managed_upk_ids

            # A UPK manager asks for their own UPK(s) only.
            field = self.fields["upk"]
            field.queryset = field.queryset.filter(pk__in=managed_upk_ids(self.user))  # type: ignore[attr-defined]


def build(*, params: dict[str, Any], progress: Callable[[float, str], None]) -> dict[str, Any]:
    from upk.packages import submitted_package
    from upk.selectors import ksm_names, monthly_package

    year, month = parse_period(params["period"])
    unit = Unit.objects.select_related("bkm__kelurahan__kecamatan").filter(pk=params.get("upk") or 0).first()
    if unit is None:
        raise LookupError(_("UPK yang diminta tidak ditemukan."))
    progress(10, _("Menyusun paket bulanan"))
    package = monthly_package(upk=unit, year=year, month=month)
    # Submitted means frozen: a submitted month prints its stored snapshot (upk.packages), with
    # the difference when a staff reopening changed the month since.
    frozen = submitted_package(upk=unit, year=year, month=month, recalculated=package)
    progress(60, _("Membaca nama KSM"))
    lpp: list[Any] = frozen.lpp_rows if frozen is not None and frozen.lpp_rows is not None else package.lpp.rows
    ksm_ids = {r["ksm_id"] if isinstance(r, dict) else r.ksm_id for r in lpp}
    names = ksm_names(ksm_ids=ksm_ids)
    submitted = bool(packages_submitted(upk_ids=[unit.pk], year=year, month=month))
    label = format_month(package.kolektibilitas.as_of)
    progress(80, _("Data siap"))
    status = _("Belum dikirim")
    if frozen is not None:
        status = _("Sudah dikirim %(d)s") % {"d": frozen.package.submitted_at.strftime("%d-%m-%Y")}
        if frozen.package.supersedes is not None:
            status += " " + _("(menggantikan paket %(d)s)") % {
                "d": frozen.package.supersedes.submitted_at.strftime("%d-%m-%Y")
            }
    return {
        "title": _("Laporan Bulanan %(upk)s") % {"upk": upk_label(unit)},
        "subtitle": _("Paket laporan bulan %(month)s") % {"month": label},
        "parameter_rows": [
            (_("UPK"), upk_label(unit)),
            (_("Kelurahan / Kecamatan"), f"{unit.bkm.kelurahan.name} / {unit.bkm.kelurahan.kecamatan.name}"),
            (_("Periode"), label),
            (_("Status pengiriman"), status),
        ],
        "package": package,
        "frozen": frozen,
        "checks": frozen.snapshot.get("checks", []) if frozen else package.checks,
        "kol": frozen.kolektibilitas if frozen else package.kolektibilitas,
        "lpp_rows": [(r, names.get(r["ksm_id"] if isinstance(r, dict) else r.ksm_id, "")) for r in lpp],
        "lpp_outstanding": frozen.snapshot.get("lpp_outstanding") if frozen else package.lpp.outstanding,
        "indicators": frozen.indicators if frozen else list(package.indicators.values.values()),
        # Neraca and laba-rugi follow from the trial balance: as recalculated when it equals the snapshot's.
        "show_books": frozen is None or frozen.books_unchanged,
        "submitted": submitted,
    }
