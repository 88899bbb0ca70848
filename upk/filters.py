"""FilterSets of the UPK lists (django-filter), applied on top of the querysets
`upk.permissions.filter_*` narrowed; the list's CSV/XLSX export writes the same
`fs.qs` the page shows (core/filters.py). The "as of" date and the journal's
period are report parameters, not filters: they stay with the views."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.filters import PortalFilterSet

from .models import KSM, EntryKind, JournalEntry, Loan, LoanStatus


class KSMFilterSet(PortalFilterSet):
    q = django_filters.CharFilter(label=_("Cari"), method="filter_q")
    is_active = django_filters.BooleanFilter(label=_("Aktif"))

    class Meta:
        model = KSM
        fields: list[str] = []

    def filter_q(self, qs: QuerySet[KSM], name: str, value: Any) -> QuerySet[KSM]:
        term = str(value).strip()
        return qs.filter(Q(name__icontains=term) | Q(code__icontains=term)) if term else qs


class LoanFilterSet(PortalFilterSet):
    q = django_filters.CharFilter(label=_("Cari"), method="filter_q")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=LoanStatus.choices, empty_label=_("Semua status"))

    class Meta:
        model = Loan
        fields: list[str] = []

    def filter_q(self, qs: QuerySet[Loan], name: str, value: Any) -> QuerySet[Loan]:
        term = str(value).strip()
        return qs.filter(Q(number__icontains=term) | Q(ksm__name__icontains=term)) if term else qs


class JournalFilterSet(PortalFilterSet):
    jenis = django_filters.ChoiceFilter(
        label=_("Jenis"),
        field_name="kind",
        choices=EntryKind.choices,
        empty_label=_("Semua jenis"),
    )
    q = django_filters.CharFilter(label=_("Cari"), method="filter_q")

    class Meta:
        model = JournalEntry
        fields: list[str] = []

    def filter_q(self, qs: QuerySet[JournalEntry], name: str, value: Any) -> QuerySet[JournalEntry]:
        term = str(value).strip()
        return qs.filter(Q(number__icontains=term) | Q(description__icontains=term)) if term else qs
