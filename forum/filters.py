"""FilterSets of the forum's lists (django-filter), applied on top of the querysets
`forum.permissions.filter_visible_*` narrowed (core/filters.py). The category's CSV
export writes the posts of the threads the category list's filter keeps."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from bkm.models import BKM, OPD, AssessmentAspect
from core.filters import PortalFilterSet, YearFilter
from core.widgets import QuickSelect, QuickTextInput

from .models import Material, MaterialCategory, Notification, NotificationKind, Thread, Training

THREAD_SHOW_CHOICES = [("belum-dibaca", _("Belum dibaca")), ("tanpa-balasan", _("Belum ada balasan"))]
NOTIFICATION_STATUS_CHOICES = [("belum-dibaca", _("Belum dibaca")), ("sudah-dibaca", _("Sudah dibaca"))]


class ThreadFilterSet(PortalFilterSet):
    """Filters of a category's thread list, over `selectors.threads_for_category` (annotated `is_unread`)."""

    # The widgets of the forum's filter rows write their HTML without the template engine (core.widgets):
    # they are rendered on every view of the category and notification lists.
    q = django_filters.CharFilter(label=_("Judul"), field_name="title", lookup_expr="icontains", widget=QuickTextInput)
    bkm = django_filters.ModelChoiceFilter(
        label=_("BKM terkait"), queryset=BKM.objects.order_by("name"), empty_label=_("Semua BKM"), widget=QuickSelect
    )
    tampil = django_filters.ChoiceFilter(
        label=_("Tampilkan"),
        choices=THREAD_SHOW_CHOICES,
        empty_label=_("Semua topik"),
        method="filter_show",
        widget=QuickSelect,
    )

    class Meta:
        model = Thread
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the BKMs some thread of this list is linked to: every BKM of the province (1,000 options,
        # each a model instance rendered on every page view) would offer choices that can only list nothing.
        linked = self.queryset.order_by().filter(bkm__isnull=False).values("bkm_id")
        self.filters["bkm"].queryset = BKM.objects.filter(pk__in=linked).order_by("name")

    def filter_show(self, qs: QuerySet[Thread], name: str, value: Any) -> QuerySet[Thread]:
        if value == "belum-dibaca":
            return qs.filter(Q(is_unread=True))  # an annotation of selectors.threads_for_category
        return qs.filter(reply_count=0)


class NotificationFilterSet(PortalFilterSet):
    jenis = django_filters.ChoiceFilter(
        label=_("Jenis"),
        field_name="kind",
        choices=NotificationKind.choices,
        empty_label=_("Semua jenis"),
        widget=QuickSelect,
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=NOTIFICATION_STATUS_CHOICES,
        empty_label=_("Semua"),
        method="filter_status",
        widget=QuickSelect,
    )

    class Meta:
        model = Notification
        fields: list[str] = []

    def filter_status(self, qs: QuerySet[Notification], name: str, value: Any) -> QuerySet[Notification]:
        return qs.filter(read_at__isnull=(value == "belum-dibaca"))


# --- Capacity building ----------------------------------------------------------------------

TRAINING_WHEN_CHOICES = [("akan-datang", _("Akan datang")), ("sudah-lewat", _("Sudah lewat"))]


class MaterialFilterSet(PortalFilterSet):
    """The library list, over `library_selectors.material_list` (already narrowed to what the user may read).

    `cari` is the forum's full-text search (forum.search: Indonesian stems and word families);
    it orders the kept materials best first."""

    cari = django_filters.CharFilter(label=_("Cari"), method="filter_search")
    kategori = django_filters.ModelChoiceFilter(
        label=_("Kategori"),
        field_name="category",
        queryset=MaterialCategory.objects.all(),
        empty_label=_("Semua kategori"),
    )
    aspek = django_filters.ModelChoiceFilter(
        label=_("Aspek penilaian"),
        field_name="aspects",
        queryset=AssessmentAspect.objects.filter(is_active=True),
        empty_label=_("Semua aspek"),
    )

    class Meta:
        model = Material
        fields: list[str] = []

    def filter_search(self, qs: QuerySet[Material], name: str, value: Any) -> QuerySet[Material]:
        from .search import filter_materials_matching

        return filter_materials_matching(qs, value)


class TrainingFilterSet(PortalFilterSet):
    q = django_filters.CharFilter(label=_("Judul atau topik"), method="filter_text")
    waktu = django_filters.ChoiceFilter(
        label=_("Waktu"), choices=TRAINING_WHEN_CHOICES, empty_label=_("Semua"), method="filter_when"
    )
    aspek = django_filters.ModelChoiceFilter(
        label=_("Aspek penilaian"),
        field_name="aspects",
        queryset=AssessmentAspect.objects.filter(is_active=True),
        empty_label=_("Semua aspek"),
    )
    penyelenggara = django_filters.ModelChoiceFilter(
        label=_("Penyelenggara"),
        field_name="organiser_opd",
        queryset=OPD.objects.order_by("name"),
        empty_label=_("Semua penyelenggara"),
    )
    tahun = YearFilter(label=_("Tahun"), field_name="starts_on", lookup_expr="year")

    class Meta:
        model = Training
        fields: list[str] = []

    def filter_text(self, qs: QuerySet[Training], name: str, value: Any) -> QuerySet[Training]:
        return qs.filter(Q(title__icontains=value) | Q(topic__icontains=value))

    def filter_when(self, qs: QuerySet[Training], name: str, value: Any) -> QuerySet[Training]:
        from .library_selectors import trainings_upcoming_q

        upcoming = trainings_upcoming_q()
        return qs.filter(upcoming) if value == "akan-datang" else qs.exclude(upcoming)
