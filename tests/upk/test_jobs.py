"""Import jobs: one claim per task, and the watchdog of report runs (re-queue a dead worker's job within its attempts)."""

from __future__ import annotations

import socket
import subprocess
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from core.models import OutboxMessage, OutboxStatus
from upk import jobs
from upk.models import ImportJob


def _job(upk, manager) -> ImportJob:
    return jobs.import_job_create(
        upk=upk, upload=ContentFile(b"lembar;x", name="buku.csv"), original_name="buku.csv", dry_run=True, actor=manager
    )


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_import_job_create_records_the_task_with_the_job(upk, manager):
    job = _job(upk, manager)
    message = OutboxMessage.objects.get(task=jobs.IMPORT_TASK, args=[job.pk])
    assert message.status == OutboxStatus.PENDING  # sent only after the commit
    assert jobs.import_job_waiting_for_queue(job=job)


def test_import_job_start_claims_once_per_task(upk, manager):
    job = _job(upk, manager)
    assert jobs.import_job_start(job_id=job.pk, task_id="a", worker_hostname="w1")
    # Another message for the same job (a duplicate send) does not start a second import...
    assert not jobs.import_job_start(job_id=job.pk, task_id="b", worker_hostname="w2")
    # ...its own redelivery does.
    assert jobs.import_job_start(job_id=job.pk, task_id="a", worker_hostname="w1")
    job.refresh_from_db()
    assert job.status == ImportJob.RUNNING and job.attempts == 2


def test_import_watchdog_requeues_dead_worker_job_then_fails_it(upk, manager, settings):
    settings.UPK_IMPORT_MAX_ATTEMPTS = 2
    job = _job(upk, manager)
    assert jobs.import_job_start(job_id=job.pk, task_id="a", worker_hostname="")
    ImportJob.objects.filter(pk=job.pk).update(worker_host=socket.gethostname(), worker_pid=_dead_pid())
    moved = dict(jobs.import_jobs_watchdog())
    job.refresh_from_db()
    assert job.pk in moved and job.status == ImportJob.PENDING
    assert OutboxMessage.objects.filter(task=jobs.IMPORT_TASK, args=[job.pk]).count() == 2
    assert jobs.import_job_start(job_id=job.pk, task_id="b", worker_hostname="")
    ImportJob.objects.filter(pk=job.pk).update(worker_host=socket.gethostname(), worker_pid=_dead_pid())
    moved = dict(jobs.import_jobs_watchdog())
    job.refresh_from_db()
    assert job.status == ImportJob.FAILED and "berhenti sebelum impor selesai" in job.errors[0]["message"]


def test_import_watchdog_fails_overdue_and_never_picked_up_jobs(upk, manager):
    running, pending, fresh = _job(upk, manager), _job(upk, manager), _job(upk, manager)
    long_ago = timezone.now() - timedelta(seconds=jobs.conf("UPK_IMPORT_TIME_LIMIT") + 3600)
    jobs.import_job_start(job_id=running.pk, task_id="a", worker_hostname="")
    ImportJob.objects.filter(pk=running.pk).update(started_at=long_ago)
    ImportJob.objects.filter(pk=pending.pk).update(
        created_at=timezone.now() - timedelta(seconds=jobs.conf("UPK_IMPORT_QUEUED_TIMEOUT") + 5)
    )
    moved = dict(jobs.import_jobs_watchdog())
    assert set(moved) == {running.pk, pending.pk}
    fresh.refresh_from_db()
    assert fresh.status == ImportJob.PENDING
