"""FilterSets of the registry's lists (django-filter), applied on top of the
permission-narrowed querysets of `bkm.selectors`; see core/filters.py."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from core.filters import PortalFilterSet, YearFilter
from core.params import is_number

from .models import (
    BKM,
    OPD,
    BKMStatus,
    FundingSource,
    Kecamatan,
    Kelurahan,
    Proposal,
    ProposalStatus,
    SubmissionKind,
)
from .selectors import WARNING_FILTER_CHOICES, Stage, filter_bkms_by_warning

HANDOVER_CHOICES = [("ya", _("Sudah")), ("tidak", _("Belum"))]


def kelurahan_options(*, kecamatan_id: int | Subquery | None) -> QuerySet[Kelurahan]:
    """The kelurahan the BKM list's kelurahan filter offers: those of the chosen kecamatan, none until
    one is chosen (a province has ~1,000: rendering them all cost the list page ~20 ms; the page
    refills them through `views.kelurahan_options` when the kecamatan changes). Any kelurahan is
    still accepted as a filter value."""
    if kecamatan_id is None:
        return Kelurahan.objects.none()
    return Kelurahan.objects.filter(Q(kecamatan_id=kecamatan_id)).only("pk", "name").order_by("name")


class BKMFilterSet(PortalFilterSet):
    """Filters of the BKM list and its exports, over `selectors.bkm_list_with_warnings` (annotated)."""

    q = django_filters.CharFilter(label=_("Cari"), method="filter_q")
    kecamatan = django_filters.ModelChoiceFilter(
        label=_("Kecamatan"),
        field_name="kelurahan__kecamatan",
        queryset=Kecamatan.objects.order_by("name"),
        empty_label=_("Semua kecamatan"),
    )
    kelurahan = django_filters.ModelChoiceFilter(
        label=_("Kelurahan"),
        # Only what an option shows: a kelurahan row also holds its boundary (GeoJSON).
        queryset=Kelurahan.objects.only("pk", "name", "kecamatan_id").order_by("name"),
        empty_label=_("Semua kelurahan"),
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=BKMStatus.choices, empty_label=_("Semua status"))
    warning = django_filters.ChoiceFilter(
        label=_("Peringatan"), choices=WARNING_FILTER_CHOICES, empty_label=_("Semua"), method="filter_warning"
    )
    handover = django_filters.ChoiceFilter(
        label=_("Serah terima"), choices=HANDOVER_CHOICES, empty_label=_("Semua"), method="filter_handover"
    )

    class Meta:
        model = BKM
        fields: list[str] = []

    def options_queryset(self, name: str, field: Any) -> Any:
        if name != "kelurahan":
            return super().options_queryset(name, field)
        data = self.data or {}
        kecamatan, kelurahan = str(data.get("kecamatan") or ""), str(data.get("kelurahan") or "")
        kecamatan_id: Any = None
        if is_number(kecamatan):
            kecamatan_id = int(kecamatan)
        elif is_number(kelurahan):  # no kecamatan chosen: that of the chosen kelurahan (a subquery: lazy)
            kecamatan_id = Subquery(Kelurahan.objects.filter(pk=int(kelurahan)).values("kecamatan_id")[:1])
        return kelurahan_options(kecamatan_id=kecamatan_id)

    def filter_q(self, qs: QuerySet[BKM], name: str, value: str) -> QuerySet[BKM]:
        term = value.strip()
        if not term:
            return qs
        return qs.filter(
            Q(name__icontains=term)
            | Q(kelurahan__name__icontains=term)
            | Q(kelurahan__kecamatan__name__icontains=term)
            | Q(address__icontains=term)
            | Q(coordinator_name__icontains=term)
        )

    def filter_warning(self, qs: QuerySet[BKM], name: str, value: str) -> QuerySet[BKM]:
        return filter_bkms_by_warning(qs, value)

    def filter_handover(self, qs: QuerySet[BKM], name: str, value: str) -> QuerySet[BKM]:
        return qs.filter(Q(handover_done=(value == "ya")))  # an annotation of annotate_bkm_stats


class ProposalFilterSet(PortalFilterSet):
    """Filters of the proposal list, over `selectors.proposal_list`."""

    q = django_filters.CharFilter(label=_("Cari"), method="filter_q")
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=ProposalStatus.choices, empty_label=_("Semua status")
    )
    opd = django_filters.ModelChoiceFilter(
        label=_("OPD"), queryset=OPD.objects.order_by("name"), empty_label=_("Semua OPD")
    )
    kecamatan = django_filters.ModelChoiceFilter(
        label=_("Kecamatan"),
        field_name="kelurahan__kecamatan",
        queryset=Kecamatan.objects.order_by("name"),
        empty_label=_("Semua kecamatan"),
    )
    year = YearFilter(label=_("Tahun"))
    funding_source = django_filters.ChoiceFilter(
        label=_("Sumber dana"), choices=FundingSource.choices, empty_label=_("Semua")
    )

    class Meta:
        model = Proposal
        fields: list[str] = []

    def filter_q(self, qs: QuerySet[Proposal], name: str, value: Any) -> QuerySet[Proposal]:
        term = str(value).strip()
        if not term:
            return qs
        return qs.filter(Q(title__icontains=term) | Q(programme__icontains=term) | Q(bkm__name__icontains=term))


class SubmissionFilterSet(PortalFilterSet):
    """Filters of the self-service submissions list (`bkm:submissions`) and its exports.

    That list combines proposals, LPJs and measure updates, so it is no one queryset:
    the FilterSet validates and renders the filters, and `selectors.submission_rows` applies
    its cleaned values (`selector_kwargs`), where the three queries and their scoping live.
    Its `queryset` is the BKMs the user may see (the "BKM" choices); `qs` is not used.
    The BKM filter is a staff one: a coordinator sees only their own BKM anyway."""

    tahap = django_filters.ChoiceFilter(label=_("Tahap"), choices=list(Stage.LABELS.items()), empty_label=_("Semua"))
    jenis = django_filters.ChoiceFilter(label=_("Jenis"), choices=SubmissionKind.choices, empty_label=_("Semua jenis"))
    bkm = django_filters.ModelChoiceFilter(label=_("BKM/LKM"), queryset=BKM.objects.none(), empty_label=_("Semua BKM"))
    tahun = YearFilter(label=_("Tahun"))

    class Meta:
        model = BKM
        fields: list[str] = []

    def __init__(self, *args: Any, staff: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if staff:
            self.filters["bkm"].queryset = self.queryset.order_by("name")
        else:
            del self.filters["bkm"]

    def selector_kwargs(self) -> dict[str, Any]:
        """The valid filter values as `submission_rows` arguments; an invalid one is left out (and shown)."""
        if not self.is_bound:
            return {}
        form = self.form
        form.is_valid()
        data = getattr(form, "cleaned_data", {})
        bkm = data.get("bkm")
        return {
            "stage": data.get("tahap") or None,
            "kind": data.get("jenis") or None,
            "bkm_id": bkm.pk if bkm is not None else None,
            "year": data.get("tahun"),
        }
