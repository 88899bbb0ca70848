from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from forum import services
from forum.models import (
    ModerationAction,
    ModerationLog,
    Notification,
    NotificationKind,
    Post,
    PostRevision,
    Report,
    ReportStatus,
    Thread,
    ThreadWatch,
    WatchLevel,
)
from tests.factories import UserFactory
from tests.forum.factories import PostFactory, ThreadFactory

pytestmark = pytest.mark.django_db


def test_thread_create_stores_source_html_and_autowatches(member, general):
    thread = services.thread_create(user=member, category=general, title="Rapat anggota BKM", source="Halo **semua**")
    post = thread.posts.get()
    assert post.body_source == "Halo **semua**"
    assert "<strong>semua</strong>" in post.body_html
    assert ThreadWatch.objects.filter(user=member, thread=thread, level=WatchLevel.SITE).exists()


def test_thread_create_refuses_announcement_from_member(member, announcements):
    with pytest.raises(PermissionDenied):
        services.thread_create(user=member, category=announcements, title="Bukan staf", source="Coba")


def test_post_reply_notifies_watchers_and_mentions(member, member_b, staff_admin, general):
    thread = services.thread_create(user=member, category=general, title="Tanya AD/ART", source="Ada yang tahu?")
    services.post_reply(user=member_b, thread=thread, source="Coba tanya @staf juga")
    kinds = dict(Notification.objects.values_list("user__username", "kind"))
    assert kinds == {"anggota": NotificationKind.REPLY, "staf": NotificationKind.MENTION}
    post = thread.posts.last()
    assert '<span class="mention">@staf</span>' in post.body_html
    thread.refresh_from_db()
    assert thread.reply_count == 1


def test_post_reply_mention_in_code_or_link_does_not_notify(member, member_b, staff_admin, general):
    thread = services.thread_create(user=member, category=general, title="Contoh format", source="Cara menulis?")
    services.post_reply(
        user=member_b,
        thread=thread,
        source="Tulis `@staf` dalam kode:\n\n```\n@staf\n```\n\n[@staf](https://example.org)",
    )
    assert not Notification.objects.filter(user=staff_admin).exists()
    assert 'class="mention"' not in thread.posts.last().body_html


def test_find_mentions_matches_the_rendered_mentions():
    from forum.markup import find_mentions, render_markdown

    source = "Halo @staf dan @anggota. Kode: `@kode` dan\n\n    @blok\n\n> kutip @kutip"
    found = find_mentions(source)
    assert found == {"staf", "anggota", "kutip"}
    html = render_markdown(source, known_usernames={"staf", "anggota", "kode", "blok", "kutip"})
    assert html.count('class="mention"') == len(found)


def test_post_reply_mention_of_user_without_read_permission_does_not_notify(
    member, far_member, home_kecamatan_category
):
    thread = services.thread_create(
        user=member, category=home_kecamatan_category, title="Urusan kecamatan", source="Untuk kecamatan kami"
    )
    services.post_reply(user=member, thread=thread, source="@anggota2 lihat ini")
    assert not Notification.objects.filter(user=far_member).exists()


def test_post_reply_rejected_when_thread_locked(member, member_b, staff_admin, general):
    thread = services.thread_create(user=member, category=general, title="Topik dikunci", source="Isi")
    services.thread_lock(user=staff_admin, thread=thread, reason="Sudah selesai dibahas")
    with pytest.raises(PermissionDenied):
        services.post_reply(user=member_b, thread=thread, source="Masih mau balas")
    # Moderators may still reply to a locked thread.
    services.post_reply(user=staff_admin, thread=thread, source="Catatan penutup moderator")


@override_settings(FORUM_RATE_LIMIT_POSTS=3, FORUM_RATE_LIMIT_SECONDS=60)
def test_post_reply_rate_limit_blocks_with_indonesian_message_and_changes_nothing(member, general):
    thread = services.thread_create(user=member, category=general, title="Banjir tulisan", source="pertama")
    services.post_reply(user=member, thread=thread, source="kedua")
    services.post_reply(user=member, thread=thread, source="ketiga")
    with pytest.raises(ValidationError) as exc:
        services.post_reply(user=member, thread=thread, source="keempat")
    assert "terlalu banyak tulisan" in exc.value.messages[0]
    assert thread.posts.count() == 3


def test_post_reply_duplicate_text_rejected(member, general):
    thread = services.thread_create(user=member, category=general, title="Ganda", source="Pembuka topik")
    services.post_reply(user=member, thread=thread, source="Setuju sekali dengan usulan ini")
    with pytest.raises(ValidationError) as exc:
        services.post_reply(user=member, thread=thread, source="  setuju SEKALI dengan usulan ini ")
    assert "sama persis" in exc.value.messages[0]
    assert thread.posts.count() == 2


def test_post_reply_duplicate_allowed_after_window(member, general):
    thread = services.thread_create(user=member, category=general, title="Ganda nanti", source="Pembuka topik")
    post = services.post_reply(user=member, thread=thread, source="Terima kasih")
    Post.objects.filter(pk=post.pk).update(created_at=timezone.now() - timedelta(minutes=30))
    services.post_reply(user=member, thread=thread, source="Terima kasih")


def test_post_edit_keeps_history_within_window(member, general):
    thread = services.thread_create(user=member, category=general, title="Dengan revisi", source="Versi satu")
    post = thread.posts.get()
    services.post_edit(user=member, post=post, source="Versi dua")
    post.refresh_from_db()
    assert post.body_source == "Versi dua" and post.edited_at is not None
    assert list(PostRevision.objects.filter(post=post).values_list("body_source", flat=True)) == ["Versi satu"]


def test_post_edit_refused_after_window_and_for_others(member, member_b, general):
    thread = services.thread_create(user=member, category=general, title="Jendela ubah", source="Asli")
    post = thread.posts.get()
    with pytest.raises(PermissionDenied):
        services.post_edit(user=member_b, post=post, source="Bukan milik saya")
    Post.objects.filter(pk=post.pk).update(created_at=timezone.now() - timedelta(hours=2))
    with pytest.raises(PermissionDenied):
        services.post_edit(user=member, post=post, source="Terlambat")


@pytest.mark.parametrize(
    ("action", "field", "value"),
    [
        (ModerationAction.PIN, "is_pinned", True),
        (ModerationAction.LOCK, "is_locked", True),
        (ModerationAction.HIDE_THREAD, "is_hidden", True),
    ],
)
def test_thread_moderate_sets_flag_logs_and_reverses(staff_admin, general, action, field, value):
    thread = ThreadFactory(category=general)
    services.thread_moderate(user=staff_admin, thread=thread, action=action, reason="Alasan uji")
    thread.refresh_from_db()
    assert getattr(thread, field) is value
    log = ModerationLog.objects.get(action=action)
    assert (log.actor, log.thread, log.reason) == (staff_admin, thread, "Alasan uji")
    reverse = {"pin": "unpin", "lock": "unlock", "hide_thread": "unhide_thread"}[action]
    services.thread_moderate(user=staff_admin, thread=thread, action=reverse, reason="Kembalikan")
    thread.refresh_from_db()
    assert getattr(thread, field) is not value
    assert ModerationLog.objects.filter(action=reverse, actor=staff_admin).exists()


def test_thread_moderate_requires_reason_and_moderator(member, staff_admin, general):
    thread = ThreadFactory(category=general)
    with pytest.raises(ValidationError):
        services.thread_pin(user=staff_admin, thread=thread, reason=" ")
    with pytest.raises(PermissionDenied):
        services.thread_pin(user=member, thread=thread, reason="Saya mau")
    assert not ModerationLog.objects.exists()


def test_category_moderator_moderates_only_own_category(category_moderator, general, announcements):
    own = ThreadFactory(category=general)
    services.thread_lock(user=category_moderator, thread=own, reason="Moderator kategori")
    other = ThreadFactory(category=announcements)
    with pytest.raises(PermissionDenied):
        services.thread_lock(user=category_moderator, thread=other, reason="Bukan kategori saya")


def test_thread_move_logs_from_and_to(staff_admin, general, announcements):
    thread = ThreadFactory(category=general)
    services.thread_move(user=staff_admin, thread=thread, to_category=announcements, reason="Salah kategori")
    thread.refresh_from_db()
    assert thread.category == announcements
    log = ModerationLog.objects.get(action=ModerationAction.MOVE_THREAD)
    assert log.details == {"from_category": general.pk, "to_category": announcements.pk}


def test_thread_move_refused_to_category_not_moderated(category_moderator, general, announcements):
    thread = ThreadFactory(category=general)
    with pytest.raises(PermissionDenied):
        services.thread_move(user=category_moderator, thread=thread, to_category=announcements, reason="Pindah")
    thread.refresh_from_db()
    assert thread.category == general


def test_post_set_hidden_hides_from_members_and_logs(staff_admin, member, general):
    post = PostFactory(thread=ThreadFactory(category=general))
    services.post_set_hidden(user=staff_admin, post=post, hidden=True, reason="Kata kasar")
    from forum.permissions import filter_visible_posts

    assert not filter_visible_posts(member, Post.objects.filter(pk=post.pk)).exists()
    assert filter_visible_posts(staff_admin, Post.objects.filter(pk=post.pk)).exists()
    services.post_set_hidden(user=staff_admin, post=post, hidden=False, reason="Sudah diperbaiki")
    assert list(ModerationLog.objects.order_by("id").values_list("action", flat=True)) == ["hide_post", "unhide_post"]


def test_report_create_and_close(member, staff_admin, general):
    post = PostFactory(thread=ThreadFactory(category=general))
    report = services.report_create(user=member, post=post, reason="Berisi iklan")
    with pytest.raises(ValidationError):
        services.report_create(user=member, post=post, reason="Berisi iklan lagi")
    with pytest.raises(PermissionDenied):
        services.report_close(user=member, report=report, outcome="actioned", note="")
    services.report_close(user=staff_admin, report=report, outcome="actioned", note="Tulisan disembunyikan")
    report.refresh_from_db()
    assert (report.status, report.outcome, report.handled_by) == (ReportStatus.CLOSED, "actioned", staff_admin)
    assert ModerationLog.objects.filter(action=ModerationAction.CLOSE_REPORT, post=post).exists()
    assert Report.objects.count() == 1


def test_user_deactivate_by_staff_admin(staff_admin, member):
    other_admin = UserFactory(role="staff_admin", username="staf_lain")
    services.user_deactivate(user=staff_admin, target=member, reason="Spam berulang")
    member.refresh_from_db()
    assert member.is_active is False
    assert ModerationLog.objects.get(action=ModerationAction.DEACTIVATE_USER).target_user == member
    with pytest.raises(PermissionDenied):
        services.user_deactivate(user=staff_admin, target=other_admin, reason="Tidak boleh")


def test_user_deactivate_refused_for_category_moderator(category_moderator, member, upk_manager):
    # A moderator of one category moderates its threads and posts; accounts are staff work.
    for target in (member, upk_manager):
        with pytest.raises(PermissionDenied):
            services.user_deactivate(user=category_moderator, target=target, reason="Bukan wewenang")
        target.refresh_from_db()
        assert target.is_active


def test_user_deactivate_refused_for_non_moderator(member, member_b):
    with pytest.raises(PermissionDenied):
        services.user_deactivate(user=member, target=member_b, reason="Bukan moderator")


def test_thread_set_watch_none_stops_reply_notifications(member, member_b, general):
    thread = services.thread_create(user=member, category=general, title="Tanpa notifikasi", source="Isi")
    services.thread_set_watch(user=member, thread=thread, level=WatchLevel.NONE)
    services.post_reply(user=member_b, thread=thread, source="Balasan")
    assert not Notification.objects.filter(user=member).exists()


def test_posts_export_csv_guards_formula_and_permission(staff_admin, member, general):
    thread = ThreadFactory(category=general)
    PostFactory(thread=thread, body_source='=HYPERLINK("http://x")')
    content = services.posts_export_csv(user=staff_admin, thread=thread)
    assert "'=HYPERLINK" in content
    with pytest.raises(PermissionDenied):
        services.posts_export_csv(user=member, thread=thread)


def test_thread_create_rejects_short_title(member, general):
    with pytest.raises(ValidationError):
        services.thread_create(user=member, category=general, title="Hai", source="Isi")
    assert not Thread.objects.exists()


def test_inactive_user_has_no_access(general):
    user = UserFactory(role="staff_admin", is_active=False)
    with pytest.raises(Exception):  # noqa: B017
        services.thread_create(user=user, category=general, title="Tidak aktif", source="Isi")


def test_thread_create_links_only_own_bkm_proposal(member, far_member, bkm, general):
    from datetime import date as _date

    from bkm.models import OPD, Proposal

    opd = OPD.objects.create(name="Dinas Perkim uji")
    proposal = Proposal.objects.create(
        bkm=bkm,
        opd=opd,
        title="Drainase RT 03",
        kelurahan=bkm.kelurahan,
        year=_date.today().year,
        budget_proposed=150_000_000,
        funding_source="apbd",
    )
    thread = services.thread_create(
        user=member, category=general, title="Usulan drainase", source="Isi", proposal=proposal
    )
    assert thread.proposal == proposal
    with pytest.raises(ValidationError):
        services.thread_create(
            user=far_member, category=general, title="Bukan usulan kami", source="Isi", proposal=proposal
        )


def test_user_deactivate_category_moderator_cannot_touch_staff(category_moderator, staff_viewer):
    with pytest.raises(PermissionDenied):
        services.user_deactivate(user=category_moderator, target=staff_viewer, reason="Tidak boleh")
    staff_viewer.refresh_from_db()
    assert staff_viewer.is_active


def test_thread_lock_and_move_notify_author(member, staff_admin, general, announcements):
    thread = services.thread_create(user=member, category=general, title="Akan dikunci moderator", source="Isi")
    services.thread_lock(user=staff_admin, thread=thread, reason="Selesai")
    services.thread_move(user=staff_admin, thread=thread, to_category=announcements, reason="Lebih cocok")
    assert Notification.objects.filter(user=member, kind=NotificationKind.MODERATION).count() == 2
