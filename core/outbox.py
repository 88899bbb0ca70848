"""Transactional outbox: every Celery task that follows a write is stored with the write.

`outbox_add(task=..., args=[...])` inside the write's transaction records an `OutboxMessage`; the
message leaves for the broker in three ways, none of which needs a worker:

1. right after the commit (`transaction.on_commit`) in the process that wrote it;
2. the periodic sweep `core.tasks.outbox_sweep` (django-celery-beat, every minute) while the broker
   and a worker are up;
3. the web side's sweep (`OutboxSweepMiddleware`: after a response, at most every
   `OUTBOX_WEB_SWEEP_SECONDS` per process) and `manage.py outbox_dispatch` (cron), which keep
   working while the broker or every worker is down — the case the beat sweep cannot cover.

A send the broker refuses leaves the row pending with `attempts + 1` and `next_attempt_at` pushed
back exponentially (`OUTBOX_RETRY_BACKOFF` · 2^attempts, at most `OUTBOX_RETRY_BACKOFF_MAX`);
after `OUTBOX_MAX_ATTEMPTS` the row is failed and logged. Rows are taken with
`SELECT … FOR UPDATE SKIP LOCKED`, so two dispatchers never send the same row; the Celery task id
is `outbox-<id>`, and the worker marks the row done when the task starts (`task_prerun`). Tasks
stay idempotent (they claim their run/job/e-mail row), which covers the rare double send of a
process that died between the broker's "yes" and its own commit.

Embedded mode (no CELERY_BROKER_URL, `runs_in_process()`): there is no broker and no worker; a
task runs in this process when its message is sent. A task declared with `embedded_background=True`
(a long job the user follows on a progress page, e.g. `reports.tasks.report_generate`) runs in a
daemon thread started after the sending transaction commits, so the request that asked answers
at once; every other task runs in the sender's thread, as before.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import connections, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

TASK_ID_PREFIX = "outbox-"

#: What a user is told when the broker did not take the task: the write itself is safe.
QUEUE_UNREACHABLE_MESSAGE = _("Permintaan tercatat; akan dimulai begitu antrean dapat dijangkau.")

DEFAULTS: dict[str, Any] = {
    "OUTBOX_MAX_ATTEMPTS": 40,
    "OUTBOX_RETRY_BACKOFF": 5,
    "OUTBOX_RETRY_BACKOFF_MAX": 600,
    "OUTBOX_WEB_SWEEP_SECONDS": 30,
    "OUTBOX_BATCH": 200,
}


def conf(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])


def outbox_add(*, task: str, args: list[Any]) -> OutboxMessage:
    """Record the task in the current transaction and try to send it as soon as that commits."""
    message = OutboxMessage.objects.create(task=task, args=list(args))
    message_id = message.pk
    transaction.on_commit(lambda: outbox_dispatch(message_ids=[message_id]))
    return message


def outbox_waiting(*, task: str, args: list[Any]) -> bool:
    """True while a task for these arguments has not reached the broker (the user is told so)."""
    return outbox_waiting_any(task=task, args_list=[args])


def outbox_waiting_any(*, task: str, args_list: list[list[Any]]) -> bool:
    """True while any of these tasks has not reached the broker."""
    if not args_list:
        return False
    return OutboxMessage.objects.filter(
        task=task, args__in=[list(a) for a in args_list], status=OutboxStatus.PENDING
    ).exists()


def _backoff(attempts: int) -> timedelta:
    base = conf("OUTBOX_RETRY_BACKOFF") * (2 ** min(attempts, 16))
    return timedelta(seconds=min(base, conf("OUTBOX_RETRY_BACKOFF_MAX")))


def _task(name: str) -> Any:
    """The registered task; its module is imported first if this process has not loaded it yet."""
    if name not in current_app.tasks:
        importlib.import_module(name.rsplit(".", 1)[0])
    return current_app.tasks[name]


def runs_in_process() -> bool:
    """Embedded mode (`make run`: no CELERY_BROKER_URL): tasks run in this process, there is no worker."""
    return bool(current_app.conf.task_always_eager)


def _apply_here(task: Any, args: list[Any], task_id: str) -> None:
    # The task's own failure is not a refused send: it is logged, the message stays sent.
    result = task.apply(args=args, task_id=task_id, throw=False)
    if result.failed():
        logger.error("Task %s %s failed in process: %r", task.name, args, result.result)


def _apply_in_background(task: Any, args: list[Any], task_id: str) -> None:
    """Run the task in a daemon thread once the current transaction commits (the rows it reads exist)."""

    def work() -> None:
        try:
            _apply_here(task, args, task_id)
        except Exception:
            logger.exception("Task %s %s failed in its background thread", task.name, args)
        finally:
            connections.close_all()  # this thread's own connection

    transaction.on_commit(lambda: threading.Thread(target=work, name=task_id, daemon=True).start())


def _send(message: OutboxMessage) -> None:
    task = _task(message.task)
    task_id = f"{TASK_ID_PREFIX}{message.pk}"
    if runs_in_process():
        if getattr(task, "embedded_background", False):
            _apply_in_background(task, list(message.args), task_id)
        else:
            _apply_here(task, list(message.args), task_id)
        return
    task.apply_async(args=message.args, task_id=task_id, retry=False)


def outbox_dispatch(*, message_ids: list[int] | None = None, limit: int | None = None) -> int:
    """Send due pending messages (or only `message_ids`); returns how many the broker took.

    Stops at the first refusal: the broker is down, the rest would fail the same way.
    """
    now = timezone.now()
    qs = OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
    qs = qs.filter(pk__in=message_ids) if message_ids is not None else qs.filter(next_attempt_at__lte=now)
    sent = 0
    with transaction.atomic():
        batch = list(qs.order_by("pk").select_for_update(skip_locked=True)[: limit or conf("OUTBOX_BATCH")])
        for message in batch:
            try:
                _send(message)
            except Exception as exc:  # the broker's errors vary by transport; every one means "not taken"
                attempts = message.attempts + 1
                gave_up = attempts >= conf("OUTBOX_MAX_ATTEMPTS")
                OutboxMessage.objects.filter(pk=message.pk).update(
                    attempts=attempts,
                    next_attempt_at=now + _backoff(attempts),
                    last_error=f"{type(exc).__name__}: {exc}"[:500],
                    status=OutboxStatus.FAILED if gave_up else OutboxStatus.PENDING,
                )
                log = logger.error if gave_up else logger.warning
                log(
                    "Outbox %s (%s %s) not queued, attempt %d: %s",
                    message.pk,
                    message.task,
                    message.args,
                    attempts,
                    exc,
                )
                break
            OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.PENDING).update(
                status=OutboxStatus.SENT, sent_at=timezone.now(), attempts=message.attempts + 1, last_error=""
            )
            sent += 1
    return sent


def outbox_acknowledge(*, task_id: str) -> None:
    """The worker started the task sent as `task_id` (called from Celery's task_prerun)."""
    if not task_id.startswith(TASK_ID_PREFIX) or not task_id[len(TASK_ID_PREFIX) :].isdigit():
        return
    OutboxMessage.objects.filter(pk=int(task_id[len(TASK_ID_PREFIX) :])).exclude(status=OutboxStatus.DONE).update(
        status=OutboxStatus.DONE, acknowledged_at=timezone.now()
    )


class OutboxSweepMiddleware:
    """After a response, send what is due — at most every OUTBOX_WEB_SWEEP_SECONDS in this process.

    This is the dispatcher that needs neither a worker nor beat: the first requests after the broker
    comes back send what waited. A sweep that finds nothing due costs one indexed query.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._next_sweep = time.monotonic() + conf("OUTBOX_WEB_SWEEP_SECONDS")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + conf("OUTBOX_WEB_SWEEP_SECONDS")
            try:
                outbox_dispatch()
            except Exception:  # a sweep must never break the page it follows
                logger.exception("Outbox sweep failed")
        return response
