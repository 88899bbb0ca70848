"""Registry e-mails. The task takes a notice id and re-checks, when it runs, that the
user may still see the BKM (a coordinator moved off it meanwhile gets nothing);
`Notice.emailed_at` under a row lock makes a second delivery of the same message a no-op.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import permissions as perms
from .models import Notice


@shared_task
@transaction.atomic
def send_notice_email(notice_id: int) -> str:
    notice = (
        Notice.objects.select_for_update(of=("self",))
        .select_related("user", "bkm", "actor")
        .filter(pk=notice_id)
        .first()
    )
    if notice is None:
        return "missing"
    if notice.emailed_at is not None:
        return "duplicate"
    user = notice.user
    if not user.email or not perms.can_still_see_notice(user, notice):
        return "skipped"
    with translation.override("id"):
        subject = _("[POKJA-PKP] %(what)s «%(subject)s»: %(status)s") % {
            "what": notice.get_kind_display(),
            "subject": notice.subject,
            "status": notice.status_display(),
        }
        body = render_to_string(
            "bkm/email/notice.txt",
            {"notice": notice, "url": settings.PORTAL_BASE_URL.rstrip("/") + notice.url},
        )
    send_mail(subject[:250], body, None, [user.email])
    notice.emailed_at = timezone.now()
    notice.save(update_fields=["emailed_at"])
    return "sent"
