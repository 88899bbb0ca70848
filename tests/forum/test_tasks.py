"""Email tasks on the real Celery worker.

The worker is another process, so Django's locmem outbox there is invisible to
the test; every task run writes an `EmailDelivery` row (sent or skipped, with
the post ids it contained), and the tests assert on those rows.
tests/forum/conftest.py re-loads the data migrations seed (categories,
grants), which the flush after a transactional test removes.
"""

from __future__ import annotations

import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from core.models import OutboxMessage, OutboxStatus
from forum import services
from forum.attachments import THUMBNAIL_TASK
from forum.models import Attachment, EmailDelivery, Notification, Post, WatchLevel
from forum.tasks import send_daily_digests, send_digest, send_notification_email
from tests.forum.factories import PostFactory, ThreadFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait_for(query, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if query.exists():
            return query
        time.sleep(0.2)
    raise AssertionError("the worker did not record a delivery in time")


def test_send_notification_email_after_commit_on_worker(celery_worker, member, member_b, general):
    thread = services.thread_create(user=member, category=general, title="Diikuti lewat email", source="Isi")
    services.thread_set_watch(user=member, thread=thread, level=WatchLevel.SITE_AND_EMAIL)
    post = services.post_reply(user=member_b, thread=thread, source="Balasan yang dikirim lewat email")
    delivery = _wait_for(EmailDelivery.objects.filter(user=member)).get()
    assert delivery.outcome == EmailDelivery.Outcome.SENT
    assert delivery.post_ids == [post.pk]
    assert thread.title in delivery.subject


def test_send_notification_email_rechecks_permission_at_send_time(
    celery_worker, member, member_b, staff_admin, general
):
    thread = services.thread_create(user=member, category=general, title="Nanti disembunyikan", source="Isi")
    post = services.post_reply(user=member_b, thread=thread, source="Tulisan yang akan disembunyikan")
    notification = Notification.objects.get(user=member, post=post)
    services.post_set_hidden(user=staff_admin, post=post, hidden=True, reason="Melanggar aturan")
    assert send_notification_email.delay(notification.pk).get(timeout=30) == "skipped"
    delivery = EmailDelivery.objects.get(notification=notification)
    assert delivery.outcome == EmailDelivery.Outcome.SKIPPED and delivery.post_ids == []


def test_send_digest_contains_only_permitted_posts(celery_worker, member, far_member, home_kecamatan_category, general):
    services.forum_profile_update(user=far_member, default_watch_level="site", daily_digest=True)
    open_post = PostFactory(thread=ThreadFactory(category=general), body_source="Untuk semua BKM")
    hidden_post = PostFactory(thread=ThreadFactory(category=general), body_source="Tersembunyi", is_hidden=True)
    secret = services.thread_create(
        user=member, category=home_kecamatan_category, title="Rahasia kecamatan", source="Hanya kecamatan kami"
    )
    assert send_digest.delay(far_member.pk).get(timeout=30) == "sent"
    delivery = EmailDelivery.objects.get(user=far_member, kind=EmailDelivery.Kind.DIGEST)
    assert open_post.pk in delivery.post_ids
    assert hidden_post.pk not in delivery.post_ids
    assert not set(Post.objects.filter(thread=secret).values_list("id", flat=True)) & set(delivery.post_ids)


def test_send_daily_digests_fans_out_to_subscribers(celery_worker, member, member_b, general):
    services.forum_profile_update(user=member, default_watch_level="site", daily_digest=True)
    services.forum_profile_update(user=member_b, default_watch_level="site", daily_digest=False)
    PostFactory(thread=ThreadFactory(category=general))
    assert send_daily_digests.delay().get(timeout=30) == 1
    _wait_for(EmailDelivery.objects.filter(user=member, kind=EmailDelivery.Kind.DIGEST))
    assert not EmailDelivery.objects.filter(user=member_b).exists()


def test_daily_digest_periodic_task_is_scheduled():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="forum.tasks.send_daily_digests")
    assert task.enabled and task.crontab.hour == "6" and str(task.crontab.timezone) == "Asia/Jakarta"


def test_attachment_thumbnail_made_by_the_worker_after_the_upload(client, celery_worker, member, general):
    """The upload request makes no thumbnail; the worker does, through the outbox, and the page then shows it."""
    img = Image.new("RGB", (1200, 900), (200, 60, 20))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    thread = services.thread_create(
        user=member,
        category=general,
        title="Foto kegiatan",
        source="Foto terlampir",
        files=[SimpleUploadedFile("kegiatan.png", buf.getvalue())],
    )
    attachment = Attachment.objects.get(post__thread=thread)
    deadline = time.monotonic() + 30
    while not attachment.thumbnail and time.monotonic() < deadline:
        time.sleep(0.2)
        attachment.refresh_from_db()
    assert attachment.thumbnail, "the worker made no thumbnail in time"
    assert OutboxMessage.objects.get(task=THUMBNAIL_TASK, args=[attachment.pk]).status == OutboxStatus.DONE
    with Image.open(attachment.thumbnail.open("rb")) as thumb:
        assert thumb.size == (320, 240)
    client.force_login(member)
    page = client.get(reverse("forum:thread", args=[thread.pk])).content.decode()
    assert reverse("forum:attachment_thumbnail", args=[attachment.pk]) in page
    attachment.thumbnail.storage.delete(attachment.thumbnail.name)
    attachment.file.storage.delete(attachment.file.name)
