"""The BKM/LKM registry: where, who and what every BKM is.

Every model keeps a change history (django-simple-history). Writes go through
`bkm.services`, reads through `bkm.selectors`, rules through `bkm.permissions`.
"""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.nik import NIK_SQL_REGEX, nik_validator


class Kecamatan(models.Model):
    # Kemendagri codes are unconfirmed (reference §5.1), so codes are editable.
    code = models.CharField(_("kode"), max_length=20, unique=True)
    name = models.CharField(_("nama"), max_length=100, unique=True)
    capital = models.CharField(_("ibukota"), max_length=100, blank=True)
    area_km2 = models.DecimalField(_("luas (km²)"), max_digits=10, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("kecamatan")
        verbose_name_plural = _("kecamatan")

    def __str__(self) -> str:
        return self.name


class GeometrySource(models.TextChoices):
    """Where a stored boundary came from: a staff upload, or generated for the demo (not a real map)."""

    UPLOAD = "unggahan", _("Unggahan staf")
    DEMO = "demo", _("Buatan untuk demo (bukan peta resmi)")


class Kelurahan(models.Model):
    kecamatan = models.ForeignKey(
        Kecamatan, on_delete=models.PROTECT, related_name="kelurahan", verbose_name=_("kecamatan")
    )
    code = models.CharField(_("kode"), max_length=20, unique=True)
    name = models.CharField(_("nama"), max_length=100)
    # GeoJSON geometry (WGS84, normalised to a MultiPolygon by bkm.geo), no PostGIS needed.
    boundary = models.JSONField(_("batas wilayah (GeoJSON)"), null=True, blank=True, editable=False)
    boundary_source = models.CharField(
        _("sumber batas wilayah"), max_length=10, choices=GeometrySource.choices, blank=True, editable=False
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("kelurahan")
        verbose_name_plural = _("kelurahan")
        constraints = [models.UniqueConstraint(fields=["kecamatan", "name"], name="kelurahan_unique_name")]

    def __str__(self) -> str:
        return self.name


class BKMStatus(models.TextChoices):
    AKTIF = "aktif", _("Aktif")
    TIDAK_AKTIF = "tidak_aktif", _("Tidak aktif")
    DIBEKUKAN = "dibekukan", _("Dibekukan")


class BKM(models.Model):
    name = models.CharField(_("nama BKM/LKM"), max_length=200)
    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="bkms", verbose_name=_("kelurahan"))
    status = models.CharField(_("status"), max_length=20, choices=BKMStatus.choices, default=BKMStatus.AKTIF)
    address = models.TextField(_("alamat sekretariat"), blank=True)
    phone = models.CharField(_("telepon"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    date_formed = models.DateField(_("tanggal pembentukan"), null=True, blank=True)
    # Legal basis
    akta_number = models.CharField(_("nomor akta notaris"), max_length=100, blank=True)
    akta_date = models.DateField(_("tanggal akta"), null=True, blank=True)
    notary = models.CharField(_("notaris"), max_length=200, blank=True)
    ahu_number = models.CharField(_("nomor AHU/SK pengesahan"), max_length=100, blank=True)
    ahu_date = models.DateField(_("tanggal AHU/SK pengesahan"), null=True, blank=True)
    adart_version = models.CharField(_("versi AD/ART"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("BKM/LKM")
        verbose_name_plural = _("BKM/LKM")
        constraints = [
            # One active BKM per kelurahan; frozen or inactive ones may remain on record.
            models.UniqueConstraint(
                fields=["kelurahan"],
                condition=Q(status="aktif"),
                name="bkm_one_active_per_kelurahan",
                violation_error_message=_(
                    "Kelurahan ini sudah punya BKM/LKM aktif. Ubah dulu status BKM yang lama (tidak aktif/dibekukan)."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class UnitType(models.TextChoices):
    UPK = "upk", _("UPK (Unit Pengelola Keuangan)")
    UPL = "upl", _("UPL (Unit Pengelola Lingkungan)")
    UPS = "ups", _("UPS (Unit Pengelola Sosial)")
    SEKRETARIAT = "sekretariat", _("Sekretariat")
    PENGAWAS_UPK = "pengawas_upk", _("Pengawas UPK")


class Unit(models.Model):
    """A unit (UP) of a BKM. The UPK ledger attaches its books to the UPK unit."""

    bkm = models.ForeignKey(BKM, on_delete=models.CASCADE, related_name="units", verbose_name=_("BKM"))
    unit_type = models.CharField(_("jenis unit"), max_length=20, choices=UnitType.choices)
    name = models.CharField(_("nama"), max_length=200, blank=True)
    formed_on = models.DateField(_("tanggal pembentukan"), null=True, blank=True)
    is_active = models.BooleanField(_("aktif"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["bkm__name", "unit_type"]
        verbose_name = _("unit")
        verbose_name_plural = _("unit")
        constraints = [
            models.UniqueConstraint(
                fields=["bkm", "unit_type"],
                name="unit_one_per_type",
                violation_error_message=_("BKM ini sudah punya unit jenis itu."),
            )
        ]

    def __str__(self) -> str:
        return self.name or f"{self.get_unit_type_display()} {self.bkm.name}"


# --- Bank accounts and the post-KOTAKU handover ------------------------------


class BankAccount(models.Model):
    bkm = models.ForeignKey(BKM, on_delete=models.CASCADE, related_name="bank_accounts", verbose_name=_("BKM"))
    bank_name = models.CharField(_("nama bank"), max_length=100)
    account_number = models.CharField(
        _("nomor rekening"),
        max_length=30,
        validators=[
            RegexValidator(r"^[0-9.\- ]{5,30}$", _("Nomor rekening hanya boleh berisi angka, titik atau tanda hubung."))
        ],
    )
    account_holder = models.CharField(_("atas nama"), max_length=200)
    purpose = models.CharField(
        _("peruntukan"), max_length=100, blank=True, help_text=_("mis. operasional, dana bergulir UPK")
    )
    is_active = models.BooleanField(_("aktif"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["bkm", "bank_name"]
        verbose_name = _("rekening bank")
        verbose_name_plural = _("rekening bank")
        constraints = [
            models.UniqueConstraint(
                fields=["bank_name", "account_number"],
                name="bankaccount_unique_number",
                violation_error_message=_("Rekening dengan bank dan nomor itu sudah tercatat."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank_name} {self.account_number}"


class Handover(models.Model):
    """The post-KOTAKU handover (serah terima aset) of a BKM, one per BKM.

    Asset values are whole Rupiah by class, as the berita acara lists them.
    """

    bkm = models.OneToOneField(BKM, on_delete=models.CASCADE, related_name="handover", verbose_name=_("BKM"))
    handover_date = models.DateField(_("tanggal serah terima"))
    legal_basis = models.CharField(
        _("dasar hukum"), max_length=255, help_text=_("mis. Perwal/SK Wali Kota nomor dan tanggal")
    )
    berita_acara = models.ForeignKey(
        "Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dokumen berita acara"),
        limit_choices_to={"doc_type": "berita_acara"},
    )
    asset_kas = models.DecimalField(
        _("kas (Rp)"), max_digits=15, decimal_places=0, default=0, validators=[MinValueValidator(0)]
    )
    asset_bank = models.DecimalField(
        _("bank (Rp)"), max_digits=15, decimal_places=0, default=0, validators=[MinValueValidator(0)]
    )
    asset_piutang_ksm = models.DecimalField(
        _("piutang KSM (Rp)"), max_digits=15, decimal_places=0, default=0, validators=[MinValueValidator(0)]
    )
    asset_inventaris = models.DecimalField(
        _("inventaris (Rp)"), max_digits=15, decimal_places=0, default=0, validators=[MinValueValidator(0)]
    )
    asset_infrastruktur = models.DecimalField(
        _("infrastruktur (Rp)"), max_digits=15, decimal_places=0, default=0, validators=[MinValueValidator(0)]
    )
    notes = models.TextField(_("catatan"), blank=True)

    history = HistoricalRecords()

    ASSET_FIELDS = ("asset_kas", "asset_bank", "asset_piutang_ksm", "asset_inventaris", "asset_infrastruktur")

    class Meta:
        verbose_name = _("serah terima aset")
        verbose_name_plural = _("serah terima aset")
        constraints = [
            models.CheckConstraint(
                condition=Q(asset_kas__gte=0)
                & Q(asset_bank__gte=0)
                & Q(asset_piutang_ksm__gte=0)
                & Q(asset_inventaris__gte=0)
                & Q(asset_infrastruktur__gte=0),
                name="handover_assets_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Serah terima')} {self.bkm}"

    @property
    def asset_total(self) -> Decimal:
        return sum((Decimal(getattr(self, f)) for f in self.ASSET_FIELDS), Decimal(0))

    def asset_rows(self) -> list[tuple[str, Decimal]]:
        return [(str(self._meta.get_field(f).verbose_name), getattr(self, f)) for f in self.ASSET_FIELDS]  # type: ignore[union-attr]


# --- Board and elections -----------------------------------------------------


class Gender(models.TextChoices):
    LAKI_LAKI = "L", _("Laki-laki")
    PEREMPUAN = "P", _("Perempuan")


class Election(models.Model):
    """A BKM election (pemilu BKM); participation = voters ÷ adults of the kelurahan."""

    bkm = models.ForeignKey(BKM, on_delete=models.CASCADE, related_name="elections", verbose_name=_("BKM"))
    election_date = models.DateField(_("tanggal pemilihan"))
    adults = models.PositiveIntegerField(_("jumlah penduduk dewasa"), validators=[MinValueValidator(1)])
    voters = models.PositiveIntegerField(_("jumlah pemilih yang hadir"))
    minutes = models.TextField(_("berita acara / notulen"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-election_date"]
        verbose_name = _("pemilihan BKM")
        verbose_name_plural = _("pemilihan BKM")
        constraints = [
            models.CheckConstraint(condition=Q(voters__lte=F("adults")), name="election_voters_within_adults"),
            models.CheckConstraint(condition=Q(adults__gt=0), name="election_adults_positive"),
        ]

    def __str__(self) -> str:
        return f"{_('Pemilihan')} {self.bkm} {self.election_date:%d-%m-%Y}"

    def clean(self) -> None:
        if self.adults is not None and self.voters is not None and self.voters > self.adults:
            raise ValidationError({"voters": _("Jumlah pemilih tidak boleh melebihi jumlah penduduk dewasa.")})

    @property
    def participation_pct(self) -> Decimal | None:
        """Voters as a percentage of adults, one decimal, half up."""
        if not self.adults:
            return None
        return (Decimal(self.voters) * 100 / Decimal(self.adults)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def meets_quorum(self) -> bool:
        # The election guideline asks for at least 30% of adults (reference §4.2).
        pct = self.participation_pct
        return pct is not None and pct >= ELECTION_MIN_PARTICIPATION_PCT


ELECTION_MIN_PARTICIPATION_PCT = Decimal(30)


class BoardPosition(models.TextChoices):
    KOORDINATOR = "koordinator", _("Koordinator")
    ANGGOTA = "anggota", _("Anggota")


class BoardMember(models.Model):
    """A member of the BKM's collective board (anggota BKM) for one term.

    `is_active` is the current board; a member who leaves or whose board was
    replaced is kept with is_active=False so the record stays.
    """

    bkm = models.ForeignKey(BKM, on_delete=models.CASCADE, related_name="board_members", verbose_name=_("BKM"))
    election = models.ForeignKey(
        Election,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="board_members",
        verbose_name=_("pemilihan"),
    )
    name = models.CharField(_("nama"), max_length=200)
    nik = models.CharField(_("NIK"), max_length=16, blank=True, validators=[nik_validator])
    gender = models.CharField(_("jenis kelamin"), max_length=1, choices=Gender.choices)
    phone = models.CharField(_("telepon"), max_length=30, blank=True)
    position = models.CharField(
        _("jabatan"), max_length=20, choices=BoardPosition.choices, default=BoardPosition.ANGGOTA
    )
    term_start = models.DateField(_("awal masa bakti"))
    term_end = models.DateField(_("akhir masa bakti"))
    is_active = models.BooleanField(_("pengurus aktif"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["bkm", "-is_active", "position", "name"]
        verbose_name = _("anggota BKM")
        verbose_name_plural = _("anggota BKM")
        constraints = [
            models.CheckConstraint(condition=Q(nik="") | Q(nik__regex=NIK_SQL_REGEX), name="boardmember_nik_16_digits"),
            models.CheckConstraint(condition=Q(term_end__gt=F("term_start")), name="boardmember_term_order"),
            # The collective board has one coordinator at a time.
            models.UniqueConstraint(
                fields=["bkm"],
                condition=Q(position="koordinator", is_active=True),
                name="boardmember_one_active_coordinator",
                violation_error_message=_("BKM ini sudah punya koordinator aktif."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.term_start and self.term_end and self.term_end <= self.term_start:
            errors["term_end"] = _("Akhir masa bakti harus sesudah awal masa bakti.")
        if self.election is not None and self.bkm_id and self.election.bkm_id != self.bkm_id:
            errors["election"] = _("Pemilihan itu milik BKM lain.")
        if (
            self.is_active
            and self.position == BoardPosition.KOORDINATOR
            and self.bkm_id
            and BoardMember.objects.filter(bkm_id=self.bkm_id, is_active=True, position=BoardPosition.KOORDINATOR)
            .exclude(pk=self.pk)
            .exists()
        ):
            errors["position"] = _("BKM ini sudah punya koordinator aktif. Ubah dulu jabatan koordinator yang lama.")
        if errors:
            raise ValidationError(errors)


# --- Units and their people --------------------------------------------------


class UnitPosition(models.TextChoices):
    MANAJER = "manajer", _("Manajer")
    KASIR = "kasir", _("Kasir")
    PEMBUKUAN = "pembukuan", _("Pembukuan")
    PETUGAS_PINJAMAN = "petugas_pinjaman", _("Petugas Pinjaman")
    KOORDINATOR = "koordinator", _("Koordinator unit")
    SEKRETARIS = "sekretaris", _("Sekretaris")
    STAF = "staf", _("Staf")
    PENGAWAS = "pengawas", _("Pengawas")
    ANGGOTA = "anggota", _("Anggota")


class UnitPerson(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="people", verbose_name=_("unit"))
    name = models.CharField(_("nama"), max_length=200)
    position = models.CharField(_("jabatan"), max_length=20, choices=UnitPosition.choices)
    gender = models.CharField(_("jenis kelamin"), max_length=1, choices=Gender.choices)
    phone = models.CharField(_("telepon"), max_length=30, blank=True)
    start_date = models.DateField(_("mulai bertugas"), null=True, blank=True)
    end_date = models.DateField(_("selesai bertugas"), null=True, blank=True)
    is_active = models.BooleanField(_("aktif"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["unit", "-is_active", "position", "name"]
        verbose_name = _("personil unit")
        verbose_name_plural = _("personil unit")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_position_display()})"

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("Tanggal selesai tidak boleh sebelum tanggal mulai.")})


# --- Documents ---------------------------------------------------------------


class DocumentType(models.TextChoices):
    ADART = "adart", _("AD/ART")
    AKTA = "akta", _("Akta notaris")
    SK = "sk", _("SK")
    PJM_RPLP = "pjm_rplp", _("PJM Pronangkis / RPLP")
    LPJ = "lpj", _("LPJ")
    LAPORAN_AUDIT = "laporan_audit", _("Laporan audit")
    BERITA_ACARA = "berita_acara", _("Berita acara")
    LAINNYA = "lainnya", _("Lainnya")


# Documents a BKM is expected to have on record (shown as missing on its page).
REQUIRED_DOCUMENT_TYPES = (DocumentType.ADART, DocumentType.AKTA, DocumentType.PJM_RPLP)


class Document(models.Model):
    """A BKM document; its content lives in numbered `DocumentVersion`s."""

    bkm = models.ForeignKey(BKM, on_delete=models.CASCADE, related_name="documents", verbose_name=_("BKM"))
    doc_type = models.CharField(_("jenis dokumen"), max_length=20, choices=DocumentType.choices)
    title = models.CharField(_("judul"), max_length=255)
    description = models.TextField(_("keterangan"), blank=True)
    # Staff choose which documents the public pages list (its latest version is downloadable without
    # login); the change is kept in the document's history with the acting user.
    published = models.BooleanField(_("diterbitkan untuk publik"), default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["bkm", "doc_type", "title"]
        verbose_name = _("dokumen")
        verbose_name_plural = _("dokumen")

    def __str__(self) -> str:
        return f"{self.get_doc_type_display()}: {self.title}"


def document_upload_to(instance: DocumentVersion, filename: str) -> str:
    # A random stored name: the original name is kept in the row, never used as a path.
    ext = instance.extension or "bin"
    return f"bkm/dokumen/{instance.document.bkm_id}/{uuid.uuid4().hex}.{ext}"


class DocumentVersion(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions", verbose_name=_("dokumen"))
    version = models.PositiveIntegerField(_("versi"))
    file = models.FileField(_("berkas"), upload_to=document_upload_to, max_length=255)
    original_name = models.CharField(_("nama berkas asli"), max_length=255)
    extension = models.CharField(_("ekstensi"), max_length=10)
    content_type = models.CharField(_("jenis isi"), max_length=100)
    size = models.PositiveBigIntegerField(_("ukuran (byte)"))
    sha256 = models.CharField(max_length=64)
    note = models.CharField(_("catatan versi"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pengunggah"),
    )
    uploaded_at = models.DateTimeField(_("diunggah"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["document", "-version"]
        verbose_name = _("versi dokumen")
        verbose_name_plural = _("versi dokumen")
        constraints = [models.UniqueConstraint(fields=["document", "version"], name="documentversion_unique_number")]

    def __str__(self) -> str:
        return f"{self.document} v{self.version}"


# --- Slum areas ----------------------------------------------------------------


class SlumTypology(models.TextChoices):
    TEPI_AIR = "tepi_air", _("Permukiman kumuh di tepi air")
    ATAS_AIR = "atas_air", _("Permukiman di atas air")
    DATARAN_RENDAH = "dataran_rendah", _("Dataran rendah")
    DATARAN_TINGGI = "dataran_tinggi", _("Dataran tinggi / perbukitan")
    RAWAN_BENCANA = "rawan_bencana", _("Kawasan rawan bencana")


class SlumArea(models.Model):
    """A kawasan kumuh as delineated by a mayor's decree (SK/Kepwal)."""

    kelurahan = models.ForeignKey(
        Kelurahan, on_delete=models.PROTECT, related_name="slum_areas", verbose_name=_("kelurahan")
    )
    name = models.CharField(_("nama kawasan"), max_length=200)
    sk_number = models.CharField(_("nomor SK"), max_length=100)
    sk_year = models.PositiveSmallIntegerField(
        _("tahun SK"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    area_ha = models.DecimalField(
        _("luas (ha)"), max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    typology = models.CharField(_("tipologi"), max_length=20, choices=SlumTypology.choices)
    notes = models.TextField(_("catatan"), blank=True)
    # The delineation as GeoJSON (WGS84 MultiPolygon, bkm.geo); uploaded by staff, never typed in the form.
    geometry = models.JSONField(_("delineasi (GeoJSON)"), null=True, blank=True, editable=False)
    geometry_source = models.CharField(
        _("sumber delineasi"), max_length=10, choices=GeometrySource.choices, blank=True, editable=False
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["kelurahan__name", "name"]
        verbose_name = _("kawasan kumuh")
        verbose_name_plural = _("kawasan kumuh")
        constraints = [
            models.UniqueConstraint(fields=["kelurahan", "name", "sk_number"], name="slumarea_unique_per_sk"),
            models.CheckConstraint(condition=Q(area_ha__gt=0), name="slumarea_area_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kelurahan})"


# The seven aspects of the KOTAKU slum criteria, as (field, label).
SLUM_ASPECTS: tuple[tuple[str, Any], ...] = (
    ("building", _("Kondisi bangunan gedung")),
    ("roads", _("Jalan lingkungan")),
    ("drainage", _("Drainase lingkungan")),
    ("drinking_water", _("Penyediaan air minum")),
    ("wastewater", _("Pengelolaan air limbah")),
    ("solid_waste", _("Pengelolaan persampahan")),
    ("fire_protection", _("Proteksi kebakaran")),
)


def _aspect_field(label: str) -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("persentase kondisi kumuh (0–100%)"),
    )


class SlumMeasure(models.Model):
    """One year's measurement of a slum area: for each aspect, % of the area still deficient."""

    slum_area = models.ForeignKey(
        SlumArea, on_delete=models.CASCADE, related_name="measures", verbose_name=_("kawasan")
    )
    year = models.PositiveSmallIntegerField(_("tahun"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    building = _aspect_field(SLUM_ASPECTS[0][1])
    roads = _aspect_field(SLUM_ASPECTS[1][1])
    drainage = _aspect_field(SLUM_ASPECTS[2][1])
    drinking_water = _aspect_field(SLUM_ASPECTS[3][1])
    wastewater = _aspect_field(SLUM_ASPECTS[4][1])
    solid_waste = _aspect_field(SLUM_ASPECTS[5][1])
    fire_protection = _aspect_field(SLUM_ASPECTS[6][1])
    notes = models.TextField(_("catatan"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["slum_area", "year"]
        verbose_name = _("pengukuran kekumuhan")
        verbose_name_plural = _("pengukuran kekumuhan")
        constraints = [
            models.UniqueConstraint(
                fields=["slum_area", "year"],
                name="slummeasure_one_per_year",
                violation_error_message=_("Pengukuran kawasan ini untuk tahun itu sudah ada; ubah yang lama."),
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{field}__gte": 0}) & Q(**{f"{field}__lte": 100}), name=f"slummeasure_{field}_pct"
                )
                for field, _label in SLUM_ASPECTS
            ],
        ]

    def __str__(self) -> str:
        return f"{self.slum_area} {self.year}"

    def aspect_values(self) -> list[tuple[str, Decimal]]:
        return [(str(label), getattr(self, field)) for field, label in SLUM_ASPECTS]

    @property
    def average(self) -> Decimal:
        """Unweighted mean of the seven aspects, two decimals half up."""
        total = sum((Decimal(getattr(self, f)) for f, _l in SLUM_ASPECTS), Decimal(0))
        return (total / len(SLUM_ASPECTS)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class OPD(models.Model):
    """A city agency (Organisasi Perangkat Daerah) BKMs work with."""

    name = models.CharField(_("nama OPD"), max_length=200, unique=True)
    acronym = models.CharField(_("singkatan"), max_length=30, blank=True)
    address = models.TextField(_("alamat"), blank=True)
    contact_person = models.CharField(_("narahubung"), max_length=200, blank=True)
    phone = models.CharField(_("telepon"), max_length=30, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("OPD")
        verbose_name_plural = _("OPD")

    def __str__(self) -> str:
        return self.acronym or self.name


class ProposalStatus(models.TextChoices):
    # The BKM's own steps before the city pipeline (issue 15): a coordinator's
    # draft, submitted for the secretariat's verification, or returned with a note.
    DRAF = "draf", _("Draf BKM")
    DIAJUKAN = "diajukan", _("Diajukan BKM, menunggu verifikasi")
    DIKEMBALIKAN = "dikembalikan", _("Dikembalikan ke BKM")
    DIUSULKAN = "diusulkan", _("Diusulkan")
    DIBAHAS = "dibahas", _("Dibahas")
    DISETUJUI = "disetujui", _("Disetujui")
    DITOLAK = "ditolak", _("Ditolak")
    DILAKSANAKAN = "dilaksanakan", _("Dilaksanakan")
    SELESAI = "selesai", _("Selesai")


class FundingSource(models.TextChoices):
    APBD = "apbd", "APBD"
    APBN = "apbn", "APBN"
    CSR = "csr", "CSR"
    SWADAYA = "swadaya", _("Swadaya")


# --- RPLP plan ----------------------------------------------------------------------

SLUM_ASPECT_CHOICES: list[tuple[str, Any]] = [(field, label) for field, label in SLUM_ASPECTS]


class RPLPStatus(models.TextChoices):
    PLANNED = "direncanakan", _("Direncanakan")
    PROPOSED = "diusulkan", _("Diusulkan")
    APPROVED = "disetujui", _("Disetujui")
    DONE = "selesai", _("Selesai")


# What a linked proposal's status says about the RPLP item it carries out. The
# BKM's draft and a proposal returned to it or rejected say nothing: the item is
# still only planned. The furthest linked proposal decides (RPLP_STATUS_ORDER).
RPLP_STATUS_OF_PROPOSAL: dict[str, str] = {
    "diajukan": RPLPStatus.PROPOSED,
    "diusulkan": RPLPStatus.PROPOSED,
    "dibahas": RPLPStatus.PROPOSED,
    "disetujui": RPLPStatus.APPROVED,
    "dilaksanakan": RPLPStatus.APPROVED,
    "selesai": RPLPStatus.DONE,
}
RPLP_STATUS_ORDER: tuple[str, ...] = tuple(RPLPStatus.values)


def rplp_status_from(proposal_statuses: Any) -> RPLPStatus:
    """The one rule of an RPLP item's status, from the statuses of the proposals linked to it."""
    found = [RPLP_STATUS_OF_PROPOSAL[s] for s in proposal_statuses if s in RPLP_STATUS_OF_PROPOSAL]
    if not found:
        return RPLPStatus.PLANNED
    return RPLPStatus(max(found, key=RPLP_STATUS_ORDER.index))


class RPLPItem(models.Model):
    """One activity of a BKM's RPLP (rencana penataan lingkungan permukiman) for one slum aspect and year.

    Its status is not stored: `rplp_status_from` derives it from the proposals
    that carry the item out (`Proposal.rplp_item`), so it cannot disagree with them.
    """

    bkm = models.ForeignKey(BKM, on_delete=models.CASCADE, related_name="rplp_items", verbose_name=_("BKM"))
    aspect = models.CharField(_("aspek kekumuhan"), max_length=20, choices=SLUM_ASPECT_CHOICES)
    year = models.PositiveSmallIntegerField(
        _("tahun rencana"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    title = models.CharField(_("kegiatan"), max_length=255)
    slum_area = models.ForeignKey(
        SlumArea,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rplp_items",
        verbose_name=_("kawasan kumuh"),
    )
    volume = models.CharField(_("volume"), max_length=100, blank=True, help_text=_("mis. 350 m, 20 unit"))
    budget = models.DecimalField(
        _("perkiraan biaya (Rp)"), max_digits=15, decimal_places=0, validators=[MinValueValidator(0)]
    )
    funding_source = models.CharField(_("sumber dana"), max_length=20, choices=FundingSource.choices)
    notes = models.TextField(_("catatan"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["bkm", "year", "aspect", "title"]
        verbose_name = _("kegiatan RPLP")
        verbose_name_plural = _("kegiatan RPLP")
        constraints = [
            models.CheckConstraint(condition=Q(budget__gte=0), name="rplpitem_budget_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})"

    def clean(self) -> None:
        if self.slum_area is not None and self.bkm_id and self.slum_area.kelurahan_id != self.bkm.kelurahan_id:
            raise ValidationError({"slum_area": _("Kawasan kumuh itu tidak berada di kelurahan BKM ini.")})


class Proposal(models.Model):
    """A BKM's activity proposal (usulan kegiatan) brought to an OPD.

    Status changes only through `bkm.services.proposal_transition`, which reads
    the transition table and records each step.
    """

    # CASCADE like every other registry record of a BKM: BKMs are retired by
    # status, never deleted in the portal; only the admin can delete one.
    bkm = models.ForeignKey(BKM, on_delete=models.CASCADE, related_name="proposals", verbose_name=_("BKM"))
    opd = models.ForeignKey(OPD, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("OPD"))
    title = models.CharField(_("judul kegiatan"), max_length=255)
    programme = models.CharField(_("program"), max_length=255, blank=True)
    kelurahan = models.ForeignKey(
        Kelurahan, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("lokasi kelurahan")
    )
    slum_area = models.ForeignKey(
        "SlumArea",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("kawasan kumuh"),
    )
    location = models.CharField(
        _("lokasi rinci"), max_length=255, blank=True, help_text=_("mis. RT 03/RW 02, Jl. Rindang Banua")
    )
    aspect = models.CharField(_("aspek kekumuhan"), max_length=20, choices=SLUM_ASPECT_CHOICES, blank=True)
    year = models.PositiveSmallIntegerField(_("tahun"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    budget_proposed = models.DecimalField(
        _("anggaran diusulkan (Rp)"), max_digits=15, decimal_places=0, validators=[MinValueValidator(0)]
    )
    budget_approved = models.DecimalField(
        _("anggaran disetujui (Rp)"),
        max_digits=15,
        decimal_places=0,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    funding_source = models.CharField(_("sumber dana"), max_length=20, choices=FundingSource.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.DIUSULKAN, editable=False
    )
    description = models.TextField(_("uraian"), blank=True)
    rplp_item = models.ForeignKey(
        RPLPItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("kegiatan RPLP"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-year", "title"]
        verbose_name = _("usulan kegiatan")
        verbose_name_plural = _("usulan kegiatan")
        constraints = [
            models.CheckConstraint(condition=Q(budget_proposed__gte=0), name="proposal_budget_not_negative"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors = {}
        if self.slum_area is not None and self.kelurahan_id and self.slum_area.kelurahan_id != self.kelurahan_id:
            errors["slum_area"] = _("Kawasan kumuh itu tidak berada di kelurahan lokasi usulan.")
        if self.rplp_item is not None and self.bkm_id and self.rplp_item.bkm_id != self.bkm_id:
            errors["rplp_item"] = _("Kegiatan RPLP itu milik BKM lain.")
        if errors:
            raise ValidationError(errors)


class ProposalEvent(models.Model):
    """One step of a proposal through the transition table: who, when, why."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="events", verbose_name=_("usulan"))
    from_status = models.CharField(_("dari status"), max_length=20, choices=ProposalStatus.choices, blank=True)
    to_status = models.CharField(_("ke status"), max_length=20, choices=ProposalStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("oleh"),
    )
    at = models.DateTimeField(_("waktu"), default=timezone.now)
    note = models.TextField(_("catatan"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["proposal", "at", "pk"]
        verbose_name = _("langkah usulan")
        verbose_name_plural = _("langkah usulan")

    def __str__(self) -> str:
        return f"{self.proposal}: {self.from_status or '-'} → {self.to_status}"


# --- Assessment and audit ------------------------------------------------------


class AssessmentAspect(models.Model):
    """An aspect of the annual institutional assessment with its default weight.

    Defaults come from the reference §4.5 and are loaded by migration; staff
    edit them in the admin, and each assessment may adjust its own weights.
    """

    code = models.SlugField(_("kode"), max_length=40, unique=True)
    name = models.CharField(_("aspek"), max_length=100)
    description = models.TextField(_("uraian"), blank=True)
    default_weight = models.DecimalField(
        _("bobot bawaan (%)"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    order = models.PositiveSmallIntegerField(_("urutan"), default=0)
    is_active = models.BooleanField(_("aktif"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("aspek penilaian")
        verbose_name_plural = _("aspek penilaian")

    def __str__(self) -> str:
        return self.name


class Assessment(models.Model):
    bkm = models.ForeignKey(BKM, on_delete=models.CASCADE, related_name="assessments", verbose_name=_("BKM"))
    year = models.PositiveSmallIntegerField(_("tahun"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    assessed_on = models.DateField(_("tanggal penilaian"), null=True, blank=True)
    assessor = models.CharField(_("penilai"), max_length=200, blank=True)
    notes = models.TextField(_("catatan"), blank=True)
    total_score = models.DecimalField(
        _("nilai akhir"),
        max_digits=5,
        decimal_places=2,
        default=0,
        editable=False,
        help_text=_("rata-rata tertimbang nilai aspek (0–100)"),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["bkm", "-year"]
        verbose_name = _("penilaian kelembagaan")
        verbose_name_plural = _("penilaian kelembagaan")
        constraints = [
            models.UniqueConstraint(
                fields=["bkm", "year"],
                name="assessment_one_per_year",
                violation_error_message=_("Penilaian BKM ini untuk tahun itu sudah ada; ubah yang lama."),
            )
        ]

    def __str__(self) -> str:
        return f"{_('Penilaian')} {self.bkm} {self.year}"


class AssessmentScore(models.Model):
    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="scores", verbose_name=_("penilaian")
    )
    aspect = models.ForeignKey(AssessmentAspect, on_delete=models.PROTECT, related_name="+", verbose_name=_("aspek"))
    weight = models.DecimalField(
        _("bobot (%)"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    score = models.DecimalField(
        _("nilai (0–100)"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["assessment", "aspect__order"]
        verbose_name = _("nilai aspek")
        verbose_name_plural = _("nilai aspek")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "aspect"], name="assessmentscore_unique_aspect"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=100), name="assessmentscore_score_pct"),
            models.CheckConstraint(condition=Q(weight__gte=0) & Q(weight__lte=100), name="assessmentscore_weight_pct"),
        ]

    def __str__(self) -> str:
        return f"{self.aspect}: {self.score}"


class AuditOpinion(models.TextChoices):
    WTP = "wtp", _("WTP — Wajar Tanpa Pengecualian")
    WDP = "wdp", _("WDP — Wajar Dengan Pengecualian")
    TW = "tw", _("TW — Tidak Wajar")
    TMP = "tmp", _("TMP — Tidak Menyatakan Pendapat")


class FollowUpStatus(models.TextChoices):
    TIDAK_ADA = "tidak_ada", _("Tidak ada temuan")
    BELUM = "belum", _("Belum ditindaklanjuti")
    PROSES = "proses", _("Dalam proses")
    SELESAI = "selesai", _("Selesai")


class AuditRecord(models.Model):
    bkm = models.ForeignKey(BKM, on_delete=models.CASCADE, related_name="audits", verbose_name=_("BKM"))
    fiscal_year = models.PositiveSmallIntegerField(
        _("tahun buku"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    auditor = models.CharField(_("auditor / KAP"), max_length=200)
    audit_date = models.DateField(_("tanggal laporan audit"), null=True, blank=True)
    opinion = models.CharField(_("opini"), max_length=5, choices=AuditOpinion.choices)
    findings = models.TextField(_("temuan"), blank=True)
    follow_up_status = models.CharField(
        _("status tindak lanjut"), max_length=20, choices=FollowUpStatus.choices, default=FollowUpStatus.BELUM
    )
    follow_up_notes = models.TextField(_("catatan tindak lanjut"), blank=True)
    report_document = models.ForeignKey(
        Document,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dokumen laporan audit"),
        limit_choices_to={"doc_type": "laporan_audit"},
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["bkm", "-fiscal_year"]
        verbose_name = _("audit")
        verbose_name_plural = _("audit")
        constraints = [
            models.UniqueConstraint(
                fields=["bkm", "fiscal_year"],
                name="audit_one_per_fiscal_year",
                violation_error_message=_("Audit BKM ini untuk tahun buku itu sudah tercatat; ubah yang lama."),
            )
        ]

    def __str__(self) -> str:
        return f"{_('Audit')} {self.bkm} {self.fiscal_year}"


# --- Self-service submissions and their verification (issue 15) ----------------------


class SubmissionStatus(models.TextChoices):
    DIAJUKAN = "diajukan", _("Diajukan, menunggu verifikasi")
    DIKEMBALIKAN = "dikembalikan", _("Dikembalikan untuk diperbaiki")
    DITERIMA = "diterima", _("Diterima")


class VerifiedSubmission(models.Model):
    """What a BKM coordinator submits and the secretariat accepts or returns with a note.

    Status moves only through `bkm.services` (SUBMISSION_TRANSITIONS); the
    change history (simple-history) keeps every submission and review.
    """

    bkm = models.ForeignKey(BKM, on_delete=models.CASCADE, related_name="+", verbose_name=_("BKM"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=SubmissionStatus.choices,
        default=SubmissionStatus.DIAJUKAN,
        editable=False,
    )
    note = models.TextField(_("catatan BKM"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("diajukan oleh"),
    )
    submitted_at = models.DateTimeField(_("waktu pengajuan"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("diverifikasi oleh"),
    )
    reviewed_at = models.DateTimeField(_("waktu verifikasi"), null=True, blank=True)
    review_note = models.TextField(_("catatan verifikasi"), blank=True)

    class Meta:
        abstract = True


def lpj_upload_to(instance: LPJReport, filename: str) -> str:
    ext = instance.extension or "bin"
    return f"bkm/lpj/{instance.bkm_id}/{uuid.uuid4().hex}.{ext}"


class LPJReport(VerifiedSubmission):
    """The annual accountability report (laporan pertanggungjawaban) a BKM uploads, one per year.

    Accepted, it is filed as the BKM's LPJ document (`document`).
    """

    bkm = models.ForeignKey(BKM, on_delete=models.CASCADE, related_name="lpj_reports", verbose_name=_("BKM"))
    year = models.PositiveSmallIntegerField(
        _("tahun laporan"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    file = models.FileField(_("berkas"), upload_to=lpj_upload_to, max_length=255)
    original_name = models.CharField(_("nama berkas asli"), max_length=255)
    extension = models.CharField(_("ekstensi"), max_length=10)
    content_type = models.CharField(_("jenis isi"), max_length=100)
    size = models.PositiveBigIntegerField(_("ukuran (bita)"))
    sha256 = models.CharField(max_length=64)
    document = models.ForeignKey(
        Document, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("dokumen LPJ")
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["bkm", "-year"]
        verbose_name = _("LPJ tahunan")
        verbose_name_plural = _("LPJ tahunan")
        constraints = [
            models.UniqueConstraint(
                fields=["bkm", "year"],
                name="lpjreport_one_per_year",
                violation_error_message=_("LPJ BKM ini untuk tahun itu sudah diajukan; perbaiki pengajuan yang ada."),
            )
        ]

    def __str__(self) -> str:
        return f"LPJ {self.bkm} {self.year}"


class SlumMeasureUpdate(VerifiedSubmission):
    """A BKM's proposed yearly measure of a slum area in its kelurahan; accepted, it is written as the measure."""

    bkm = models.ForeignKey(BKM, on_delete=models.CASCADE, related_name="measure_updates", verbose_name=_("BKM"))
    slum_area = models.ForeignKey(
        SlumArea, on_delete=models.CASCADE, related_name="measure_updates", verbose_name=_("kawasan")
    )
    year = models.PositiveSmallIntegerField(_("tahun"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    building = _aspect_field(SLUM_ASPECTS[0][1])
    roads = _aspect_field(SLUM_ASPECTS[1][1])
    drainage = _aspect_field(SLUM_ASPECTS[2][1])
    drinking_water = _aspect_field(SLUM_ASPECTS[3][1])
    wastewater = _aspect_field(SLUM_ASPECTS[4][1])
    solid_waste = _aspect_field(SLUM_ASPECTS[5][1])
    fire_protection = _aspect_field(SLUM_ASPECTS[6][1])
    measure = models.ForeignKey(
        SlumMeasure, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("pengukuran")
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("usulan pemutakhiran pengukuran kekumuhan")
        verbose_name_plural = _("usulan pemutakhiran pengukuran kekumuhan")
        constraints = [
            models.CheckConstraint(
                condition=Q(**{f"{field}__gte": 0}) & Q(**{f"{field}__lte": 100}), name=f"slummeasureupdate_{field}_pct"
            )
            for field, _label in SLUM_ASPECTS
        ]

    def __str__(self) -> str:
        return f"{self.slum_area} {self.year}"

    def clean(self) -> None:
        if self.slum_area_id and self.bkm_id and self.slum_area.kelurahan_id != self.bkm.kelurahan_id:
            raise ValidationError({"slum_area": _("Kawasan kumuh itu tidak berada di kelurahan BKM ini.")})

    def aspect_values(self) -> list[tuple[str, Decimal]]:
        return [(str(label), getattr(self, field)) for field, label in SLUM_ASPECTS]


def proposal_attachment_upload_to(instance: ProposalAttachment, filename: str) -> str:
    ext = instance.extension or "bin"
    return f"bkm/usulan/{instance.proposal.bkm_id}/{uuid.uuid4().hex}.{ext}"


class ProposalAttachment(models.Model):
    """A file attached to a proposal (drawings, cost estimate, photos); downloads go through permissions."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("usulan")
    )
    title = models.CharField(_("keterangan"), max_length=255, blank=True)
    file = models.FileField(_("berkas"), upload_to=proposal_attachment_upload_to, max_length=255)
    original_name = models.CharField(_("nama berkas asli"), max_length=255)
    extension = models.CharField(_("ekstensi"), max_length=10)
    content_type = models.CharField(_("jenis isi"), max_length=100)
    size = models.PositiveBigIntegerField(_("ukuran (bita)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("waktu unggah"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["proposal", "uploaded_at", "pk"]
        verbose_name = _("lampiran usulan")
        verbose_name_plural = _("lampiran usulan")

    def __str__(self) -> str:
        return self.title or self.original_name


class SubmissionKind(models.TextChoices):
    PROPOSAL = "proposal", _("Usulan kegiatan")
    LPJ = "lpj", _("LPJ tahunan")
    MEASURE = "measure", _("Pemutakhiran pengukuran kekumuhan")


class Notice(models.Model):
    """A portal notification about a submission: the secretariat is told of a new submission,
    the BKM of its verification. E-mailed through the task outbox (`bkm.tasks.send_notice_email`).

    It stores what happened (kind, status, the object's name), not a sentence, so
    each reader sees it in their own language.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bkm_notices")
    bkm = models.ForeignKey(BKM, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(max_length=10, choices=SubmissionKind.choices)
    subject = models.CharField(max_length=255)
    status = models.CharField(max_length=20)  # a ProposalStatus for proposals, else a SubmissionStatus
    note = models.TextField(blank=True)
    url = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="bkm_notice_unread")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} «{self.subject}»: {self.status_display()}"

    def status_display(self) -> str:
        choices = ProposalStatus if self.kind == SubmissionKind.PROPOSAL else SubmissionStatus
        return str(dict(choices.choices).get(self.status, self.status))
