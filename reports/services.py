"""Writes of the reports app: asking for a report, running it, failing it, mailing it.

A run moves queued → running → done | failed. `report_run_start`,
`report_run_finish` and `report_run_fail` each move it with one conditional
UPDATE (`WHERE status IN (...)`), so a worker and the watchdog racing on the
same run cannot both win: whoever updates first decides, the other sees 0 rows.
"""

from __future__ import annotations

import inspect
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.db_router import replica_reads
from core.outbox import outbox_add, outbox_waiting
from core.storage import DISK_FULL, NOT_WRITABLE, storage_error_message
from core.workers import alive_workers, pid_alive

from . import conf
from .models import ACTIVE_STATUSES, ReportRun, ReportSubscription, RunStatus, WarningAcknowledgement
from .pdf import format_datetime_wib, remove_temps, remove_with_temps, render_pdf, write_atomically
from .permissions import check_report_request, check_run_access, check_subscribe, check_warning_acknowledge
from .registry import ReportType, UnknownReportType, get_report_type

logger = logging.getLogger(__name__)


class ReportError(Exception):
    """An expected failure of a report build; its message (Indonesian) is shown to the user."""


# --- Asking -------------------------------------------------------------------


def _validated_params(*, report_type: ReportType, params: dict[str, Any], user: Any) -> dict[str, Any]:
    form = report_type.module().Params.from_params(params, user=user)
    if not form.is_valid():
        raise ValidationError([f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()])
    return form.to_params()


def report_run_create(
    *,
    user: Any,
    report_type: str,
    params: dict[str, Any],
    notify_subscribers: bool = False,
    request_token: uuid.UUID | None = None,
) -> ReportRun:
    """Record a run without queuing it (the caller queues; see `report_request`)."""
    try:
        rt = get_report_type(report_type)
    except UnknownReportType:
        raise Http404 from None
    clean = _validated_params(report_type=rt, params=params, user=user)
    return ReportRun.objects.create(
        report_type=rt.name,
        parameters=clean,
        requested_by=user if getattr(user, "is_authenticated", False) else None,
        notify_subscribers=notify_subscribers,
        progress_message=_("Menunggu worker"),
        request_token=request_token,
    )


GENERATE_TASK = "reports.tasks.report_generate"


def report_run_enqueue(*, run: ReportRun) -> None:
    """Record the job in the run's transaction (core.outbox); it goes to the broker after the commit."""
    outbox_add(task=GENERATE_TASK, args=[run.pk])


def report_run_waiting_for_queue(*, run: ReportRun) -> bool:
    """True while the run's job has not reached the broker (the user is told it will start later)."""
    return outbox_waiting(task=GENERATE_TASK, args=[run.pk])


@transaction.atomic
def report_request(
    *, user: Any, report_type: str, params: dict[str, Any], request_token: uuid.UUID | None = None
) -> ReportRun:
    """A user asks for a report: check the right, record the run, queue the job after commit.

    `request_token` comes from the form: a second request with the same token (the form sent twice)
    returns the first run instead of making another. Tokens are looked up per user only, and a token
    the user already spent on a different request (another report or other parameters: the form
    changed and sent again) is a new run, recorded without a token.
    """
    try:
        rt = get_report_type(report_type)
    except UnknownReportType:
        raise Http404 from None
    # Permission on the raw parameters first, so an out-of-scope id is a 404,
    # not a form error that would confirm the object exists.
    check_report_request(user, rt, params)
    if request_token is not None:
        # Serialise the same user's requests so two simultaneous sends of one form meet here.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        earlier = ReportRun.objects.filter(requested_by=user, request_token=request_token).first()
        if earlier is not None:
            same = earlier.report_type == rt.name and earlier.parameters == _validated_params(
                report_type=rt, params=params, user=user
            )
            if same:
                return earlier
            request_token = None
    run = report_run_create(user=user, report_type=rt.name, params=params, request_token=request_token)
    report_run_enqueue(run=run)
    return run


# --- Running --------------------------------------------------------------------


def report_file_name(run: ReportRun) -> str:
    """The run's PDF path in private storage; fixed per run so a failure can always remove it."""
    return f"reports/{run.queued_at:%Y/%m}/{run.report_type}-{run.pk}.pdf"


def report_download_name(run: ReportRun) -> str:
    return f"laporan-{run.report_type.replace('_', '-')}-{run.pk}.pdf"


def report_run_start(*, run_id: int, task_id: str, worker_hostname: str) -> ReportRun | None:
    """Claim a run for this worker; None when it is finished, failed, or out of attempts.

    A running run may be claimed again: that is a retry of this task or a
    redelivery after its worker died (late acknowledgement).
    """
    now = timezone.now()
    # A queued run, or a running one claimed by this very task (its retry, or its redelivery after
    # a crash); never a run another message is working on (a watchdog re-queue sent a new one).
    mine = Q(status=RunStatus.QUEUED) | Q(status=RunStatus.RUNNING, task_id=task_id or "")
    claimed = ReportRun.objects.filter(mine, pk=run_id, attempts__lt=conf.get("REPORTS_MAX_ATTEMPTS")).update(
        status=RunStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        progress=0,
        progress_message=_("Dimulai"),
        task_id=task_id or "",
        worker_hostname=worker_hostname or "",
        worker_host=socket.gethostname(),
        worker_pid=os.getpid(),
    )
    if not claimed:
        if ReportRun.objects.filter(mine, pk=run_id, attempts__gte=conf.get("REPORTS_MAX_ATTEMPTS")).exists():
            report_run_fail(run_id=run_id, message=_("Dihentikan: terlalu banyak percobaan."))
        return None
    return ReportRun.objects.get(pk=run_id)


class ProgressReporter:
    """The `progress(percent, message)` callback builders get; writes at most about once a second."""

    def __init__(self, run_id: int, *, low: int = 0, high: int = 80) -> None:
        self.run_id = run_id
        self.low, self.high = low, high
        self._last_write = 0.0
        self._last_percent = -1

    def __call__(self, percent: float, message: str = "") -> None:
        scaled = int(self.low + (self.high - self.low) * max(0.0, min(100.0, float(percent))) / 100)
        now = time.monotonic()
        if scaled == self._last_percent and now - self._last_write < 1.0:
            return
        self._last_write, self._last_percent = now, scaled
        report_run_set_progress(run_id=self.run_id, percent=scaled, message=message)


def report_run_set_progress(*, run_id: int, percent: int, message: str = "") -> None:
    ReportRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
        progress=max(0, min(100, percent)), progress_message=message[:200], heartbeat_at=timezone.now()
    )


def report_context(
    *, rt: ReportType, params: dict[str, Any], requested_by: Any, run: ReportRun | None, progress: Callable
) -> dict[str, Any]:
    """What a report's PDF template renders: its builder's context and the title page's facts.

    Call inside `translation.override("id")` and WIB (as `report_run_generate` does)."""
    module = rt.module()
    kwargs: dict[str, Any] = {}
    if "user" in inspect.signature(module.build).parameters:
        # Builders that read through another app's per-user filter (the forum's)
        # read as the person who asked; scheduled runs have no one (None).
        kwargs["user"] = requested_by
    context = module.build(params=params, progress=progress, **kwargs)
    base = {
        "run": run,
        "report_label": str(rt.label),
        "produced_at": format_datetime_wib(timezone.now()),
        "requested_by": requested_by,
    }
    return {**base, **context}


def report_run_generate(*, run: ReportRun) -> None:
    """Build, render and store the PDF of a running run, then mark it done.

    Raises on failure; the caller decides between retry (transient errors) and
    `report_run_fail`.
    """
    rt = get_report_type(run.report_type)
    progress = ProgressReporter(run.pk, low=0, high=80)
    with translation.override("id"), timezone.override("Asia/Jakarta"):
        # The report's data from the read replica when one is configured (core/db_router.py).
        with replica_reads():
            context = report_context(
                rt=rt, params=run.parameters, requested_by=run.requested_by, run=run, progress=progress
            )
        report_run_set_progress(run_id=run.pk, percent=85, message=_("Menyusun PDF"))
        with replica_reads():  # querysets the template evaluates
            pdf = render_pdf(
                template=rt.module().TEMPLATE, context=context, progress=ProgressReporter(run.pk, low=85, high=95)
            )
    report_run_set_progress(run_id=run.pk, percent=95, message=_("Menyimpan berkas"))
    name = report_file_name(run)
    path = Path(default_storage.path(name))
    # Temp files an earlier attempt left when its worker was killed mid-write go now (one run has one writer).
    remove_temps(path)
    checksum = write_atomically(path, pdf)
    try:
        report_run_finish(run=run, file_name=name, size=len(pdf), checksum=checksum)
    except BaseException:
        remove_with_temps(path)
        raise


def report_run_finish(*, run: ReportRun, file_name: str, size: int, checksum: str) -> None:
    with transaction.atomic():
        done = ReportRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.DONE,
            progress=100,
            progress_message=_("Selesai"),
            finished_at=timezone.now(),
            pdf=file_name,
            pdf_size=size,
            checksum_sha256=checksum,
            error_message="",
        )
        if not done:
            # The watchdog failed this run meanwhile (it judged the worker gone or too slow).
            raise ReportError(_("Pembuatan laporan sudah dihentikan oleh pengawas."))
        if run.notify_subscribers:
            outbox_add(task="reports.tasks.report_email_subscribers", args=[run.pk])


def report_run_fail(*, run_id: int, message: str) -> bool:
    """Mark an unfinished run failed with its reason and remove any file it started. False if already ended."""
    run = ReportRun.objects.filter(pk=run_id).first()
    if run is None:
        return False
    failed = ReportRun.objects.filter(pk=run_id, status__in=ACTIVE_STATUSES).update(
        status=RunStatus.FAILED,
        finished_at=timezone.now(),
        error_message=message[:5000],
        progress_message=_("Gagal"),
        pdf="",
    )
    if failed:
        # A worker may have written the file (or a temp) before it died.
        remove_with_temps(Path(default_storage.path(report_file_name(run))))
    return bool(failed)


def error_message_for(exc: BaseException) -> str:
    """The reason a user reads on a failed run: our own messages as they are, infrastructure
    failures in Indonesian words; never an exception's text with server paths (that goes to the log)."""
    from django.db import DatabaseError

    if isinstance(exc, ReportError | ValidationError):
        text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        return text or _("Laporan tidak dapat dibuat.")
    if isinstance(exc, OSError) and exc.errno in DISK_FULL | NOT_WRITABLE:
        return storage_error_message(exc)
    if isinstance(exc, DatabaseError | ConnectionError | TimeoutError):
        return _("Basis data atau antrean tidak dapat dijangkau setelah beberapa percobaan; minta laporan lagi nanti.")
    if isinstance(exc, ValueError | LookupError) and not isinstance(exc, UnicodeError):
        return str(exc) or _("Laporan tidak dapat dibuat.")
    return _("Terjadi kesalahan sistem saat membuat laporan; rinciannya dicatat di log server.")


# --- Watchdog ---------------------------------------------------------------------


def report_runs_watchdog(*, now: datetime | None = None) -> list[tuple[int, str]]:
    """Fail or re-queue runs that can no longer finish; returns (run id, reason) for each.

    - running past the hard time limit (+ grace): the worker killed or lost it — failed;
    - running on a worker that no longer answers a ping, or whose process is
      gone when it ran on this machine (a child killed by the OOM killer
      while its parent still answers): queued again while attempts remain
      (`REPORTS_MAX_ATTEMPTS`), failed after;
    - queued for longer than REPORTS_QUEUED_TIMEOUT: no worker ever took it — failed.
    """
    now = now or timezone.now()
    failed: list[tuple[int, str]] = []
    limit = timedelta(seconds=conf.get("REPORTS_TIME_LIMIT") + conf.get("REPORTS_WATCHDOG_GRACE"))
    running = list(ReportRun.objects.filter(status=RunStatus.RUNNING))
    this_host = socket.gethostname()
    needs_ping = {r.worker_hostname for r in running if r.worker_hostname}
    alive = alive_workers(needs_ping)
    for run in running:
        reason = ""
        worker_gone = False
        if run.started_at and now - run.started_at > limit:
            reason = _("Melebihi batas waktu %(s)d detik.") % {"s": conf.get("REPORTS_TIME_LIMIT")}
        elif run.worker_host == this_host and run.worker_pid and not pid_alive(run.worker_pid):
            reason = _("Proses worker (PID %(pid)s) berhenti sebelum laporan selesai.") % {"pid": run.worker_pid}
            worker_gone = True
        elif run.worker_hostname and not settings.CELERY_TASK_ALWAYS_EAGER and run.worker_hostname not in alive:
            reason = _("Worker %(name)s tidak lagi aktif.") % {"name": run.worker_hostname}
            worker_gone = True
        if worker_gone and report_run_requeue(run_id=run.pk, reason=reason):
            logger.warning("Report run %s queued again by watchdog: %s", run.pk, reason)
            failed.append((run.pk, reason))
            continue
        if reason and report_run_fail(run_id=run.pk, message=reason):
            logger.warning("Report run %s failed by watchdog: %s", run.pk, reason)
            failed.append((run.pk, reason))
    stale = now - timedelta(seconds=conf.get("REPORTS_QUEUED_TIMEOUT"))
    for run_id in ReportRun.objects.filter(status=RunStatus.QUEUED, queued_at__lt=stale).values_list("pk", flat=True):
        reason = _("Tidak diambil worker dalam batas waktu antrean.")
        if report_run_fail(run_id=run_id, message=reason):
            failed.append((run_id, reason))
    return failed


def report_run_requeue(*, run_id: int, reason: str) -> bool:
    """Put a running run whose worker died back in the queue, if it has attempts left."""
    with transaction.atomic():
        requeued = ReportRun.objects.filter(
            pk=run_id, status=RunStatus.RUNNING, attempts__lt=conf.get("REPORTS_MAX_ATTEMPTS")
        ).update(
            status=RunStatus.QUEUED,
            progress=0,
            progress_message=_("Diantrekan ulang: %(reason)s") % {"reason": reason},
            task_id="",
            worker_hostname="",
            worker_pid=None,
        )
        if requeued:
            outbox_add(task=GENERATE_TASK, args=[run_id])
    return bool(requeued)


# --- Schedules and subscribers -------------------------------------------------------


def report_schedule_run(*, report_type: str, today: date | None = None) -> ReportRun | None:
    """The scheduled run of a type (no requesting user); its subscribers get the link when done."""
    try:
        rt = get_report_type(report_type)
    except UnknownReportType:
        logger.error("Scheduled report type %r is not registered; nothing produced.", report_type)
        return None
    if rt.scheduled_params is None:
        logger.error("Report type %r has no schedule parameters; nothing produced.", report_type)
        return None
    today = today or timezone.localdate()
    with transaction.atomic():
        run = report_run_create(
            user=None, report_type=rt.name, params=rt.scheduled_params(today), notify_subscribers=True
        )
        report_run_enqueue(run=run)
    return run


def report_subscription_set(*, user: Any, report_type: str, active: bool) -> ReportSubscription:
    try:
        rt = get_report_type(report_type)
    except UnknownReportType:
        raise Http404 from None
    check_subscribe(user, rt)
    sub, _created = ReportSubscription.objects.update_or_create(
        user=user, report_type=rt.name, defaults={"is_active": active}
    )
    return sub


def report_notify_subscribers(*, run: ReportRun, build_url: Callable[[str], str] | None = None) -> int:
    """Mail each active subscriber who may still see the run a link to it; returns the count.

    The mail carries a link, never the PDF: the download view checks the
    permission again when the link is followed.
    """
    if run.status != RunStatus.DONE:
        return 0
    build_url = build_url or (lambda path: settings.PORTAL_BASE_URL.rstrip("/") + path)
    label = get_report_type(run.report_type).label
    link = build_url(reverse("reports:run_download", args=[run.pk]))
    page = build_url(reverse("reports:run_detail", args=[run.pk]))
    sent = 0
    subs = ReportSubscription.objects.filter(report_type=run.report_type, is_active=True).select_related("user")
    for sub in subs:
        user = sub.user
        if not (user.is_active and user.email):
            continue
        try:
            check_run_access(user, run)
        except (PermissionDenied, Http404):
            continue
        with translation.override("id"):
            send_mail(
                subject=_("Laporan tersedia: %(label)s") % {"label": label},
                message=_(
                    "Yth. %(name)s,\n\n%(label)s telah selesai dibuat (%(when)s).\n"
                    "Unduh PDF (perlu masuk ke portal): %(link)s\n"
                    "Rincian: %(page)s\n\n"
                    "Anda menerima surel ini karena berlangganan laporan ini di Portal POKJA-PKP."
                )
                % {
                    "name": user,
                    "label": label,
                    "when": format_datetime_wib(run.finished_at or timezone.now()),
                    "link": link,
                    "page": page,
                },
                from_email=None,
                recipient_list=[user.email],
            )
        sent += 1
    return sent


# --- Warnings -------------------------------------------------------------------


def warning_acknowledge(*, user: Any, key: str, subject: str, note: str) -> WarningAcknowledgement:
    """Record (or update) the acknowledgement of one early warning."""
    check_warning_acknowledge(user)
    note = note.strip()
    if not note:
        raise ValidationError(_("Tuliskan catatan tindak lanjut."))
    ack, _created = WarningAcknowledgement.objects.update_or_create(
        key=key,
        defaults={"subject": subject[:300], "note": note, "acknowledged_by": user, "acknowledged_at": timezone.now()},
    )
    return ack
