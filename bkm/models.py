"""The BKM/LKM registry: where, who and what every BKM is.

Only the core entities live here at foundation stage; the registry issue adds
boards, elections, documents, slum areas and the OPD collaboration pipeline.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


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


class Kelurahan(models.Model):
    kecamatan = models.ForeignKey(
        Kecamatan, on_delete=models.PROTECT, related_name="kelurahan", verbose_name=_("kecamatan")
    )
    code = models.CharField(_("kode"), max_length=20, unique=True)
    name = models.CharField(_("nama"), max_length=100)

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
                fields=["kelurahan"], condition=Q(status="aktif"), name="bkm_one_active_per_kelurahan"
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
        constraints = [models.UniqueConstraint(fields=["bkm", "unit_type"], name="unit_one_per_type")]

    def __str__(self) -> str:
        return self.name or f"{self.get_unit_type_display()} {self.bkm.name}"


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


class Proposal(models.Model):
    """A BKM's activity proposal (usulan kegiatan) brought to an OPD.

    Status changes only through `bkm.services.proposal_transition`, which reads
    the transition table and records each step.
    """

    bkm = models.ForeignKey(BKM, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("BKM"))
    opd = models.ForeignKey(OPD, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("OPD"))
    title = models.CharField(_("judul kegiatan"), max_length=255)
    programme = models.CharField(_("program"), max_length=255, blank=True)
    kelurahan = models.ForeignKey(
        Kelurahan, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("lokasi kelurahan")
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    budget_proposed = models.DecimalField(_("anggaran diusulkan (Rp)"), max_digits=15, decimal_places=0)
    budget_approved = models.DecimalField(
        _("anggaran disetujui (Rp)"), max_digits=15, decimal_places=0, null=True, blank=True
    )
    funding_source = models.CharField(_("sumber dana"), max_length=20, choices=FundingSource.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.DIUSULKAN, editable=False
    )
    description = models.TextField(_("uraian"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-year", "title"]
        verbose_name = _("usulan kegiatan")
        verbose_name_plural = _("usulan kegiatan")

    def __str__(self) -> str:
        return self.title
