"""Report runs, subscriptions to scheduled reports, and warning acknowledgements."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Dalam antrean")
    RUNNING = "running", _("Sedang dibuat")
    DONE = "done", _("Selesai")
    FAILED = "failed", _("Gagal")


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class ReportRun(models.Model):
    """One request for one report: who asked, with what parameters, and how it went.

    `parameters` holds the report's own parameters (period "YYYY-MM", year,
    kecamatan id, bkm id, upk unit id), validated by the report type's form
    before the run is created. The PDF lives in private storage (MEDIA_ROOT,
    never served directly) and is only handed out by the download view after a
    permission check.
    """

    report_type = models.CharField(_("jenis laporan"), max_length=50, db_index=True)
    parameters = models.JSONField(_("parameter"), default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("diminta oleh"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="report_runs",
    )
    # Scheduled runs (the monthly city report) mail their subscribers when done.
    notify_subscribers = models.BooleanField(_("kirim ke pelanggan"), default=False)
    # Made when the request form is shown: the same form sent twice gives one run (per user).
    request_token = models.UUIDField(_("token permintaan"), null=True, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("kemajuan (%)"), default=0)
    progress_message = models.CharField(_("keterangan kemajuan"), max_length=200, blank=True)
    queued_at = models.DateTimeField(_("masuk antrean"), auto_now_add=True)
    started_at = models.DateTimeField(_("mulai"), null=True, blank=True)
    finished_at = models.DateTimeField(_("selesai"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("tanda hidup terakhir"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("percobaan"), default=0)
    # Where the job runs, so the watchdog can tell whether its worker still exists.
    task_id = models.CharField(_("ID tugas"), max_length=255, blank=True)
    worker_hostname = models.CharField(_("worker"), max_length=255, blank=True)
    worker_host = models.CharField(_("mesin worker"), max_length=255, blank=True)
    worker_pid = models.PositiveIntegerField(_("PID worker"), null=True, blank=True)
    pdf = models.FileField(_("berkas PDF"), upload_to="reports/", blank=True, max_length=300)
    pdf_size = models.PositiveBigIntegerField(_("ukuran (byte)"), null=True, blank=True)
    checksum_sha256 = models.CharField(_("checksum SHA-256"), max_length=64, blank=True)
    error_message = models.TextField(_("pesan kesalahan"), blank=True)

    class Meta:
        ordering = ["-queued_at", "-id"]
        verbose_name = _("pembuatan laporan")
        verbose_name_plural = _("pembuatan laporan")
        indexes = [models.Index(fields=["status", "started_at"], name="reportrun_status_started")]
        constraints = [
            models.UniqueConstraint(
                fields=["requested_by", "request_token"],
                condition=models.Q(request_token__isnull=False),
                name="reportrun_one_run_per_request_token",
            ),
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="reportrun_progress_max_100"),
            # A finished run has its file; any other run has none.
            models.CheckConstraint(
                condition=(models.Q(status="done") & ~models.Q(pdf="")) | (~models.Q(status="done") & models.Q(pdf="")),
                name="reportrun_file_iff_done",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_type} #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def progress_step(self) -> int:
        """Progress rounded down to a 5% step: the CSS class `report-progress-N` sets the bar width."""
        return min(100, max(0, int(self.progress) // 5 * 5))

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class ReportSubscription(models.Model):
    """A user who wants the scheduled report of a type by email (a link, never the file)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="report_subscriptions",
        verbose_name=_("pengguna"),
    )
    report_type = models.CharField(_("jenis laporan"), max_length=50)
    is_active = models.BooleanField(_("aktif"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("langganan laporan")
        verbose_name_plural = _("langganan laporan")
        constraints = [models.UniqueConstraint(fields=["user", "report_type"], name="reportsubscription_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.report_type}"


class WarningAcknowledgement(models.Model):
    """Staff saw an early warning and noted what is being done about it.

    The key identifies the warning and its state (e.g. a proposal *in a given
    status*), so a new problem on the same subject raises a fresh warning.
    """

    key = models.CharField(_("kunci peringatan"), max_length=200, unique=True)
    subject = models.CharField(_("subjek"), max_length=300)
    note = models.TextField(_("catatan"))
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("oleh")
    )
    acknowledged_at = models.DateTimeField(_("waktu"), default=timezone.now)

    class Meta:
        ordering = ["-acknowledged_at"]
        verbose_name = _("tanggapan peringatan")
        verbose_name_plural = _("tanggapan peringatan")

    def __str__(self) -> str:
        return self.key
