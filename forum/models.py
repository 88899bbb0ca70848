"""Forum Komunikasi Antar BKM/LKM: categories, threads, posts, notifications,
moderation, attachments and meetings (pertemuan).

Who may do what is decided only in `forum/permissions.py`; these models hold
data, not rules.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.models import Role


class CategoryPermissionKind(models.TextChoices):
    """Misago-style grants. `see` shows that the category exists; `read` opens it."""

    SEE = "see", _("melihat kategori")
    READ = "read", _("membaca")
    START = "start", _("memulai topik")
    REPLY = "reply", _("membalas")
    ATTACH = "attach", _("melampirkan berkas")


class Category(models.Model):
    name = models.CharField(_("nama"), max_length=150, unique=True)
    slug = models.SlugField(_("slug"), max_length=150, unique=True)
    description = models.TextField(_("keterangan"), blank=True)
    # Set for the per-kecamatan categories; grants may then be scoped to members of that kecamatan.
    kecamatan = models.OneToOneField(
        "bkm.Kecamatan",
        verbose_name=_("kecamatan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="forum_category",
    )
    position = models.PositiveSmallIntegerField(_("urutan"), default=0)
    moderators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("moderator"), blank=True, related_name="moderated_forum_categories"
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("kategori forum")
        verbose_name_plural = _("kategori forum")

    def __str__(self) -> str:
        return self.name


class CategoryPermission(models.Model):
    """One grant. There are no negative grants: absence of a row means "no"."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(_("peran"), max_length=20, choices=Role.choices)
    permission = models.CharField(_("izin"), max_length=10, choices=CategoryPermissionKind.choices)
    # Only meaningful for BKM members and kecamatan categories: the grant applies
    # only to members whose BKM lies in the category's kecamatan.
    own_kecamatan_only = models.BooleanField(_("hanya anggota BKM di kecamatan ini"), default=False)

    class Meta:
        verbose_name = _("izin kategori")
        verbose_name_plural = _("izin kategori")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "role", "permission", "own_kecamatan_only"], name="forum_grant_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.role} · {self.permission}"


class Thread(models.Model):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="threads")
    title = models.CharField(_("judul"), max_length=200)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forum_threads")
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    last_post_at = models.DateTimeField(_("tulisan terakhir"), db_index=True)
    reply_count = models.PositiveIntegerField(default=0)
    is_pinned = models.BooleanField(_("disematkan"), default=False)
    is_locked = models.BooleanField(_("dikunci"), default=False)
    is_hidden = models.BooleanField(_("disembunyikan"), default=False)
    bkm = models.ForeignKey(
        "bkm.BKM", verbose_name=_("BKM terkait"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposal = models.ForeignKey(
        "bkm.Proposal",
        verbose_name=_("usulan kegiatan terkait"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-is_pinned", "-last_post_at"]
        verbose_name = _("topik")
        verbose_name_plural = _("topik")
        indexes = [models.Index(fields=["category", "-is_pinned", "-last_post_at"], name="forum_thread_listing")]

    def __str__(self) -> str:
        return self.title


class Post(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forum_posts")
    body_source = models.TextField(_("isi (Markdown)"))
    body_html = models.TextField(editable=False)
    # sha256 of the normalised source: the duplicate-text guard compares these.
    content_hash = models.CharField(max_length=64, db_index=True, editable=False)
    quote_of = models.ForeignKey(
        "self", verbose_name=_("mengutip"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("dikirim"), auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(_("diubah"), null=True, blank=True)
    is_hidden = models.BooleanField(_("disembunyikan"), default=False)
    # Filled by forum.search on PostgreSQL (title weight A, body weight B).
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("tulisan")
        verbose_name_plural = _("tulisan")
        indexes = [
            # The GIN index on search_vector is created by migration 0003 on PostgreSQL only
            # (SQLite, the embedded demo, has no GIN).
            models.Index(fields=["thread", "created_at", "id"], name="forum_post_thread_order"),
            models.Index(fields=["author", "created_at"], name="forum_post_author_recent"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.thread}"


class PostRevision(models.Model):
    """The text a post had before an edit; kept forever."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    body_source = models.TextField()
    body_html = models.TextField()
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class WatchLevel(models.TextChoices):
    NONE = "none", _("Tidak mengikuti")
    SITE = "site", _("Notifikasi di portal")
    SITE_AND_EMAIL = "email", _("Notifikasi di portal dan email")


class ThreadWatch(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_watches")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="watches")
    level = models.CharField(max_length=10, choices=WatchLevel.choices, default=WatchLevel.SITE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="forum_watch_unique")]


class ThreadRead(models.Model):
    """Read watermark per user and thread (machina's TopicReadTrack)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    last_read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="forum_read_unique")]


class ForumProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_profile")
    default_watch_level = models.CharField(
        _("tingkat mengikuti bawaan"), max_length=10, choices=WatchLevel.choices, default=WatchLevel.SITE
    )
    daily_digest = models.BooleanField(_("ringkasan harian lewat email"), default=False)
    last_digest_at = models.DateTimeField(null=True, blank=True)


class NotificationKind(models.TextChoices):
    REPLY = "reply", _("balasan baru")
    MENTION = "mention", _("disebut")
    MODERATION = "moderation", _("tindakan moderator")


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_notifications")
    kind = models.CharField(max_length=12, choices=NotificationKind.choices)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="notifications")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    wants_email = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="forum_notif_unread")]


class EmailDelivery(models.Model):
    """What the email task actually sent (or refused to send), for audit and tests."""

    class Kind(models.TextChoices):
        NOTIFICATION = "notification", _("notifikasi")
        DIGEST = "digest", _("ringkasan harian")

    class Outcome(models.TextChoices):
        SENT = "sent", _("terkirim")
        SKIPPED = "skipped", _("dilewati (tidak berhak / tanpa email)")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    notification = models.ForeignKey(Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    post_ids = models.JSONField(default=list)
    subject = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class ModerationAction(models.TextChoices):
    PIN = "pin", _("sematkan")
    UNPIN = "unpin", _("lepas sematan")
    LOCK = "lock", _("kunci")
    UNLOCK = "unlock", _("buka kunci")
    HIDE_THREAD = "hide_thread", _("sembunyikan topik")
    UNHIDE_THREAD = "unhide_thread", _("tampilkan topik")
    MOVE_THREAD = "move_thread", _("pindahkan topik")
    HIDE_POST = "hide_post", _("sembunyikan tulisan")
    UNHIDE_POST = "unhide_post", _("tampilkan tulisan")
    DEACTIVATE_USER = "deactivate_user", _("nonaktifkan akun")
    CLOSE_REPORT = "close_report", _("tutup laporan")


class ModerationLog(models.Model):
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=ModerationAction.choices)
    reason = models.TextField(_("alasan"))
    thread = models.ForeignKey(Thread, null=True, blank=True, on_delete=models.SET_NULL, related_name="moderation_log")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class ReportStatus(models.TextChoices):
    OPEN = "open", _("Terbuka")
    CLOSED = "closed", _("Ditutup")


class ReportOutcome(models.TextChoices):
    ACTIONED = "actioned", _("Ditindaklanjuti")
    NO_ACTION = "no_action", _("Tidak perlu tindakan")
    DUPLICATE = "duplicate", _("Laporan ganda")


class Report(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(_("alasan laporan"))
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN)
    outcome = models.CharField(_("hasil"), max_length=12, choices=ReportOutcome.choices, blank=True)
    outcome_note = models.TextField(_("catatan moderator"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class Attachment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="attachments")
    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Stored under MEDIA_ROOT/forum/ with a random name; never linked directly.
    file = models.FileField(upload_to="forum/attachments/%Y/%m/", max_length=255)
    thumbnail = models.FileField(upload_to="forum/thumbnails/%Y/%m/", max_length=255, blank=True)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


# --- Meetings (pertemuan) ----------------------------------------------------


class Meeting(models.Model):
    title = models.CharField(_("judul pertemuan"), max_length=200)
    agenda = models.TextField(_("agenda"))
    starts_at = models.DateTimeField(_("mulai (WIB)"), db_index=True)
    ends_at = models.DateTimeField(_("selesai (WIB)"), null=True, blank=True)
    place = models.CharField(_("tempat"), max_length=255, blank=True)
    online_link = models.URLField(_("tautan daring"), blank=True)
    invited_bkms = models.ManyToManyField("bkm.BKM", verbose_name=_("BKM yang diundang"), blank=True, related_name="+")
    minutes = models.TextField(_("notulen"), blank=True)
    thread = models.OneToOneField(
        Thread,
        verbose_name=_("topik diskusi"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meeting",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("pertemuan")
        verbose_name_plural = _("pertemuan")

    def __str__(self) -> str:
        return self.title


class RSVPResponse(models.TextChoices):
    YES = "yes", _("Hadir")
    NO = "no", _("Tidak hadir")
    MAYBE = "maybe", _("Mungkin")


class MeetingRSVP(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    response = models.CharField(_("konfirmasi"), max_length=5, choices=RSVPResponse.choices)
    attended = models.BooleanField(_("hadir"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="forum_rsvp_unique")]


class MeetingDecision(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField(_("keputusan"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Belum dikerjakan")
    IN_PROGRESS = "in_progress", _("Sedang dikerjakan")
    DONE = "done", _("Selesai")
    CANCELLED = "cancelled", _("Dibatalkan")


class FollowUpAction(models.Model):
    decision = models.ForeignKey(MeetingDecision, on_delete=models.CASCADE, related_name="follow_ups")
    description = models.TextField(_("tindak lanjut"))
    # CASCADE, not PROTECT: BKMs are retired by status, and deleting one (demo
    # re-seeding, data clean-up) must not be blocked by its follow-ups.
    assignee_bkm = models.ForeignKey(
        "bkm.BKM",
        verbose_name=_("BKM penanggung jawab"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    assignee_opd = models.ForeignKey(
        "bkm.OPD",
        verbose_name=_("OPD penanggung jawab"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    due_date = models.DateField(_("tenggat"))
    status = models.CharField(
        _("status"), max_length=12, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN, editable=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            # Exactly one assignee: a BKM or an OPD.
            models.CheckConstraint(
                condition=(models.Q(assignee_bkm__isnull=False) & models.Q(assignee_opd__isnull=True))
                | (models.Q(assignee_bkm__isnull=True) & models.Q(assignee_opd__isnull=False)),
                name="forum_followup_one_assignee",
            )
        ]


# --- Capacity building: the shared library (pustaka) and trainings (pelatihan) -------------
# Who reads, uploads and registers is decided in forum/permissions.py; the weak-aspect rule
# that links a BKM's assessment to materials and trainings lives in forum/library_selectors.py.
# Materials and trainings are tagged with the annual assessment's own aspects
# (`bkm.AssessmentAspect`): one vocabulary, so a weak aspect finds its material by a join.


class MaterialCategory(models.Model):
    name = models.CharField(_("nama"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("keterangan"), blank=True)
    position = models.PositiveSmallIntegerField(_("urutan"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("kategori pustaka")
        verbose_name_plural = _("kategori pustaka")

    def __str__(self) -> str:
        return self.name


class Material(models.Model):
    """A library entry (juknis, SOP, template, training material); its content lives in versions."""

    category = models.ForeignKey(
        MaterialCategory, on_delete=models.PROTECT, related_name="materials", verbose_name=_("kategori")
    )
    title = models.CharField(_("judul"), max_length=200)
    description = models.TextField(_("uraian"), blank=True)
    aspects = models.ManyToManyField(
        "bkm.AssessmentAspect", verbose_name=_("aspek penilaian"), blank=True, related_name="+"
    )
    # The newest version, kept by the services so lists need no subquery.
    current_version = models.ForeignKey(
        "MaterialVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    is_archived = models.BooleanField(_("diarsipkan"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diperbarui"), auto_now=True)
    # Filled by forum.search on PostgreSQL (title weight A, description B); GIN index by migration.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("materi pustaka")
        verbose_name_plural = _("materi pustaka")

    def __str__(self) -> str:
        return self.title


def material_upload_to(instance: MaterialVersion, filename: str) -> str:
    # A random stored name: the original name is kept in the row, never used as a path.
    return f"forum/pustaka/{instance.material_id}/{uuid.uuid4().hex}.{instance.extension or 'bin'}"


class MaterialVersion(models.Model):
    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("versi"))
    file = models.FileField(_("berkas"), upload_to=material_upload_to, max_length=255)
    original_name = models.CharField(_("nama berkas asli"), max_length=255)
    extension = models.CharField(_("ekstensi"), max_length=10)
    content_type = models.CharField(_("jenis isi"), max_length=120)
    size = models.PositiveBigIntegerField(_("ukuran (byte)"))
    sha256 = models.CharField(max_length=64)
    note = models.CharField(_("catatan versi"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("pengunggah")
    )
    uploaded_at = models.DateTimeField(_("diunggah"), auto_now_add=True)

    class Meta:
        ordering = ["material", "-number"]
        verbose_name = _("versi materi")
        verbose_name_plural = _("versi materi")
        constraints = [models.UniqueConstraint(fields=["material", "number"], name="forum_materialversion_number")]

    def __str__(self) -> str:
        return f"{self.material} v{self.number}"


class Training(models.Model):
    """A training event (pelatihan) for BKM/UPK people, by an OPD or by Bappedalitbang."""

    title = models.CharField(_("judul pelatihan"), max_length=200)
    topic = models.CharField(_("topik"), max_length=200)
    description = models.TextField(_("uraian"), blank=True)
    aspects = models.ManyToManyField(
        "bkm.AssessmentAspect", verbose_name=_("aspek penilaian"), blank=True, related_name="+"
    )
    starts_on = models.DateField(_("tanggal mulai"), db_index=True)
    ends_on = models.DateField(_("tanggal selesai"), null=True, blank=True)
    place = models.CharField(_("tempat"), max_length=255)
    # Empty: Bappedalitbang itself, the forum's secretariat (it need not be in the OPD directory).
    organiser_opd = models.ForeignKey(
        "bkm.OPD",
        verbose_name=_("penyelenggara (OPD)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Kosongkan bila diselenggarakan Bappedalitbang."),
    )
    capacity = models.PositiveSmallIntegerField(_("kapasitas peserta"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("pelatihan")
        verbose_name_plural = _("pelatihan")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="forum_training_ends_after_start",
                violation_error_message=_("Tanggal selesai tidak boleh sebelum tanggal mulai."),
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1),
                name="forum_training_capacity_positive",
                violation_error_message=_("Kapasitas peserta minimal 1."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def organiser_name(self) -> str:
        return str(self.organiser_opd) if self.organiser_opd_id else "Bappedalitbang"


class Attendance(models.TextChoices):
    HADIR = "hadir", _("Hadir")
    TIDAK_HADIR = "tidak_hadir", _("Tidak hadir")


class TrainingParticipant(models.Model):
    """One person a BKM (or its UPK/unit) sends to a training; attendance is recorded after the event."""

    training = models.ForeignKey(Training, on_delete=models.CASCADE, related_name="participants")
    bkm = models.ForeignKey("bkm.BKM", on_delete=models.CASCADE, related_name="+", verbose_name=_("BKM"))
    unit = models.ForeignKey(
        "bkm.Unit",
        verbose_name=_("unit (UPK/UPL/UPS)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(_("nama peserta"), max_length=150)
    position = models.CharField(_("jabatan"), max_length=100, blank=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(_("didaftarkan"), auto_now_add=True)
    attendance = models.CharField(_("kehadiran"), max_length=12, choices=Attendance.choices, blank=True)
    attendance_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["training", "bkm__name", "name", "id"]
        verbose_name = _("peserta pelatihan")
        verbose_name_plural = _("peserta pelatihan")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "training",
                "bkm",
                name="forum_participant_once",
                violation_error_message=_("Orang ini sudah terdaftar dari BKM yang sama."),
            )
        ]

    def __str__(self) -> str:
        return self.name
