from __future__ import annotations

from celery import shared_task

from .models import User


@shared_task
def users_count() -> int:
    """Smoke task: proves a worker reaches the same database as the web side."""
    return User.objects.count()
