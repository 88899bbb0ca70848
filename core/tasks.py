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


@shared_task(bind=True)
def worker_heartbeat(self) -> str:
    """Periodic (django-celery-beat, every minute): the worker records that it is alive (`/healthz`)."""
    from django.utils import timezone

    from .models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        name="default", defaults={"beat_at": timezone.now(), "worker": self.request.hostname or ""}
    )
    return "ok"
