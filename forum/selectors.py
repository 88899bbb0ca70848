"""Forum reads. Each one starts from a `permissions.filter_*` queryset."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import JSONObject
from django.utils import timezone

from core import versions

from . import permissions as perms
from .models import (
    Attachment,
    Category,
    FollowUpAction,
    Meeting,
    Notification,
    Post,
    Report,
    ReportStatus,
    Thread,
    ThreadRead,
    ThreadWatch,
)

# The data version of notifications and of the post and thread fields that decide whether a notified
# post is visible (migration 0007).
UNREAD_VERSION = "forum_unread"


def categories_for_index(*, user: Any) -> list[Category]:
    """Visible categories with counts of readable threads and whether any is unread.

    Both figures come from one aggregate over the readable threads (one row per category)."""
    readable = perms.categories_with(user, perms.P.READ)
    categories = list(perms.filter_visible_categories(user, Category.objects.all()))
    threads = _annotate_unread(user=user, qs=perms.filter_visible_threads(user, Thread.objects.all()))
    figures = {
        row["category_id"]: row
        for row in threads.order_by()
        .values("category_id")
        .annotate(n=Count("id"), unread=Count("id", filter=Q(is_unread=True)))
    }
    for category in categories:
        row = figures.get(category.id, {"n": 0, "unread": 0})
        category.can_read = category.id in readable  # type: ignore[attr-defined]
        category.thread_count = row["n"]  # type: ignore[attr-defined]
        category.has_unread = row["unread"] > 0  # type: ignore[attr-defined]
    return categories


def _annotate_unread(*, user: Any, qs: QuerySet[Thread]) -> QuerySet[Thread]:
    """Threads with the user's read watermark (`last_read_at`, None if never read) and `is_unread`:
    a post newer than the watermark, or never read.

    The watermark is one LEFT JOIN on the user's (user, thread) row — a hash join over all of a
    list's threads, where a correlated subquery probed the reads once per thread (2,400 probes for
    the forum index at province scale)."""
    own_read = FilteredRelation("reads", condition=Q(reads__user=user))
    unread = Q(own_read__isnull=True) | Q(own_read__last_read_at__lt=F("last_post_at"))
    return qs.alias(own_read=own_read).annotate(
        last_read_at=F("own_read__last_read_at"), is_unread=ExpressionWrapper(unread, output_field=BooleanField())
    )


def threads_for_category(*, user: Any, category: Category) -> QuerySet[Thread]:
    qs = perms.filter_visible_threads(user, Thread.objects.filter(category=category))
    return (
        _annotate_unread(user=user, qs=qs)
        .select_related("author", "bkm")
        .order_by("-is_pinned", "-last_post_at", "-id")
    )


def thread_posts(*, user: Any, thread: Thread) -> QuerySet[Post]:
    """Posts of one thread for display; attachments prefetched so a page costs a fixed number of queries."""
    return (
        perms.filter_visible_posts(user, Post.objects.filter(thread=thread))
        .select_related("author", "quote_of", "quote_of__author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def threads_for_reader(*, user: Any) -> QuerySet[Thread]:
    """Threads `user` may read, each with the user's read watermark (`last_read_at`, None if never read),
    watch level (`watch_level`, None if never set) and the thread's meeting when the user may see it
    (`shown_meeting`: {"pk", "title"}, None otherwise): the thread page reads them in one query."""
    last_read = ThreadRead.objects.filter(user=user, thread=OuterRef("pk")).values("last_read_at")[:1]
    level = ThreadWatch.objects.filter(user=user, thread=OuterRef("pk")).values("level")[:1]
    visible_meetings = perms.filter_visible_meetings(user, Meeting.objects.all()).values("pk")
    meeting = Meeting.objects.filter(pk__in=visible_meetings, thread=OuterRef("pk"))  # one a thread at most
    return (
        perms.filter_visible_threads(user, Thread.objects.all())
        .select_related("category", "author", "bkm", "proposal")
        .annotate(
            last_read_at=Subquery(last_read),
            watch_level=Subquery(level),
            shown_meeting=Subquery(meeting.values(json=JSONObject(pk="pk", title="title"))[:1]),
        )
    )


def thread_last_read(*, user: Any, thread: Thread) -> Any:
    return ThreadRead.objects.filter(user=user, thread=thread).values_list("last_read_at", flat=True).first()


def threads_linked_to(*, user: Any, bkm: Any = None, proposal: Any = None, limit: int = 10) -> QuerySet[Thread]:
    """Threads linked to a BKM or a proposal that `user` may read (for the registry pages)."""
    if bkm is None and proposal is None:
        return Thread.objects.none()
    qs = Thread.objects.all()
    if bkm is not None:
        qs = qs.filter(bkm=bkm)
    if proposal is not None:
        qs = qs.filter(proposal=proposal)
    return perms.filter_visible_threads(user, qs).select_related("category").order_by("-last_post_at")[:limit]


def post_emails_waiting(*, post: Post) -> bool:
    """True while a notification e-mail of this post has not reached the broker (core.outbox)."""
    from core.outbox import outbox_waiting_any

    from .services import NOTIFICATION_EMAIL_TASK

    ids = Notification.objects.filter(post=post, wants_email=True).values_list("pk", flat=True)
    return outbox_waiting_any(task=NOTIFICATION_EMAIL_TASK, args_list=[[pk] for pk in ids])


def latest_threads(*, user: Any, limit: int = 5) -> list[Thread]:
    """The most recently active threads `user` may read, newest first, with whether each is unread."""
    qs = perms.filter_visible_threads(user, Thread.objects.all())
    return list(
        _annotate_unread(user=user, qs=qs).select_related("category", "bkm").order_by("-last_post_at", "-id")[:limit]
    )


def next_meetings(*, user: Any, limit: int = 3) -> list[Meeting]:
    """The next meetings `user` may see (those that started in the last three hours too)."""
    since = timezone.now() - timedelta(hours=3)
    return list(meetings_for(user=user).filter(starts_at__gte=since).order_by("starts_at")[:limit])


def notifications_for(*, user: Any) -> QuerySet[Notification]:
    """A user's notifications, re-filtered: a post they lost access to drops out of the list."""
    visible_posts = perms.filter_visible_posts(user, Post.objects.all()).values("id")
    return (
        Notification.objects.filter(user=user, post_id__in=visible_posts)
        .select_related("post", "post__thread", "actor")
        # The list shows the thread's title, not the post: its text and search vector stay in the database.
        .defer("post__body_source", "post__body_html", "post__search_vector")
        .order_by("-created_at", "-id")
    )


def unread_notification_count(*, user: Any) -> int:
    """Shown by every page's navigation: kept per user in the cache while neither their grants
    (`forum_access`) nor any notification or post visibility (`forum_unread`) changed (migration
    0007); building the query costs more than running it."""
    return versions.kept(
        (perms.ACCESS_VERSION, UNREAD_VERSION),
        f"unread:{perms.access_key(user)}",
        lambda: notifications_for(user=user).filter(read_at__isnull=True).count(),
    )


def digest_posts(*, user: Any, since: Any) -> QuerySet[Post]:
    return (
        perms.filter_visible_posts(user, Post.objects.filter(created_at__gte=since))
        .select_related("thread", "thread__category", "author")
        .order_by("thread__category__position", "thread_id", "created_at")
    )


def open_reports(*, user: Any) -> QuerySet[Report]:
    moderated = perms.moderated_category_ids(user)
    return (
        Report.objects.filter(status=ReportStatus.OPEN, post__thread__category_id__in=moderated)
        .select_related("post", "post__thread", "post__author", "reporter")
        .order_by("created_at")
    )


def meetings_for(*, user: Any) -> QuerySet[Meeting]:
    return perms.filter_visible_meetings(user, Meeting.objects.all()).order_by("starts_at")


def upcoming_and_past_meetings(*, user: Any) -> tuple[list[Meeting], list[Meeting]]:
    now = timezone.now()
    qs = meetings_for(user=user).prefetch_related("invited_bkms")
    upcoming = list(qs.filter(starts_at__gte=now - timedelta(hours=3)).order_by("starts_at"))
    past = list(qs.filter(starts_at__lt=now - timedelta(hours=3)).order_by("-starts_at")[:50])
    return upcoming, past


def meeting_follow_ups(*, meeting: Meeting) -> QuerySet[FollowUpAction]:
    return FollowUpAction.objects.filter(decision__meeting=meeting).select_related("assignee_bkm", "assignee_opd")


def open_follow_ups_for_bkm(*, bkm: Any) -> QuerySet[FollowUpAction]:
    return FollowUpAction.objects.filter(assignee_bkm=bkm).exclude(status__in=["done", "cancelled"])


def moderation_log(*, user: Any) -> QuerySet[Any]:
    from .models import ModerationLog

    moderated = perms.moderated_category_ids(user)
    # Entries of no thread (account deactivations) are staff work and staff reading.
    scope = Q(thread__category_id__in=moderated)
    if perms.can_deactivate_users(user):
        scope |= Q(thread__isnull=True)
    return ModerationLog.objects.filter(scope).select_related("actor", "thread", "target_user").order_by("-created_at")
