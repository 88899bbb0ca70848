"""Celery tasks of the reports app: thin wrappers around `reports.services`.

`report_generate` is safe to run twice: late acknowledgement (a crash leaves
the message in the queue), retries with exponential back-off on transient
errors, soft/hard time limits, and an atomic file write. Whatever ends it, the
run ends `done` with its file or `failed` with its reason and no file; the
watchdog catches the cases where the worker itself vanished.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _

from . import conf
from .models import ReportRun

logger = logging.getLogger(__name__)

# Worth another try later: the database or the broker was briefly unreachable.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


class ReportTask(Task):
    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        # Retries exhausted (or an error escaped the task body): the run must not stay running.
        from .services import error_message_for, report_run_fail

        run_id = args[0] if args else kwargs.get("run_id")
        if run_id is not None:
            report_run_fail(run_id=run_id, message=error_message_for(exc))


@shared_task(
    bind=True,
    base=ReportTask,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=conf.get("REPORTS_RETRY_BACKOFF"),
    retry_backoff_max=conf.get("REPORTS_RETRY_BACKOFF_MAX"),
    retry_jitter=True,
    max_retries=conf.get("REPORTS_MAX_RETRIES"),
    soft_time_limit=conf.get("REPORTS_SOFT_TIME_LIMIT"),
    time_limit=conf.get("REPORTS_TIME_LIMIT"),
    # Embedded mode: a thread after the request's commit (core.outbox), the progress page polls it.
    embedded_background=True,
)
def report_generate(self: Task, run_id: int) -> str:
    from .services import (
        error_message_for,
        report_run_fail,
        report_run_generate,
        report_run_start,
        report_runs_watchdog,
    )

    if self.request.is_eager:
        # Embedded mode has no beat to run the watchdog: fail first what an earlier server process left running.
        report_runs_watchdog()

    run = report_run_start(run_id=run_id, task_id=self.request.id or "", worker_hostname=self.request.hostname or "")
    if run is None:
        return "skipped"
    try:
        report_run_generate(run=run)
    except TRANSIENT_ERRORS:
        raise  # autoretry with back-off; ReportTask.on_failure when retries run out
    except SoftTimeLimitExceeded:
        report_run_fail(
            run_id=run_id,
            message=_("Melebihi batas waktu %(s)d detik.") % {"s": conf.get("REPORTS_SOFT_TIME_LIMIT")},
        )
        return "failed"
    except Exception as exc:
        logger.exception("Report run %s failed", run_id)
        report_run_fail(run_id=run_id, message=error_message_for(exc))
        return "failed"
    return "done"


@shared_task
def report_watchdog() -> list[int]:
    """Periodic (django-celery-beat, every 2 minutes): fail runs whose worker vanished or ran out of time."""
    from .services import report_runs_watchdog

    return [run_id for run_id, _reason in report_runs_watchdog()]


@shared_task
def report_scheduled(report_type: str) -> int | None:
    """Periodic (django-celery-beat): produce a scheduled report; subscribers are mailed when it is done."""
    from .services import report_schedule_run

    run = report_schedule_run(report_type=report_type)
    return run.pk if run else None


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def report_email_subscribers(run_id: int) -> int:
    from .services import report_notify_subscribers

    run = ReportRun.objects.filter(pk=run_id).first()
    return report_notify_subscribers(run=run) if run else 0
