"""Celery queues: work that waits does not block work that doesn't.

Reports (a province report runs for minutes), imports of UPK books and mail/notifications each have a
queue of their own, named after the deployment's queue prefix (CELERY_QUEUE, default "pokja"); what is
not routed (the smoke task, the report watchdog) uses the prefix itself. docker-compose.yml runs one
worker per queue (docs/operations.md). Plain Python, imported by the settings.
"""

from __future__ import annotations

KINDS = ("reports", "imports", "mail")

# Task name → kind of work.
ROUTED = {
    "reports.tasks.report_generate": "reports",
    "reports.tasks.report_scheduled": "reports",
    "upk.tasks.import_books": "imports",
    "reports.tasks.report_email_subscribers": "mail",
    "forum.tasks.send_notification_email": "mail",
    "forum.tasks.send_digest": "mail",
    "forum.tasks.send_daily_digests": "mail",
    "bkm.tasks.send_notice_email": "mail",
}


def queue_name(prefix: str, kind: str) -> str:
    return f"{prefix}-{kind}"


def all_queues(prefix: str) -> list[str]:
    """Every queue of a deployment: the default one (the prefix) and one per kind of work."""
    return [prefix, *(queue_name(prefix, kind) for kind in KINDS)]


def task_routes(prefix: str) -> dict[str, dict[str, str]]:
    return {task: {"queue": queue_name(prefix, kind)} for task, kind in ROUTED.items()}
