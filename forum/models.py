"""Forum Komunikasi Antar BKM/LKM: categories, threads, posts, notifications,
moderation, attachments and meetings (pertemuan).

Who may do what is decided only in `forum/permissions.py`; these models hold
data, not rules.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
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
