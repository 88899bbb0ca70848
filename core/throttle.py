"""Abuse limits beside django-axes' per-account lockout (issue 13).

- Login per IP address: django-axes locks a (username, IP) pair after AXES_FAILURE_LIMIT failures;
  an address that fails LOGIN_IP_FAILURE_LIMIT times within the cool-off over *any* usernames is
  refused too (one guessing client trying many accounts). Counted from axes' own attempt rows, so
  every web process sees the same numbers.
- Password-reset mails: at most PASSWORD_RESET_IP_LIMIT requests per address and
  PASSWORD_RESET_EMAIL_LIMIT per e-mail address per hour, counted whether or not an account has
  that address (the answer never tells).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

from .models import RateLimitEvent

WINDOW = timedelta(hours=1)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def client_ip(request: HttpRequest) -> str:
    """The client address as django-axes sees it (same proxy settings)."""
    return get_client_ip_address(request) or ""


def login_ip_blocked(request: HttpRequest) -> bool:
    ip = client_ip(request)
    if not ip:
        return False
    since = timezone.now() - WINDOW
    failures = AccessAttempt.objects.filter(ip_address=ip, attempt_time__gte=since).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return (failures or 0) >= _setting("LOGIN_IP_FAILURE_LIMIT", 20)


def _digest(text: str) -> str:
    return hashlib.sha256(text.strip().lower().encode()).hexdigest()


def password_reset_allowed(*, request: HttpRequest, email: str) -> bool:
    """Count this request and say whether a mail may go out (False: over a limit; nothing is sent)."""
    now = timezone.now()
    RateLimitEvent.objects.filter(created_at__lt=now - WINDOW).delete()
    ip_key, mail_key = f"ip:{client_ip(request)}", f"email:{_digest(email)}"
    recent = RateLimitEvent.objects.filter(kind=RateLimitEvent.Kind.PASSWORD_RESET, created_at__gte=now - WINDOW)
    over = recent.filter(key=ip_key).count() >= _setting("PASSWORD_RESET_IP_LIMIT", 10) or recent.filter(
        key=mail_key
    ).count() >= _setting("PASSWORD_RESET_EMAIL_LIMIT", 3)
    RateLimitEvent.objects.bulk_create(
        [RateLimitEvent(kind=RateLimitEvent.Kind.PASSWORD_RESET, key=k) for k in (ip_key, mail_key)]
    )
    return not over
