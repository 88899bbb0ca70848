"""The report types the portal can produce, and how each one is built.

A report type names a builder module (`reports/builders/<name>.py`) that
exposes:

- `Params`: a `ReportParamsForm` subclass, the parameters a user may choose;
- `build(*, params, progress) -> dict`: reads through selectors and returns the
  template context (it calls `progress(percent, message)` as it goes);
- `TEMPLATE`: the PDF template, extending `reports/pdf/base.html`.

Types are registered in `reports/report_types.py` (imported when the app is
ready); adding a report is one builder module, one template and one
`register(...)` call there.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from types import ModuleType
from typing import Any, Literal

from django.utils.translation import gettext_lazy as _

# Who may ask: "staff" only Bappedalitbang; "bkm" also the coordinator of the
# BKM named in params["bkm"]; "upk" also a manager of the UPK unit in params["upk"].
Scope = Literal["staff", "bkm", "upk"]

# The type the monthly schedule produces (django-celery-beat task created in
# migration 0002). The UPK ledger registers it after the merge.
CITY_MONTHLY_REPORT = "kinerja_upk_kota"


class UnknownReportType(LookupError):
    pass


@dataclass(frozen=True)
class ReportType:
    name: str
    label: Any  # lazy translation
    builder: str  # dotted module path
    scope: Scope = "staff"
    description: Any = ""
    # For scheduled runs: the parameters for a run produced on `today`.
    scheduled_params: Callable[[date], dict[str, Any]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def module(self) -> ModuleType:
        return importlib.import_module(self.builder)

    @property
    def is_schedulable(self) -> bool:
        return self.scheduled_params is not None


_REGISTRY: dict[str, ReportType] = {}


def register(report_type: ReportType) -> ReportType:
    _REGISTRY[report_type.name] = report_type
    return report_type


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def get_report_type(name: str) -> ReportType:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownReportType(name) from None


def all_report_types() -> list[ReportType]:
    return sorted(_REGISTRY.values(), key=lambda rt: str(rt.label))


def report_label(name: str) -> str:
    rt = _REGISTRY.get(name)
    return str(rt.label) if rt else name


def previous_month(today: date) -> str:
    """ "YYYY-MM" of the month before `today`."""
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


UNKNOWN_LABEL = _("Laporan tidak dikenal")
