from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STAFF_ADMIN = "staff_admin", _("Staf Bappedalitbang (admin)")
    STAFF_VIEWER = "staff_viewer", _("Staf Bappedalitbang (peninjau)")
    UPK_MANAGER = "upk_manager", _("Manajer UPK")
    BKM_MEMBER = "bkm_member", _("Anggota BKM")
    SYSADMIN = "sysadmin", _("Administrator sistem")


STAFF_ROLES = frozenset({Role.STAFF_ADMIN, Role.STAFF_VIEWER, Role.SYSADMIN})


class User(AbstractUser):
    """A portal user. The role says what kind of user; the bindings say where.

    A UPK manager is bound to one or more UPK units (`upk_units`); a BKM member
    to one BKM (`bkm`, with `is_coordinator`). Staff are bound to nothing and
    see the whole city. All rules reading these fields live in the apps'
    `permissions.py`.
    """

    role = models.CharField(_("peran"), max_length=20, choices=Role.choices, default=Role.BKM_MEMBER)
    bkm = models.ForeignKey(
        "bkm.BKM",
        verbose_name=_("BKM"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="users",
    )
    is_coordinator = models.BooleanField(_("koordinator BKM"), default=False)
    upk_units = models.ManyToManyField(
        "bkm.Unit",
        verbose_name=_("UPK yang dikelola"),
        blank=True,
        related_name="managers",
        limit_choices_to={"unit_type": "upk"},
    )
    phone = models.CharField(_("telepon"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")

    @property
    def is_portal_staff(self) -> bool:
        return self.is_active and (self.role in STAFF_ROLES or self.is_superuser)

    @property
    def is_staff_admin(self) -> bool:
        return self.is_active and (self.role in (Role.STAFF_ADMIN, Role.SYSADMIN) or self.is_superuser)

    @property
    def is_upk_manager(self) -> bool:
        return self.is_active and self.role == Role.UPK_MANAGER

    @property
    def is_bkm_member(self) -> bool:
        return self.is_active and self.role == Role.BKM_MEMBER and self.bkm_id is not None

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("menunggu antrean")
    SENT = "sent", _("di antrean")
    DONE = "done", _("diterima worker")
    FAILED = "failed", _("gagal diantrekan")


class OutboxMessage(models.Model):
    """A Celery task a write asked for, stored in the write's own transaction (core.outbox).

    The dispatcher hands pending rows to the broker; the worker marks the row done when the task
    starts. A row the broker could not take stays pending and is tried again with back-off.
    """

    task = models.CharField(_("tugas"), max_length=200)
    args = models.JSONField(_("argumen"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("percobaan"), default=0)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("percobaan berikutnya"), default=timezone.now)
    sent_at = models.DateTimeField(_("diantrekan"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("diterima worker"), null=True, blank=True)
    last_error = models.CharField(_("kesalahan terakhir"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("pesan antrean")
        verbose_name_plural = _("pesan antrean")
        indexes = [
            models.Index(fields=["next_attempt_at"], name="outbox_pending_due", condition=models.Q(status="pending")),
            models.Index(fields=["task", "status"], name="outbox_task_status"),
        ]

    def __str__(self) -> str:
        return f"{self.task}{self.args} [{self.status}]"


class RateLimitEvent(models.Model):
    """One counted request for a rate limit (core.throttle); rows older than the window are deleted."""

    class Kind(models.TextChoices):
        PASSWORD_RESET = "password_reset", _("atur ulang kata sandi")

    kind = models.CharField(max_length=30, choices=Kind.choices)
    key = models.CharField(max_length=100)  # "ip:<address>" or "email:<sha256 of the address>"
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["kind", "key", "created_at"], name="ratelimit_kind_key_time")]


class WorkerHeartbeat(models.Model):
    """Written every minute by `core.tasks.worker_heartbeat` (beat → broker → worker → database):
    a fresh row proves the whole background chain works (`/healthz`)."""

    name = models.CharField(max_length=50, primary_key=True)
    beat_at = models.DateTimeField()
    worker = models.CharField(max_length=255, blank=True)


class DataVersion(models.Model):
    """A number per named set of tables, raised by PostgreSQL triggers on every write to them
    (`core.versions`): a result kept in the cache under the number it was computed at is current
    while the number is. Numbers come from one sequence, so none is ever given twice (not even by a
    rise that was rolled back, which the cache never sees)."""

    name = models.CharField(max_length=60, primary_key=True)
    version = models.BigIntegerField()
