"""Forum writes. One atomic action per user intent (Zulip); emails are recorded
in the write's transaction (core.outbox), sent to the broker after the commit,
and take ids only.

Every service re-checks its permission itself, so a view that forgets cannot
open a hole.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from bkm.models import BKM, OPD, Proposal
from core import exports
from core.outbox import outbox_add
from core.storage import file_writes

from . import conf
from . import permissions as perms
from .attachments import attachment_store, validate_upload
from .markup import content_hash, find_mentions, render_markdown
from .models import (
    Category,
    FollowUpAction,
    FollowUpStatus,
    ForumProfile,
    Meeting,
    MeetingDecision,
    MeetingRSVP,
    ModerationAction,
    ModerationLog,
    Notification,
    NotificationKind,
    Post,
    PostRevision,
    Report,
    ReportOutcome,
    ReportStatus,
    RSVPResponse,
    Thread,
    ThreadRead,
    ThreadWatch,
    WatchLevel,
)
from .search import post_update_search_vector

User = get_user_model()
NOTIFICATION_EMAIL_TASK = "forum.tasks.send_notification_email"


# --- Guards --------------------------------------------------------------------


def _guard_flood(*, author: Any, source: str) -> None:
    """Rate limit and duplicate-text guard, counted from the database (works across processes)."""
    now = timezone.now()
    window = timedelta(seconds=conf.get("FORUM_RATE_LIMIT_SECONDS"))
    recent = Post.objects.filter(author=author, created_at__gte=now - window).count()
    if recent >= conf.get("FORUM_RATE_LIMIT_POSTS"):
        raise ValidationError(
            _("Anda mengirim terlalu banyak tulisan dalam waktu singkat. Tunggu sekitar satu menit, lalu coba lagi.")
        )
    dup_window = timedelta(minutes=conf.get("FORUM_DUPLICATE_WINDOW_MINUTES"))
    if Post.objects.filter(author=author, content_hash=content_hash(source), created_at__gte=now - dup_window).exists():
        raise ValidationError(
            _("Tulisan yang sama persis sudah Anda kirim beberapa menit yang lalu. Tulisan ganda tidak disimpan.")
        )


def _clean_source(source: str) -> str:
    # Control characters have no place in prose and are used as search-highlight sentinels.
    source = "".join(ch for ch in source if ch in "\n\t" or ch >= " ")
    # Keep leading indentation (an indented first line is a Markdown code block); drop blank lines around.
    source = source.rstrip().lstrip("\r\n")
    if not source.strip():
        raise ValidationError(_("Isi tulisan tidak boleh kosong."))
    if len(source) > 20_000:
        raise ValidationError(_("Tulisan terlalu panjang (maksimal 20.000 karakter)."))
    return source


def _users_named(names: set[str]) -> Any:
    # At most 30 mentions per post are honoured (Spirit's ST_MENTIONS_PER_COMMENT idea).
    query = Q()
    for name in sorted(names)[:30]:
        query |= Q(username__iexact=name)
    return User.objects.filter(query, is_active=True)


def _known_usernames(source: str) -> set[str]:
    names = find_mentions(source)
    if not names:
        return set()
    return {u.lower() for u in _users_named(names).values_list("username", flat=True)}


# --- Threads and posts -----------------------------------------------------------


def _watch(*, user: Any, thread: Thread) -> None:
    """Auto-watch what you start or reply to, at your default level; never lowers an explicit choice."""
    profile = forum_profile_get(user=user)
    ThreadWatch.objects.get_or_create(user=user, thread=thread, defaults={"level": profile.default_watch_level})


def forum_profile_get(*, user: Any) -> ForumProfile:
    profile, _created = ForumProfile.objects.get_or_create(user=user)
    return profile


def _create_post(
    *, thread: Thread, author: Any, source: str, quote_of: Post | None, files: list[UploadedFile], title: str | None
) -> Post:
    mentions = _known_usernames(source)
    post = Post.objects.create(
        thread=thread,
        author=author,
        body_source=source,
        body_html=render_markdown(source, known_usernames=mentions),
        content_hash=content_hash(source),
        quote_of=quote_of,
    )
    for upload in files:
        attachment_store(post=post, uploader=author, upload=upload)
    post_update_search_vector(post_id=post.pk, title=title)
    _notify(post=post, mentions=mentions)
    return post


def _validate_files(*, user: Any, category_id: int, files: list[UploadedFile]) -> None:
    if files and not perms.can_attach(user, category_id):
        raise ValidationError(_("Anda tidak berhak melampirkan berkas di kategori ini."))
    if len(files) > conf.get("FORUM_ATTACHMENTS_PER_POST"):
        raise ValidationError(
            _("Paling banyak %(n)d lampiran per tulisan.") % {"n": conf.get("FORUM_ATTACHMENTS_PER_POST")}
        )
    for upload in files:
        validate_upload(upload)


@file_writes()
@transaction.atomic
def thread_create(
    *,
    user: Any,
    category: Category,
    title: str,
    source: str,
    files: list[UploadedFile] | None = None,
    bkm: BKM | None = None,
    proposal: Proposal | None = None,
) -> Thread:
    perms.check_start_thread(user, category)
    title = " ".join(title.split())
    if len(title) < 5:
        raise ValidationError(_("Judul topik terlalu pendek (minimal 5 karakter)."))
    source = _clean_source(source)
    files = files or []
    if (
        proposal is not None
        and not perms.filter_linkable_proposals(user, Proposal.objects.filter(pk=proposal.pk)).exists()
    ):
        raise ValidationError(_("Anda hanya dapat mengaitkan topik dengan usulan kegiatan BKM Anda sendiri."))
    _validate_files(user=user, category_id=category.id, files=files)
    _guard_flood(author=user, source=source)
    thread = Thread.objects.create(
        category=category, title=title[:200], author=user, last_post_at=timezone.now(), bkm=bkm, proposal=proposal
    )
    _watch(user=user, thread=thread)
    post = _create_post(thread=thread, author=user, source=source, quote_of=None, files=files, title=thread.title)
    Thread.objects.filter(pk=thread.pk).update(last_post_at=post.created_at)
    thread.last_post_at = post.created_at
    thread_mark_read(user=user, thread=thread, at=post.created_at)
    return thread


@file_writes()
@transaction.atomic
def post_reply(
    *, user: Any, thread: Thread, source: str, quote_of: Post | None = None, files: list[UploadedFile] | None = None
) -> Post:
    # Lock the thread row so concurrent replies serialise their reply_count and last_post_at updates.
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    perms.check_reply_thread(user, thread)
    if quote_of is not None:
        perms.check_read_post(user, quote_of)
        if quote_of.thread_id != thread.pk:
            quote_of = None
    source = _clean_source(source)
    files = files or []
    _validate_files(user=user, category_id=thread.category_id, files=files)
    _guard_flood(author=user, source=source)
    post = _create_post(thread=thread, author=user, source=source, quote_of=quote_of, files=files, title=None)
    Thread.objects.filter(pk=thread.pk).update(reply_count=F("reply_count") + 1, last_post_at=post.created_at)
    _watch(user=user, thread=thread)
    thread_mark_read(user=user, thread=thread, at=post.created_at)
    return post


@transaction.atomic
def post_edit(*, user: Any, post: Post, source: str) -> Post:
    post = Post.objects.select_for_update().select_related("thread").get(pk=post.pk)
    perms.check_edit_post(user, post, now=timezone.now(), window_minutes=conf.get("FORUM_EDIT_WINDOW_MINUTES"))
    source = _clean_source(source)
    if source == post.body_source:
        return post
    PostRevision.objects.create(post=post, body_source=post.body_source, body_html=post.body_html, edited_by=user)
    post.body_source = source
    post.body_html = render_markdown(source, known_usernames=_known_usernames(source))
    post.content_hash = content_hash(source)
    post.edited_at = timezone.now()
    post.save(update_fields=["body_source", "body_html", "content_hash", "edited_at"])
    is_first = not Post.objects.filter(thread_id=post.thread_id, created_at__lt=post.created_at).exists()
    post_update_search_vector(post_id=post.pk, title=post.thread.title if is_first else None)
    return post


def thread_mark_read(*, user: Any, thread: Thread, at: Any = None) -> None:
    at = at or timezone.now()
    # One INSERT … ON CONFLICT DO UPDATE (update_or_create took a savepoint, a locking read and a write:
    # four round trips on every thread view that shows a new post).
    ThreadRead.objects.bulk_create(
        [ThreadRead(user=user, thread=thread, last_read_at=at)],
        update_conflicts=True,
        unique_fields=["user", "thread"],
        update_fields=["last_read_at"],
    )


def thread_set_watch(*, user: Any, thread: Thread, level: str) -> ThreadWatch:
    perms.check_read_thread(user, thread)
    if level not in WatchLevel.values:
        raise ValidationError(_("Tingkat mengikuti tidak dikenal."))
    watch, _created = ThreadWatch.objects.update_or_create(user=user, thread=thread, defaults={"level": level})
    return watch


def forum_profile_update(*, user: Any, default_watch_level: str, daily_digest: bool) -> ForumProfile:
    profile = forum_profile_get(user=user)
    profile.default_watch_level = default_watch_level
    profile.daily_digest = daily_digest
    profile.save()
    return profile


# --- Notifications -----------------------------------------------------------------


def _notify(*, post: Post, mentions: set[str]) -> None:
    """Reply and mention notifications for everyone who may read the post; emails after commit."""
    thread = post.thread
    recipients: dict[int, tuple[Any, str, bool]] = {}
    watches = ThreadWatch.objects.filter(thread=thread).exclude(level=WatchLevel.NONE).exclude(user=post.author)
    for watch in watches.select_related("user"):
        recipients[watch.user_id] = (watch.user, NotificationKind.REPLY, watch.level == WatchLevel.SITE_AND_EMAIL)
    if mentions:
        watch_levels = dict(ThreadWatch.objects.filter(thread=thread).values_list("user_id", "level"))
        for mentioned in _users_named(mentions).exclude(pk=post.author_id):
            if mentioned.username.lower() not in mentions:
                continue
            level = watch_levels.get(mentioned.pk)
            if level == WatchLevel.NONE:
                continue
            if level is None:
                level = forum_profile_get(user=mentioned).default_watch_level
            recipients[mentioned.pk] = (mentioned, NotificationKind.MENTION, level == WatchLevel.SITE_AND_EMAIL)
    created: list[Notification] = []
    for user, kind, wants_email in recipients.values():
        perms.clear_cache(user)
        if not perms.filter_visible_posts(user, Post.objects.filter(pk=post.pk)).exists():
            continue
        created.append(
            Notification.objects.create(user=user, kind=kind, post=post, actor=post.author, wants_email=wants_email)
        )
    for notification in created:
        if notification.wants_email:
            # Stored with the post (core.outbox): the mail goes out once the broker takes it, even if later.
            outbox_add(task=NOTIFICATION_EMAIL_TASK, args=[notification.pk])


def notifications_mark_read(*, user: Any, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


# --- Moderation ------------------------------------------------------------------------


def _require_reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) < 3:
        raise ValidationError(_("Tuliskan alasan tindakan moderasi (minimal 3 karakter)."))
    return reason


def _log(
    *, actor: Any, action: str, reason: str, thread: Thread | None = None, post: Post | None = None, **kw: Any
) -> None:
    ModerationLog.objects.create(actor=actor, action=action, reason=reason, thread=thread, post=post, **kw)


def _notify_author_of_moderation(*, actor: Any, thread: Thread) -> None:
    """Tell a thread's author that a moderator locked or moved it (portal only).

    Hiding is not announced this way: the notification list filters out posts
    the recipient can no longer read, which a hidden thread is.
    """
    if thread.author_id == actor.pk:
        return
    first = Post.objects.filter(thread=thread).order_by("created_at", "id").first()
    if first is not None:
        Notification.objects.create(user_id=thread.author_id, kind=NotificationKind.MODERATION, post=first, actor=actor)


_THREAD_FLAGS = {
    ModerationAction.PIN: ("is_pinned", True),
    ModerationAction.UNPIN: ("is_pinned", False),
    ModerationAction.LOCK: ("is_locked", True),
    ModerationAction.UNLOCK: ("is_locked", False),
    ModerationAction.HIDE_THREAD: ("is_hidden", True),
    ModerationAction.UNHIDE_THREAD: ("is_hidden", False),
}


@transaction.atomic
def thread_moderate(*, user: Any, thread: Thread, action: str, reason: str) -> Thread:
    """Pin, unpin, lock, unlock, hide or unhide a thread (Misago module-per-action, one table here)."""
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    perms.check_moderate_category(user, thread.category_id)
    if action not in _THREAD_FLAGS:
        raise ValidationError(_("Tindakan moderasi tidak dikenal."))
    reason = _require_reason(reason)
    field, value = _THREAD_FLAGS[ModerationAction(action)]
    if getattr(thread, field) == value:
        raise ValidationError(_("Topik sudah dalam keadaan itu; tidak ada yang diubah."))
    setattr(thread, field, value)
    thread.save(update_fields=[field])
    _log(actor=user, action=action, reason=reason, thread=thread)
    if action == ModerationAction.LOCK:
        _notify_author_of_moderation(actor=user, thread=thread)
    return thread


def thread_pin(*, user: Any, thread: Thread, reason: str) -> Thread:
    return thread_moderate(user=user, thread=thread, action=ModerationAction.PIN, reason=reason)


def thread_lock(*, user: Any, thread: Thread, reason: str) -> Thread:
    return thread_moderate(user=user, thread=thread, action=ModerationAction.LOCK, reason=reason)


def thread_hide(*, user: Any, thread: Thread, reason: str) -> Thread:
    return thread_moderate(user=user, thread=thread, action=ModerationAction.HIDE_THREAD, reason=reason)


@transaction.atomic
def thread_move(*, user: Any, thread: Thread, to_category: Category, reason: str) -> Thread:
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    perms.check_moderate_category(user, thread.category_id)
    perms.check_moderate_category(user, to_category.id)
    reason = _require_reason(reason)
    if to_category.pk == thread.category_id:
        raise ValidationError(_("Topik sudah berada di kategori itu."))
    from_id = thread.category_id
    thread.category = to_category
    thread.save(update_fields=["category"])
    _log(
        actor=user,
        action=ModerationAction.MOVE_THREAD,
        reason=reason,
        thread=thread,
        details={"from_category": from_id, "to_category": to_category.pk},
    )
    _notify_author_of_moderation(actor=user, thread=thread)
    return thread


@transaction.atomic
def post_set_hidden(*, user: Any, post: Post, hidden: bool, reason: str) -> Post:
    post = Post.objects.select_for_update().select_related("thread").get(pk=post.pk)
    perms.check_moderate_category(user, post.thread.category_id)
    reason = _require_reason(reason)
    if post.is_hidden == hidden:
        raise ValidationError(_("Tulisan sudah dalam keadaan itu; tidak ada yang diubah."))
    post.is_hidden = hidden
    post.save(update_fields=["is_hidden"])
    action = ModerationAction.HIDE_POST if hidden else ModerationAction.UNHIDE_POST
    _log(actor=user, action=action, reason=reason, thread=post.thread, post=post)
    return post


@transaction.atomic
def user_deactivate(*, user: Any, target: Any, reason: str) -> Any:
    perms.check_deactivate_user(user)
    reason = _require_reason(reason)
    if target.pk == user.pk:
        raise ValidationError(_("Anda tidak dapat menonaktifkan akun Anda sendiri."))
    # Nobody deactivates an administrator here.
    if target.is_superuser or target.is_staff_admin:
        raise PermissionDenied
    target = User.objects.select_for_update().get(pk=target.pk)
    if not target.is_active:
        raise ValidationError(_("Akun ini sudah nonaktif."))
    target.is_active = False
    target.save(update_fields=["is_active"])
    _log(actor=user, action=ModerationAction.DEACTIVATE_USER, reason=reason, target_user=target)
    return target


def report_create(*, user: Any, post: Post, reason: str) -> Report:
    perms.check_read_post(user, post)
    reason = reason.strip()
    if len(reason) < 5:
        raise ValidationError(_("Jelaskan alasan laporan (minimal 5 karakter)."))
    if Report.objects.filter(post=post, reporter=user, status=ReportStatus.OPEN).exists():
        raise ValidationError(_("Anda sudah melaporkan tulisan ini; moderator sedang meninjaunya."))
    return Report.objects.create(post=post, reporter=user, reason=reason[:2000])


@transaction.atomic
def report_close(*, user: Any, report: Report, outcome: str, note: str) -> Report:
    report = Report.objects.select_for_update().select_related("post__thread").get(pk=report.pk)
    perms.check_moderate_category(user, report.post.thread.category_id)
    if report.status != ReportStatus.OPEN:
        raise ValidationError(_("Laporan ini sudah ditutup."))
    if outcome not in ReportOutcome.values:
        raise ValidationError(_("Pilih hasil peninjauan."))
    report.status = ReportStatus.CLOSED
    report.outcome = outcome
    report.outcome_note = note.strip()
    report.handled_by = user
    report.closed_at = timezone.now()
    report.save()
    _log(
        actor=user,
        action=ModerationAction.CLOSE_REPORT,
        reason=note.strip() or str(ReportOutcome(outcome).label),
        thread=report.post.thread,
        post=report.post,
        details={"report": report.pk, "outcome": outcome},
    )
    return report


def posts_export_csv(
    *, user: Any, category: Category | None = None, thread: Thread | None = None, threads: Any = None
) -> str:
    """CSV of a thread or a category for moderators/staff; rows through the one permission filter.
    `threads`: the category's threads the list's filter kept (forum.filters.ThreadFilterSet)."""
    if thread is not None:
        perms.check_read_thread(user, thread)
        perms.check_export(user, thread.category_id)
        qs = Post.objects.filter(thread=thread)
    elif category is not None:
        perms.check_export(user, category.pk)
        qs = Post.objects.filter(thread__category=category)
        if threads is not None:
            qs = qs.filter(thread__in=threads.order_by().values("pk"))
    else:
        raise ValueError("category or thread")
    qs = (
        perms.filter_visible_posts(user, qs)
        .select_related("thread", "author")
        .order_by("thread_id", "created_at", "id")
    )
    header = ["topik_id", "judul", "tulisan_id", "penulis", "waktu", "disembunyikan", "isi"]
    rows = (
        [
            post.thread_id,
            post.thread.title,
            post.pk,
            post.author.username,
            post.created_at,
            post.is_hidden,
            post.body_source,
        ]
        for post in qs.iterator(chunk_size=500)
    )
    return exports.csv_text(itertools.chain([header], rows))


# --- Meetings ----------------------------------------------------------------------------


@transaction.atomic
def meeting_create(
    *,
    user: Any,
    title: str,
    agenda: str,
    starts_at: Any,
    ends_at: Any = None,
    place: str = "",
    online_link: str = "",
    invited_bkms: Iterable[BKM] = (),
    thread_category: Category | None = None,
) -> Meeting:
    perms.check_manage_meetings(user)
    if not place and not online_link:
        raise ValidationError(_("Isi tempat pertemuan atau tautan daring."))
    if online_link and not online_link.lower().startswith(("https://", "http://")):
        raise ValidationError(_("Tautan daring harus diawali https://"))
    if ends_at and ends_at <= starts_at:
        raise ValidationError(_("Waktu selesai harus setelah waktu mulai."))
    meeting = Meeting.objects.create(
        title=title,
        agenda=agenda,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        online_link=online_link,
        created_by=user,
    )
    meeting.invited_bkms.set(list(invited_bkms))
    if thread_category is not None:
        meeting.thread = thread_create(
            user=user,
            category=thread_category,
            title=_("Pertemuan: %(title)s") % {"title": title},
            source=agenda,
        )
        meeting.save(update_fields=["thread"])
    return meeting


@transaction.atomic
def meeting_update(
    *,
    user: Any,
    meeting: Meeting,
    title: str,
    agenda: str,
    starts_at: Any,
    ends_at: Any = None,
    place: str = "",
    online_link: str = "",
    invited_bkms: Iterable[BKM] = (),
) -> Meeting:
    """Reschedule or correct a meeting; RSVPs, minutes and decisions stay."""
    perms.check_manage_meetings(user)
    if not place and not online_link:
        raise ValidationError(_("Isi tempat pertemuan atau tautan daring."))
    if online_link and not online_link.lower().startswith(("https://", "http://")):
        raise ValidationError(_("Tautan daring harus diawali https://"))
    if ends_at and ends_at <= starts_at:
        raise ValidationError(_("Waktu selesai harus setelah waktu mulai."))
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    meeting.title, meeting.agenda, meeting.starts_at, meeting.ends_at = title, agenda, starts_at, ends_at
    meeting.place, meeting.online_link = place, online_link
    meeting.save()
    meeting.invited_bkms.set(list(invited_bkms))
    return meeting


def meeting_update_minutes(*, user: Any, meeting: Meeting, minutes: str) -> Meeting:
    perms.check_manage_meetings(user)
    meeting.minutes = minutes.strip()
    meeting.save(update_fields=["minutes"])
    return meeting


def meeting_rsvp(*, user: Any, meeting: Meeting, response: str) -> MeetingRSVP:
    perms.check_view_meeting(user, meeting)
    if response not in RSVPResponse.values:
        raise ValidationError(_("Pilih konfirmasi kehadiran."))
    if meeting.starts_at < timezone.now():
        raise ValidationError(_("Pertemuan sudah lewat; konfirmasi kehadiran ditutup."))
    rsvp, _created = MeetingRSVP.objects.update_or_create(meeting=meeting, user=user, defaults={"response": response})
    return rsvp


def meeting_record_attendance(*, user: Any, meeting: Meeting, attendee_ids: Iterable[int]) -> None:
    perms.check_manage_meetings(user)
    attendee_ids = set(attendee_ids)
    for attendee in User.objects.filter(pk__in=attendee_ids):
        MeetingRSVP.objects.get_or_create(meeting=meeting, user=attendee, defaults={"response": RSVPResponse.YES})
    MeetingRSVP.objects.filter(meeting=meeting).update(attended=False)
    MeetingRSVP.objects.filter(meeting=meeting, user_id__in=attendee_ids).update(attended=True)


def meeting_add_decision(*, user: Any, meeting: Meeting, text: str) -> MeetingDecision:
    perms.check_manage_meetings(user)
    text = text.strip()
    if not text:
        raise ValidationError(_("Keputusan tidak boleh kosong."))
    position = meeting.decisions.count() + 1
    return MeetingDecision.objects.create(meeting=meeting, text=text, position=position)


def follow_up_create(
    *,
    user: Any,
    decision: MeetingDecision,
    description: str,
    due_date: Any,
    assignee_bkm: BKM | None = None,
    assignee_opd: OPD | None = None,
) -> FollowUpAction:
    perms.check_manage_meetings(user)
    if (assignee_bkm is None) == (assignee_opd is None):
        raise ValidationError(_("Pilih satu penanggung jawab: BKM atau OPD."))
    if not description.strip():
        raise ValidationError(_("Uraian tindak lanjut tidak boleh kosong."))
    return FollowUpAction.objects.create(
        decision=decision,
        description=description.strip(),
        due_date=due_date,
        assignee_bkm=assignee_bkm,
        assignee_opd=assignee_opd,
    )


# Oscar-style explicit transitions: status → allowed next statuses.
FOLLOW_UP_TRANSITIONS: dict[str, set[str]] = {
    FollowUpStatus.OPEN: {FollowUpStatus.IN_PROGRESS, FollowUpStatus.DONE, FollowUpStatus.CANCELLED},
    FollowUpStatus.IN_PROGRESS: {FollowUpStatus.DONE, FollowUpStatus.CANCELLED},
    FollowUpStatus.DONE: set(),
    FollowUpStatus.CANCELLED: set(),
}


@transaction.atomic
def follow_up_transition(*, user: Any, follow_up: FollowUpAction, status: str) -> FollowUpAction:
    follow_up = FollowUpAction.objects.select_for_update().get(pk=follow_up.pk)
    # Staff admins, or coordinators of the assigned BKM, move a follow-up along.
    if not (
        perms.can_manage_meetings(user)
        or (user.is_bkm_member and user.is_coordinator and follow_up.assignee_bkm_id == user.bkm_id)
    ):
        raise PermissionDenied
    if status not in FOLLOW_UP_TRANSITIONS.get(follow_up.status, set()):
        raise ValidationError(
            _("Status tidak dapat diubah dari %(old)s ke %(new)s.")
            % {"old": FollowUpStatus(follow_up.status).label, "new": status}
        )
    follow_up.status = status
    follow_up.save(update_fields=["status", "updated_at"])
    return follow_up
