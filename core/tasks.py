from __future__ import annotations

from celery import shared_task

from .models import User


@shared_task
def users_count() -> int:
    """Smoke task: proves a worker reaches the same database as the web side."""
    return User.objects.count()


@shared_task
def outbox_sweep() -> int:
    """Periodic (django-celery-beat, every minute): send outbox messages the broker did not take before."""
    from .outbox import outbox_dispatch

    return outbox_dispatch()
