"""`/healthz`: what the deployment's probes and the monitoring ask (docs/operations.md).

Four checks, each with a short timeout: the database answers, the broker accepts a connection,
MEDIA_ROOT takes a file, and the worker's heartbeat (a beat task run by a worker every minute)
is fresh. `/healthz` answers 200 when all pass and 503 naming the failing ones; `/healthz?web`
checks only what the web process itself needs (database and media), for the web container's probe,
so a stopped worker does not get the web container restarted.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from .models import WorkerHeartbeat
from .storage import media_writable

HEARTBEAT_MAX_AGE = timedelta(minutes=3)


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def check_broker() -> bool:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True  # embedded mode: no broker to reach
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


def check_worker() -> bool:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True
    try:
        beat = WorkerHeartbeat.objects.filter(name="default").values_list("beat_at", flat=True).first()
    except Exception:
        return False
    return beat is not None and timezone.now() - beat < HEARTBEAT_MAX_AGE


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    checks: dict[str, Any] = {"database": check_database, "media": media_writable}
    if "web" not in request.GET:
        checks |= {"broker": check_broker, "worker": check_worker}
    results = {name: ("ok" if check() else "gagal") for name, check in checks.items()}
    healthy = all(v == "ok" for v in results.values())
    return HttpResponse(
        json.dumps({"status": "ok" if healthy else "gagal", "checks": results}),
        content_type="application/json",
        status=200 if healthy else 503,
    )
