from __future__ import annotations

import logging

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils.translation import gettext as _

from .jobs import DEFAULTS

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=DEFAULTS["UPK_IMPORT_SOFT_TIME_LIMIT"],
    time_limit=DEFAULTS["UPK_IMPORT_TIME_LIMIT"],
)
def import_books(self: Task, job_id: int) -> str:
    """Run one UPK books import (recorded with its upload through core.outbox, upk.jobs)."""
    from .jobs import import_job_fail, import_job_start
    from .services.imports import run_job

    if not import_job_start(job_id=job_id, task_id=self.request.id or "", worker_hostname=self.request.hostname or ""):
        return "skipped"
    try:
        return run_job(job_id).status
    except SoftTimeLimitExceeded:
        import_job_fail(job_id=job_id, message=_("Melebihi batas waktu impor."))
        return "failed"
    except Exception:
        # Whatever it was, the job must not stay "running"; details go to the log, not to the page.
        logger.exception("Import job %s failed", job_id)
        import_job_fail(job_id=job_id, message=_("Impor gagal karena kesalahan sistem; tidak ada yang dicatat."))
        return "failed"


@shared_task
def import_watchdog() -> list[int]:
    """Periodic (django-celery-beat, every 2 minutes): re-queue or fail imports whose worker vanished."""
    from .jobs import import_jobs_watchdog

    return [job_id for job_id, _reason in import_jobs_watchdog()]


@shared_task
def figures_nightly() -> dict[str, int]:
    """Daily (django-celery-beat, 00:10 WIB): prune stored figures of past days that are not month ends,
    then compute every UPK's figures as of today and the last month end, so the first dashboard, UPK home
    or API request of the day reads them instead of paying every UPK's aggregate (1-4 s at province scale).
    Whatever a posting changes later that day is recomputed for its UPK alone by the next reader."""
    from datetime import timedelta

    from django.utils import timezone

    from . import figures, selectors

    today = timezone.localdate()
    pruned = figures.prune(before=today)
    ids = figures.upk_ids()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    if ids:
        selectors.portfolio_summary_dates(upk_ids=ids, dates=[today, last_month_end])
    logger.info("Stored figures: %d old rows pruned, %d UPKs computed as of %s", pruned, len(ids), today)
    return {"pruned": pruned, "upks": len(ids)}
