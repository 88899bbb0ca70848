from __future__ import annotations

from celery import shared_task


@shared_task
def import_books(job_id: int) -> str:
    """Run one UPK books import (queued on commit by the upload view)."""
    from .imports import run_job

    return run_job(job_id).status
