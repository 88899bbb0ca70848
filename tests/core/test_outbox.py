"""The outbox with the broker really down: a Redis of the test's own, stopped and started again.

Never the shared Redis: this module starts `redis-server` on a free port, points the web side's
Celery app and a worker of its own at it, and stops/starts only that server.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import current_app
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from core.models import OutboxMessage, OutboxStatus
from core.outbox import outbox_add, outbox_dispatch
from forum import services as forum_services
from forum.models import EmailDelivery, Notification, WatchLevel
from reports.models import ReportRun, RunStatus
from tests.factories import UserFactory
from tests.forum.conftest import ensure_reference_data as ensure_forum_reference_data
from tests.upk.test_imports import _good_data, _workbook
from upk import services as upk_services
from upk.models import ImportJob

ROOT = Path(__file__).resolve().parent.parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("own redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


def _point_celery_at(url: str) -> None:
    # Celery reads CELERY_BROKER_URL from the environment before its configuration (test settings set it).
    os.environ["CELERY_BROKER_URL"] = url
    app = current_app
    app._pool = None
    app.amqp._producer_pool = None
    assert app.connection_for_write().as_uri().endswith(url.rsplit(":", 1)[1])


@pytest.fixture
def own_broker() -> Iterator[OwnRedis]:
    redis = OwnRedis()
    redis.start()
    old = os.environ["CELERY_BROKER_URL"]
    _point_celery_at(redis.url)
    try:
        yield redis
    finally:
        _point_celery_at(old)
        redis.stop()


@pytest.fixture
def own_worker(own_broker, transactional_db) -> Iterator[str]:
    from django.conf import settings

    from pokja_portal.celery_queues import all_queues

    name = f"outbox-{os.getpid()}@{socket.gethostname()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pokja_portal.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "CELERY_BROKER_URL": own_broker.url,
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "pokja_portal",
            "worker",
            "-Q",
            ",".join(all_queues(settings.CELERY_TASK_DEFAULT_QUEUE)),
        ]
        + ["-n", name, "-P", "solo", "--without-gossip", "--without-mingle", "-l", "warning"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not current_app.control.ping(destination=[name], timeout=0.5):
            assert proc.poll() is None and time.monotonic() < deadline, "own worker did not start"
        yield name
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait(predicate, timeout: float = 90.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.mark.django_db
def test_outbox_dispatch_backs_off_and_gives_up_while_broker_refuses(own_broker, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    own_broker.stop()
    message = outbox_add(task="core.tasks.users_count", args=[])
    assert outbox_dispatch(message_ids=[message.pk]) == 0
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and message.attempts == 1
    assert message.next_attempt_at > message.created_at and message.last_error
    # Not due yet: the sweep leaves it alone.
    assert outbox_dispatch() == 0
    message.refresh_from_db()
    assert message.attempts == 1
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
    assert outbox_dispatch() == 0
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED and message.attempts == 2


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_broker_down_requests_are_recorded_then_run_once_when_it_returns(own_broker, own_worker, settings, bkm):
    ensure_forum_reference_data()
    settings.OUTBOX_RETRY_BACKOFF = 0
    staff = UserFactory(role="staff_admin", username="staf_outbox")
    author = UserFactory(role="bkm_member", bkm=bkm, username="penulis_outbox")
    replier = UserFactory(role="bkm_member", bkm=bkm, username="pembalas_outbox")
    mentioned = UserFactory(role="bkm_member", bkm=bkm, username="disebut_outbox")
    for user in (author, mentioned):
        profile = forum_services.forum_profile_get(user=user)
        profile.default_watch_level = WatchLevel.SITE_AND_EMAIL
        profile.save()
    from forum.models import Category

    general = Category.objects.get(slug="kelembagaan-bkm")
    thread = forum_services.thread_create(user=author, category=general, title="Rapat koordinasi", source="Isi")
    upk = bkm.units.get(unit_type="upk")
    upk_services.settings.upk_setup(upk=upk)
    manager = UserFactory(role="upk_manager", username="manajer_outbox")
    manager.upk_units.set([upk])
    # Everything the setup queued (the thread's own notifications) has gone out.
    outbox_dispatch()

    own_broker.stop()
    settings.OUTBOX_WEB_SWEEP_SECONDS = 3600
    client = Client()
    client.force_login(staff)
    form = client.get(reverse("reports:request_form", args=["kolaborasi"]))
    token = form.context["request_token"]
    data = {"request_token": str(token)}
    response = client.post(reverse("reports:request_form", args=["kolaborasi"]), data, follow=True)
    assert response.status_code == 200
    assert any("akan dimulai begitu antrean dapat dijangkau" in m for m in _messages(response))
    # The form sent twice: still one run.
    assert client.post(reverse("reports:request_form", args=["kolaborasi"]), data).status_code == 302
    assert ReportRun.objects.count() == 1

    client.force_login(replier)
    response = client.post(
        reverse("forum:thread_reply", args=[thread.pk]),
        {"body": "Setuju, @disebut_outbox mohon hadir."},
        follow=True,
    )
    assert response.status_code == 200
    assert any("antrean dapat dijangkau" in m for m in _messages(response))
    emails = list(Notification.objects.filter(wants_email=True, post__thread=thread, actor=replier))
    assert {n.user_id for n in emails} == {author.pk, mentioned.pk}

    client.force_login(manager)
    upload = ContentFile(_workbook(_good_data(upk.bkm.kelurahan.name)), name="buku.xlsx")
    response = client.post(reverse("upk:import", args=[upk.pk]), {"file": upload, "dry_run": "on"}, follow=True)
    assert response.status_code == 200
    assert any("akan dimulai begitu antrean dapat dijangkau" in m for m in _messages(response))

    run = ReportRun.objects.get()
    job = ImportJob.objects.get(upk=upk)
    waiting = OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
    assert waiting.count() == 4  # one run, one import, two e-mails
    time.sleep(2)
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED

    # The broker comes back; the next page anyone opens sends what waited (no worker or beat needed).
    own_broker.start()
    settings.OUTBOX_WEB_SWEEP_SECONDS = 0
    later = Client()
    later.force_login(staff)
    assert later.get(reverse("reports:run_list")).status_code == 200
    assert not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists()

    def all_done() -> bool:
        run.refresh_from_db()
        job.refresh_from_db()
        delivered = EmailDelivery.objects.filter(notification__in=emails).count()
        return run.status == RunStatus.DONE and job.finished and delivered == len(emails)

    _wait(all_done, what="the run, the import and the e-mails")
    assert run.attempts == 1
    assert job.status == ImportJob.DONE and job.attempts == 1, job.errors
    # A second sweep has nothing to send, and nothing runs twice.
    assert outbox_dispatch() == 0
    time.sleep(2)
    for notification in emails:
        assert EmailDelivery.objects.filter(notification=notification).count() == 1
        assert EmailDelivery.objects.get(notification=notification).outcome == EmailDelivery.Outcome.SENT
    assert ReportRun.objects.count() == 1
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.DONE}
