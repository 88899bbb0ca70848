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

from bkm.models import Kecamatan
from core.filters import PortalFilterSet

from .models import ReportRun, RunStatus
from .registry import all_report_types
from .warnings import KIND_LABELS, SEVERITY_CHOICES, WarningItem


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


class _Items(list):  # type: ignore[type-arg]
    """A list standing where FilterSet expects a queryset (it reads `.model`)."""

    model = None


WARNING_STATUS_CHOICES = [("terbuka", _("Belum ditanggapi")), ("ditanggapi", _("Sudah ditanggapi"))]


class WarningFilterSet(PortalFilterSet):
    """Filters of the warnings list. Warnings are computed (`warnings.collect_warnings`), not rows: the
    filters act on the list of `WarningItem`s the FilterSet is given as its queryset."""

    jenis = django_filters.ChoiceFilter(
        label=_("Jenis"), choices=[], empty_label=_("Semua jenis"), method="filter_kind"
    )
    tingkat = django_filters.ChoiceFilter(
        label=_("Tingkat"), choices=SEVERITY_CHOICES, empty_label=_("Semua tingkat"), method="filter_severity"
    )
    kecamatan = django_filters.ModelChoiceFilter(
        label=_("Kecamatan"),
        queryset=Kecamatan.objects.order_by("name"),
        empty_label=_("Semua kecamatan"),
        method="filter_kecamatan",
    )
    status = django_filters.ChoiceFilter(
        label=_("Tanggapan"), choices=WARNING_STATUS_CHOICES, empty_label=_("Semua"), method="filter_status"
    )

    def __init__(self, data: Any = None, *, queryset: list[WarningItem], **kwargs: Any) -> None:
        super().__init__(data, queryset=_Items(queryset), **kwargs)
        self.filters["jenis"].extra["choices"] = [(k, str(label)) for k, label in KIND_LABELS.items()]

    @property
    def qs(self) -> list[WarningItem]:  # type: ignore[override]
        if not hasattr(self, "_qs"):
            items = list(self.queryset)
            if self.is_bound:
                self.errors  # noqa: B018 - validates the form, as FilterSet.qs does
                items = self.filter_queryset(items)
            self._qs = items
        return self._qs

    def filter_queryset(self, queryset: Any) -> Any:
        for name, value in self.form.cleaned_data.items():
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    def filter_kind(self, items: list[WarningItem], name: str, value: str) -> list[WarningItem]:
        return [i for i in items if i.warning.kind == value]

    def filter_severity(self, items: list[WarningItem], name: str, value: str) -> list[WarningItem]:
        return [i for i in items if i.warning.severity == value]

    def filter_kecamatan(self, items: list[WarningItem], name: str, value: Kecamatan) -> list[WarningItem]:
        return [i for i in items if i.warning.kecamatan_id == value.pk]

    def filter_status(self, items: list[WarningItem], name: str, value: str) -> list[WarningItem]:
        return [i for i in items if i.is_acknowledged == (value == "ditanggapi")]
