"""Writes of an import job's life (the import itself is upk.services.imports): record, claim, watch.

Kept out of upk/services/, which holds the ledger's postings. A job moves pending → running →
done | failed; like a report run (reports.services) every move is a conditional UPDATE, so a
worker and the watchdog racing on one job cannot both win.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.outbox import outbox_add, outbox_waiting
from core.storage import file_writes
from core.workers import alive_workers, pid_alive

from .models import ImportJob

logger = logging.getLogger(__name__)

IMPORT_TASK = "upk.tasks.import_books"

DEFAULTS: dict[str, Any] = {
    # Celery limits of one import (seconds); the watchdog fails jobs running past the hard one.
    "UPK_IMPORT_SOFT_TIME_LIMIT": 25 * 60,
    "UPK_IMPORT_TIME_LIMIT": 30 * 60,
    "UPK_IMPORT_WATCHDOG_GRACE": 60,
    # Starts of one job (redeliveries and re-queues after a crashed worker) before it is given up.
    "UPK_IMPORT_MAX_ATTEMPTS": 3,
    # A job no worker picked up for this long is failed.
    "UPK_IMPORT_QUEUED_TIMEOUT": 6 * 60 * 60,
}


def conf(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])


@file_writes()
@transaction.atomic
def import_job_create(*, upk: Any, upload: Any, original_name: str, dry_run: bool, actor: Any) -> ImportJob:
    """Record an upload and its task in one transaction (core.outbox); the task leaves after the commit."""
    job = ImportJob.objects.create(
        upk=upk, file=upload, original_name=original_name[:255], dry_run=dry_run, created_by=actor
    )
    outbox_add(task=IMPORT_TASK, args=[job.pk])
    return job


def import_job_waiting_for_queue(*, job: ImportJob) -> bool:
    return outbox_waiting(task=IMPORT_TASK, args=[job.pk])


def import_job_start(*, job_id: int, task_id: str, worker_hostname: str) -> bool:
    """Claim a job for this task: a pending one, or a running one this very task had (a redelivery)."""
    mine = Q(status=ImportJob.PENDING) | Q(status=ImportJob.RUNNING, task_id=task_id or "")
    claimed = ImportJob.objects.filter(mine, pk=job_id, attempts__lt=conf("UPK_IMPORT_MAX_ATTEMPTS")).update(
        status=ImportJob.RUNNING,
        started_at=timezone.now(),
        attempts=F("attempts") + 1,
        task_id=task_id or "",
        worker_hostname=worker_hostname or "",
        worker_host=socket.gethostname(),
        worker_pid=os.getpid(),
    )
    if not claimed and ImportJob.objects.filter(mine, pk=job_id).exists():
        import_job_fail(job_id=job_id, message=_("Dihentikan: terlalu banyak percobaan."))
    return bool(claimed)


def import_job_fail(*, job_id: int, message: str) -> bool:
    """End an unfinished job as failed with one Indonesian message (shown on its page)."""
    return bool(
        ImportJob.objects.filter(pk=job_id, status__in=[ImportJob.PENDING, ImportJob.RUNNING]).update(
            status=ImportJob.FAILED,
            finished_at=timezone.now(),
            errors=[{"sheet": "", "row": 0, "column": "", "message": message}],
        )
    )


def import_job_requeue(*, job_id: int) -> bool:
    """Put a running job whose worker died back in the queue, if it has attempts left."""
    with transaction.atomic():
        requeued = ImportJob.objects.filter(
            pk=job_id, status=ImportJob.RUNNING, attempts__lt=conf("UPK_IMPORT_MAX_ATTEMPTS")
        ).update(status=ImportJob.PENDING, processed=0, task_id="", worker_hostname="", worker_pid=None)
        if requeued:
            outbox_add(task=IMPORT_TASK, args=[job_id])
    return bool(requeued)


def import_jobs_watchdog(*, now: datetime | None = None) -> list[tuple[int, str]]:
    """The report watchdog's rules for import jobs; returns (job id, reason) for each job it moved.

    Past the hard time limit: failed. Worker process gone (same machine) or worker not answering a
    ping: queued again while attempts remain, failed after. Pending past the queue timeout: failed.
    """
    now = now or timezone.now()
    moved: list[tuple[int, str]] = []
    limit = timedelta(seconds=conf("UPK_IMPORT_TIME_LIMIT") + conf("UPK_IMPORT_WATCHDOG_GRACE"))
    running = list(ImportJob.objects.filter(status=ImportJob.RUNNING))
    this_host = socket.gethostname()
    alive = alive_workers({j.worker_hostname for j in running if j.worker_hostname})
    for job in running:
        if job.started_at and now - job.started_at > limit:
            reason = _("Melebihi batas waktu %(s)d detik.") % {"s": conf("UPK_IMPORT_TIME_LIMIT")}
            if import_job_fail(job_id=job.pk, message=reason):
                moved.append((job.pk, reason))
            continue
        if job.worker_host == this_host and job.worker_pid and not pid_alive(job.worker_pid):
            reason = _("Proses worker (PID %(pid)s) berhenti sebelum impor selesai.") % {"pid": job.worker_pid}
        elif job.worker_hostname and not settings.CELERY_TASK_ALWAYS_EAGER and job.worker_hostname not in alive:
            reason = _("Worker %(name)s tidak lagi aktif.") % {"name": job.worker_hostname}
        else:
            continue
        if import_job_requeue(job_id=job.pk) or import_job_fail(job_id=job.pk, message=reason):
            logger.warning("Import job %s moved by watchdog: %s", job.pk, reason)
            moved.append((job.pk, reason))
    stale = now - timedelta(seconds=conf("UPK_IMPORT_QUEUED_TIMEOUT"))
    for job_id in ImportJob.objects.filter(status=ImportJob.PENDING, created_at__lt=stale).values_list("pk", flat=True):
        reason = _("Tidak diambil worker dalam batas waktu antrean.")
        if import_job_fail(job_id=job_id, message=reason):
            moved.append((job_id, reason))
    return moved
