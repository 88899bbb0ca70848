"""FilterSets of the reports app's lists (django-filter); see core/filters.py.

`RunFilterSet` filters the report runs `permissions.filter_runs` lets the user
see. `WarningFilterSet` filters the early warnings, which are computed, not
rows: its filters act on the list of `WarningItem`s (`filter_queryset` is
overridden), so the warnings list gets the same form, validation and query
string as every other list."""

from __future__ import annotations

from typing import Any

import django_filters
from django.utils.translation import gettext_lazy as _

from core.filters import PortalFilterSet

from .models import ReportRun, RunStatus
from .registry import all_report_types


def _report_type_choices() -> list[tuple[str, str]]:
    return [(rt.name, str(rt.label)) for rt in all_report_types()]


class RunFilterSet(PortalFilterSet):
    jenis = django_filters.ChoiceFilter(
        label=_("Jenis laporan"), field_name="report_type", choices=[], empty_label=_("Semua jenis")
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=RunStatus.choices, empty_label=_("Semua status"))

    class Meta:
        model = ReportRun
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Report types register at import time: read them when the form is made.
        self.filters["jenis"].extra["choices"] = _report_type_choices()
