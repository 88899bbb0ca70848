from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import template

from reports import pdf

register = template.Library()


@register.filter
def num(value: int | Decimal | None) -> str:
    """Indonesian grouping: 1.234.567."""
    return pdf.format_number(value)


@register.filter
def dec(value: Decimal | int | None, places: int = 2) -> str:
    """Indonesian decimal: 12,50 (places after the comma, default 2)."""
    return pdf.format_decimal(value, places)


@register.filter
def pct(value: Decimal | None) -> str:
    """An indicator in percent as the reports print it: 12,34% ("-" when undefined)."""
    return "-" if value is None else pdf.format_decimal(value) + "%"


@register.filter
def item(mapping, key):  # type: ignore[no-untyped-def]
    """mapping[key] in templates (None when missing)."""
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return None


@register.filter
def band_class(band: str | None) -> str:
    return {"sehat": "band-ok", "kurang_sehat": "band-fair", "tidak_sehat": "band-bad"}.get(band or "", "")


@register.filter
def bulan(value: date | None) -> str:
    """Indonesian month and year: Maret 2026."""
    return pdf.format_month(value) if value else "-"


@register.filter
def tgl(value: date | None) -> str:
    """Indonesian long date: 29 November 2026."""
    return pdf.format_date(value)


@register.filter
def date_wib(value) -> str:  # type: ignore[no-untyped-def]
    """The WIB calendar date of a moment: 29 November 2026."""
    from django.utils import timezone

    return pdf.format_date(timezone.localtime(value, pdf.WIB).date()) if value else "-"


@register.filter
def wib(value) -> str:  # type: ignore[no-untyped-def]
    return pdf.format_datetime_wib(value) if value else "-"


@register.filter
def progress_class(run) -> str:  # type: ignore[no-untyped-def]
    """CSS class setting the bar width in 5% steps (no inline style under the CSP)."""
    return f"report-progress-{run.progress_step}"


@register.filter
def report_label(name: str) -> str:
    from reports.registry import report_label as label

    return label(name)


@register.simple_tag
def run_parameters(run) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    from reports.forms import describe_parameters
    from reports.registry import UnknownReportType, get_report_type

    try:
        form_class = get_report_type(run.report_type).module().Params
    except UnknownReportType:
        return [(k, str(v)) for k, v in run.parameters.items()]
    return describe_parameters(form_class, run.parameters)


@register.inclusion_tag("reports/_subject_warnings.html", takes_context=True)
def subject_warnings(
    context: Any, subject_type: str, subject_id: int, registry: Any = None, subject: Any = None
) -> dict[str, Any]:
    """The early warnings of one subject (BKM, proposal, UPK) from the providers the dashboard runs, so the
    page a warning opens says what the warning says, and a user who may acknowledge warnings does it there.
    `registry`: the BKM page's own registry warnings (`bkm.selectors.bkm_warnings`) that no provider reports
    (e.g. women's share) are added to them. `subject`: the subject as the page read it, for the providers
    that judge it without reading it again (`collect_warnings`)."""
    from core.permissions import is_staff_admin
    from reports.warnings import collect_warnings

    items = collect_warnings(subject_type=subject_type, subject_id=subject_id, subject=subject)
    reported = {item.warning.reason for item in items}
    request = context.get("request")
    return {
        "items": items,
        "extra": [w for w in registry or [] if w.message not in reported],
        "can_acknowledge": request is not None and is_staff_admin(request.user),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def warning_ack_texts() -> dict[str, str]:
    """The acknowledgement form's URL and texts (reports/_warning_ack.html), looked up once per list of
    warnings (`{% warning_ack_texts as ack_texts %}` before its loop) instead of once per row: two
    `{% url %}` and three translations a row were a fifth of the dashboard's warnings card."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    return {"url": reverse("reports:warning_acknowledge"), "note": _("Catatan tindak lanjut"), "submit": _("Tanggapi")}
