"""Is the worker that took a job still there? Shared by the report and import watchdogs."""

from __future__ import annotations

import os

from celery import current_app
from django.conf import settings


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def alive_workers(hostnames: set[str]) -> set[str]:
    """The Celery workers among `hostnames` that answer a ping (none in embedded mode)."""
    if not hostnames or settings.CELERY_TASK_ALWAYS_EAGER:
        return set()
    replies = current_app.control.ping(destination=sorted(hostnames), timeout=1.5) or []
    return {name for reply in replies for name in reply}
