"""/healthz: database, broker, media writable, worker heartbeat."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import WorkerHeartbeat
from tests.core.test_outbox import _free_port, _point_celery_at


def _get(client, url="/healthz"):
    response = client.get(url)
    return response.status_code, json.loads(response.content)["checks"]


@pytest.mark.django_db
def test_healthz_all_ok_with_fresh_heartbeat(client):
    WorkerHeartbeat.objects.create(name="default", beat_at=timezone.now(), worker="w@h")
    status, checks = _get(client)
    assert status == 200 and checks == {"database": "ok", "media": "ok", "broker": "ok", "worker": "ok"}


@pytest.mark.django_db
def test_healthz_stale_heartbeat_is_503_but_web_probe_is_200(client):
    WorkerHeartbeat.objects.create(name="default", beat_at=timezone.now() - timedelta(minutes=10))
    status, checks = _get(client)
    assert status == 503 and checks["worker"] == "gagal" and checks["database"] == "ok"
    status, checks = _get(client, "/healthz?web")
    assert status == 200 and set(checks) == {"database", "media"}


@pytest.mark.django_db
def test_healthz_media_not_writable_is_503(client, settings, tmp_path):
    blocker = tmp_path / "bukan-direktori"
    blocker.write_text("x")
    settings.MEDIA_ROOT = str(blocker / "media")
    status, checks = _get(client, "/healthz?web")
    assert status == 503 and checks["media"] == "gagal"


@pytest.mark.django_db
def test_healthz_broker_down_is_503(client):
    WorkerHeartbeat.objects.create(name="default", beat_at=timezone.now())
    old = os.environ["CELERY_BROKER_URL"]
    _point_celery_at(f"redis://127.0.0.1:{_free_port()}/0")  # nothing listens there
    try:
        status, checks = _get(client)
    finally:
        _point_celery_at(old)
    assert status == 503 and checks["broker"] == "gagal" and checks["worker"] == "ok"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_heartbeat_task_runs_on_worker(celery_worker):
    from core.tasks import worker_heartbeat

    assert worker_heartbeat.delay().get(timeout=30) == "ok"
    beat = WorkerHeartbeat.objects.get(name="default")
    assert timezone.now() - beat.beat_at < timedelta(minutes=1) and beat.worker == celery_worker
