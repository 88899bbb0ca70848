"""Forum emails. Tasks take ids and re-check permissions when they run: a post
hidden or a user moved out of a category between queueing and sending must not
leak. Every run leaves an `EmailDelivery` row saying what was sent.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import attachments
from . import permissions as perms
from .models import EmailDelivery, ForumProfile, Notification, Post
from .selectors import digest_posts


def _url(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


@shared_task
@transaction.atomic
def send_notification_email(notification_id: int) -> str:
    # The row lock makes a second delivery of the same message wait, then see the first one's EmailDelivery.
    notification = (
        Notification.objects.select_for_update(of=("self",))
        .select_related("user", "post", "post__thread", "actor")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None:
        return "missing"
    if EmailDelivery.objects.filter(notification=notification).exists():
        return "duplicate"  # a second delivery of the same message: the mail went out once already
    user = notification.user
    visible = perms.filter_visible_posts(user, Post.objects.filter(pk=notification.post_id)).exists()
    if not visible or not user.email or not user.is_active:
        EmailDelivery.objects.create(
            user=user,
            kind=EmailDelivery.Kind.NOTIFICATION,
            outcome=EmailDelivery.Outcome.SKIPPED,
            notification=notification,
        )
        return "skipped"
    post = notification.post
    with translation.override("id"):
        subject = _("[Forum BKM] %(title)s") % {"title": post.thread.title}
        body = render_to_string(
            "forum/email/notification.txt",
            {
                "notification": notification,
                "post": post,
                "url": _url(reverse("forum:post_redirect", args=[post.pk])),
                "settings_url": _url(reverse("forum:settings")),
            },
        )
    send_mail(subject, body, None, [user.email])
    EmailDelivery.objects.create(
        user=user,
        kind=EmailDelivery.Kind.NOTIFICATION,
        outcome=EmailDelivery.Outcome.SENT,
        notification=notification,
        post_ids=[post.pk],
        subject=subject,
    )
    return "sent"


@shared_task
def send_digest(user_id: int) -> str:
    """One user's daily digest of posts they may read since their last digest (max 24 h back)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return "missing"
    profile = ForumProfile.objects.filter(user=user, daily_digest=True).first()
    if profile is None or not user.email:
        return "off"
    now = timezone.now()
    since = max(profile.last_digest_at or now - timedelta(days=1), now - timedelta(days=1))
    posts = list(digest_posts(user=user, since=since)[:200])
    profile.last_digest_at = now
    profile.save(update_fields=["last_digest_at"])
    if not posts:
        return "empty"
    with translation.override("id"):
        subject = _("[Forum BKM] Ringkasan harian: %(n)d tulisan baru") % {"n": len(posts)}
        body = render_to_string(
            "forum/email/digest.txt",
            {
                "posts": [(p, _url(reverse("forum:post_redirect", args=[p.pk]))) for p in posts],
                "settings_url": _url(reverse("forum:settings")),
            },
        )
    send_mail(subject, body, None, [user.email])
    EmailDelivery.objects.create(
        user=user,
        kind=EmailDelivery.Kind.DIGEST,
        outcome=EmailDelivery.Outcome.SENT,
        post_ids=[p.pk for p in posts],
        subject=subject,
    )
    return "sent"


@shared_task
def send_daily_digests() -> int:
    """Fan out one task per subscriber (run daily by a django-celery-beat PeriodicTask)."""
    user_ids = list(
        ForumProfile.objects.filter(daily_digest=True, user__is_active=True).values_list("user_id", flat=True)
    )
    for user_id in user_ids:
        send_digest.delay(user_id)
    return len(user_ids)


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    # Embedded mode: a thread after the upload's commit (core.outbox), so not on the request path there either.
    embedded_background=True,
)
def attachment_thumbnail_make(attachment_id: int) -> str:
    """An image attachment's thumbnail, off the upload request (queued through the outbox)."""
    return attachments.attachment_thumbnail_make(attachment_id=attachment_id)
