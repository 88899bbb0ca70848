"""FilterSets of the forum's lists (django-filter), applied on top of the querysets
`forum.permissions.filter_visible_*` narrowed (core/filters.py). The category's CSV
export writes the posts of the threads the category list's filter keeps."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from bkm.models import BKM
from core.filters import PortalFilterSet

from .models import Notification, NotificationKind, Thread

THREAD_SHOW_CHOICES = [("belum-dibaca", _("Belum dibaca")), ("tanpa-balasan", _("Belum ada balasan"))]
NOTIFICATION_STATUS_CHOICES = [("belum-dibaca", _("Belum dibaca")), ("sudah-dibaca", _("Sudah dibaca"))]


class ThreadFilterSet(PortalFilterSet):
    """Filters of a category's thread list, over `selectors.threads_for_category` (annotated `is_unread`)."""

    q = django_filters.CharFilter(label=_("Judul"), field_name="title", lookup_expr="icontains")
    bkm = django_filters.ModelChoiceFilter(
        label=_("BKM terkait"), queryset=BKM.objects.order_by("name"), empty_label=_("Semua BKM")
    )
    tampil = django_filters.ChoiceFilter(
        label=_("Tampilkan"), choices=THREAD_SHOW_CHOICES, empty_label=_("Semua topik"), method="filter_show"
    )

    class Meta:
        model = Thread
        fields: list[str] = []

    def filter_show(self, qs: QuerySet[Thread], name: str, value: Any) -> QuerySet[Thread]:
        if value == "belum-dibaca":
            return qs.filter(Q(is_unread=True))  # an annotation of selectors.threads_for_category
        return qs.filter(reply_count=0)


class NotificationFilterSet(PortalFilterSet):
    jenis = django_filters.ChoiceFilter(
        label=_("Jenis"), field_name="kind", choices=NotificationKind.choices, empty_label=_("Semua jenis")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=NOTIFICATION_STATUS_CHOICES, empty_label=_("Semua"), method="filter_status"
    )

    class Meta:
        model = Notification
        fields: list[str] = []

    def filter_status(self, qs: QuerySet[Notification], name: str, value: Any) -> QuerySet[Notification]:
        return qs.filter(read_at__isnull=(value == "belum-dibaca"))
