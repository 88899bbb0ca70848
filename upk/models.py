"""The UPK revolving-loan ledger.

Everything hangs off the UPK unit of a BKM (`bkm.Unit` with unit_type="upk").
Money is whole Rupiah (`DecimalField(max_digits=15, decimal_places=0)`).

Append-only rules (enforced in services, and for journal lines also by the
database, see migration 0002):
- a journal entry is never edited or deleted; mistakes are reversed;
- a repayment is never edited or deleted; it is reversed (`Reversal`);
- an allocation row is never deleted; when a replay changes how a repayment is
  split, the old rows get `effective_to` and new rows are added, so any
  "as of" report keeps the picture that was true on that date.

Writes go through `upk.services`, reads through `upk.selectors`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.nik import NIK_SQL_REGEX, nik_validator


def money_field(verbose_name: Any, **kwargs: Any) -> models.DecimalField:
    kwargs.setdefault("default", Decimal(0))
    return models.DecimalField(verbose_name, max_digits=15, decimal_places=0, **kwargs)


def rate_field(verbose_name: Any, default: Any) -> models.DecimalField:
    """A percentage such as 1.5 (%), with four decimals."""
    return models.DecimalField(
        verbose_name,
        max_digits=7,
        decimal_places=4,
        default=Decimal(str(default)),
        validators=[MinValueValidator(Decimal(0))],
    )


UPK_LIMIT = {"unit_type": "upk"}


# --- Settings -----------------------------------------------------------------


class UpkSettings(models.Model):
    """Per-UPK rules. Created with the chart of accounts by `services.upk_setup`.

    Nothing here is a confirmed national rule (reference §1.2, §2.1, §2.2, §3.4):
    every UPK may change its own values.
    """

    # CASCADE: settings, accounts, counters and products alone may go with a
    # unit that never posted; journal entries (PROTECT) keep any unit with money.
    upk = models.OneToOneField(
        "bkm.Unit", on_delete=models.CASCADE, related_name="upk_settings", limit_choices_to=UPK_LIMIT
    )
    # Postings may carry a date up to this many days after today (WIB); 0 =
    # nothing dated after today (a typo cannot put cash into next year's books).
    posting_days_ahead = models.PositiveSmallIntegerField(
        _("transaksi boleh bertanggal maju (hari)"), default=0, validators=[MaxValueValidator(7)]
    )
    # KSM rules checked by loan_apply
    min_members = models.PositiveSmallIntegerField(_("anggota KSM minimal"), default=5)
    min_women_pct = rate_field(_("perempuan minimal (%) — peringatan"), 30)
    min_savings_months = models.PositiveSmallIntegerField(
        _("bulan menabung minimal sebelum pinjaman pertama"), default=3
    )
    ceiling_first_loan = money_field(_("plafon per anggota, pinjaman pertama"), default=Decimal(1_000_000))
    ceiling_repeat_loan = money_field(_("plafon per anggota, pinjaman ulang"), default=Decimal(3_000_000))
    # Kolektibilitas: lower bounds in instalments in arrears (Lancar is 0)
    kol_dpk_from = models.PositiveSmallIntegerField(_("DPK mulai (angsuran tertunggak)"), default=1)
    kol_kl_from = models.PositiveSmallIntegerField(_("Kurang Lancar mulai"), default=3)
    kol_d_from = models.PositiveSmallIntegerField(_("Diragukan mulai"), default=6)
    kol_m_from = models.PositiveSmallIntegerField(_("Macet mulai"), default=9)
    reserve_lancar = rate_field(_("cadangan Lancar (%)"), "0.5")
    reserve_dpk = rate_field(_("cadangan DPK (%)"), "0.5")
    reserve_kl = rate_field(_("cadangan Kurang Lancar (%)"), 10)
    reserve_d = rate_field(_("cadangan Diragukan (%)"), 50)
    reserve_m = rate_field(_("cadangan Macet (%)"), 100)
    # Indicators: "at risk" means at least this many instalments in arrears
    risk_instalments = models.PositiveSmallIntegerField(_("tunggakan berisiko (angsuran)"), default=3)
    lar_good = rate_field(_("LAR sehat ≤ (%)"), 10)
    lar_fair = rate_field(_("LAR kurang sehat ≤ (%)"), 20)
    par_good = rate_field(_("PAR sehat ≤ (%)"), 10)
    par_fair = rate_field(_("PAR kurang sehat ≤ (%)"), 20)
    ccr_good = rate_field(_("CCr sehat ≥ (%)"), 125)
    ccr_fair = rate_field(_("CCr kurang sehat ≥ (%)"), 100)
    roi_good = rate_field(_("ROI sehat ≥ (%)"), 10)
    roi_fair = rate_field(_("ROI kurang sehat ≥ (%)"), 0)
    rr_good = rate_field(_("RR sehat ≥ (%)"), 90)
    rr_fair = rate_field(_("RR kurang sehat ≥ (%)"), 80)
    cr_good = rate_field(_("tingkat penagihan sehat ≥ (%)"), 90)
    cr_fair = rate_field(_("tingkat penagihan kurang sehat ≥ (%)"), 80)
    # Year-end surplus allocation (BKM decision; reference §3.4 found no official split)
    alloc_capital_pct = rate_field(_("alokasi surplus ke modal (%)"), 50)
    alloc_ups_pct = rate_field(_("alokasi surplus ke UPS (%)"), 15)
    alloc_upl_pct = rate_field(_("alokasi surplus ke UPL (%)"), 15)
    alloc_other_pct = rate_field(_("alokasi surplus lain-lain (%)"), 20)

    # Who changed what, when (docs/ledger.md "History"); the services set the author.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pengaturan UPK")
        verbose_name_plural = _("pengaturan UPK")
        constraints = [
            models.CheckConstraint(
                condition=Q(kol_dpk_from__lt=models.F("kol_kl_from"))
                & Q(kol_kl_from__lt=models.F("kol_d_from"))
                & Q(kol_d_from__lt=models.F("kol_m_from"))
                & Q(kol_dpk_from__gte=1),
                name="upk_settings_kol_buckets_ascending",
            ),
        ]

    def __str__(self) -> str:
        return f"Pengaturan {self.upk}"


class Counter(models.Model):
    """Gapless per-UPK numbering (journal vouchers, receipts, loans).

    Incremented with `UPDATE … RETURNING` inside the posting transaction, so
    the row lock is held until commit and numbers have no gaps. Services always
    take it last, after the loan locks, so lock order stays fixed.
    """

    upk = models.ForeignKey("bkm.Unit", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=30)
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["upk", "name"], name="upk_counter_unique")]


# --- Chart of accounts and journal --------------------------------------------


class AccountKind(models.TextChoices):
    ASSET = "asset", _("Aset")
    LIABILITY = "liability", _("Kewajiban")
    EQUITY = "equity", _("Modal")
    INCOME = "income", _("Pendapatan")
    EXPENSE = "expense", _("Biaya")


class AccountRole(models.TextChoices):
    """System roles the services post to; other accounts have no role."""

    KAS = "kas", _("Kas")
    BANK = "bank", _("Bank")
    LOANS = "loans", _("Pinjaman KSM")
    RESERVE = "reserve", _("Cadangan Resiko Pinjaman")
    SAVINGS = "savings", _("Tabungan KSM")
    BOP = "bop", _("Titipan BOP KSM")
    UPS_FUND = "ups_fund", _("Dana UPS")
    UPL_FUND = "upl_fund", _("Dana UPL")
    OTHER_ALLOC = "other_alloc", _("Alokasi surplus lain-lain")
    CAPITAL_P2KP = "capital_p2kp", _("Modal BLM P2KP")
    CAPITAL_PNPM = "capital_pnpm", _("Modal BLM PNPM")
    CAPITAL_KOTAKU = "capital_kotaku", _("Modal BLM KOTAKU")
    CAPITAL_GRANT = "capital_grant", _("Hibah lain")
    RETAINED = "retained", _("Laba ditahan")
    JASA_INCOME = "jasa_income", _("Jasa Pinjaman")
    DENDA_INCOME = "denda_income", _("Pendapatan denda")
    RECOVERY_INCOME = "recovery_income", _("Pemulihan pinjaman dihapus")
    RESERVE_EXPENSE = "reserve_expense", _("Biaya Cadangan Resiko Pinjaman")


CAPITAL_ROLES = (
    AccountRole.CAPITAL_P2KP,
    AccountRole.CAPITAL_PNPM,
    AccountRole.CAPITAL_KOTAKU,
    AccountRole.CAPITAL_GRANT,
)


class Account(models.Model):
    """An account of one UPK's chart. Seeded from reference §3.2; editable per UPK.

    `is_contra` flips the normal side (Cadangan Resiko Pinjaman is an asset with
    a credit balance).
    """

    upk = models.ForeignKey("bkm.Unit", on_delete=models.CASCADE, related_name="accounts", limit_choices_to=UPK_LIMIT)
    code = models.CharField(_("kode"), max_length=10)
    name = models.CharField(_("nama akun"), max_length=120)
    kind = models.CharField(_("golongan"), max_length=10, choices=AccountKind.choices)
    is_contra = models.BooleanField(_("akun lawan (saldo normal terbalik)"), default=False)
    role = models.CharField(_("peran sistem"), max_length=20, choices=AccountRole.choices, blank=True)
    is_active = models.BooleanField(_("aktif"), default=True)

    # Who changed what, when (docs/ledger.md "History"); the services set the author.
    history = HistoricalRecords()

    class Meta:
        ordering = ["upk", "code"]
        verbose_name = _("akun")
        verbose_name_plural = _("akun")
        constraints = [
            models.UniqueConstraint(fields=["upk", "code"], name="upk_account_unique_code"),
            models.UniqueConstraint(fields=["upk", "role"], condition=~Q(role=""), name="upk_account_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def debit_normal(self) -> bool:
        normal = self.kind in (AccountKind.ASSET, AccountKind.EXPENSE)
        return normal != self.is_contra


class EntryKind(models.TextChoices):
    DISBURSEMENT = "disbursement", _("Pencairan pinjaman")
    REPAYMENT = "repayment", _("Angsuran")
    REVERSAL = "reversal", _("Pembatalan angsuran")
    WRITE_OFF = "write_off", _("Hapus buku")
    RECOVERY = "recovery", _("Pemulihan pinjaman dihapus")
    SAVINGS_DEPOSIT = "savings_deposit", _("Setoran tabungan KSM")
    SAVINGS_WITHDRAWAL = "savings_withdrawal", _("Penarikan tabungan KSM")
    CASH_IN = "cash_in", _("Bukti kas masuk")
    CASH_OUT = "cash_out", _("Bukti kas keluar")
    CAPITAL = "capital", _("Penerimaan modal")
    RESERVE_ADJUSTMENT = "reserve_adjustment", _("Penyesuaian cadangan")
    TRANSFER = "transfer", _("Pemindahbukuan")
    YEAR_END = "year_end", _("Tutup buku")


class JournalEntry(models.Model):
    """One money event. Its lines must balance — checked by a deferred
    PostgreSQL constraint trigger at commit, not only by Python."""

    upk = models.ForeignKey("bkm.Unit", on_delete=models.PROTECT, related_name="journal_entries")
    number = models.PositiveIntegerField(_("nomor bukti"))
    date = models.DateField(_("tanggal"))
    kind = models.CharField(_("jenis"), max_length=20, choices=EntryKind.choices)
    description = models.CharField(_("uraian"), max_length=255)
    reverses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        verbose_name=_("membatalkan"),
    )
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "number"]
        verbose_name = _("jurnal")
        verbose_name_plural = _("jurnal")
        constraints = [models.UniqueConstraint(fields=["upk", "number"], name="upk_journal_unique_number")]
        indexes = [models.Index(fields=["upk", "date"], name="upk_je_upk_date")]

    def __str__(self) -> str:
        return f"JU-{self.number:06d} {self.date:%d-%m-%Y} {self.description}"


class JournalLine(models.Model):
    """A debit or a credit. `upk` and `date` copy the entry's so as-of sums are
    one index range scan; `loan` / `ksm` tag sub-ledger lines."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    upk = models.ForeignKey("bkm.Unit", on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    debit = money_field(_("debit"))
    credit = money_field(_("kredit"))
    loan = models.ForeignKey("Loan", null=True, blank=True, on_delete=models.PROTECT, related_name="journal_lines")
    ksm = models.ForeignKey("KSM", null=True, blank=True, on_delete=models.PROTECT, related_name="journal_lines")
    memo = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["entry_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(credit__gt=0) & Q(debit=0)),
                name="upk_line_one_side_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "date"], name="upk_line_account_date"),
            models.Index(fields=["upk", "date"], name="upk_line_upk_date"),
            models.Index(fields=["loan", "date"], name="upk_line_loan_date"),
        ]


# --- Accounting periods --------------------------------------------------------


class AccountingPeriod(models.Model):
    """A month of one UPK. Closed months form a prefix of time: closing a month
    closes every earlier month, and only the latest closed month may be reopened."""

    upk = models.ForeignKey("bkm.Unit", on_delete=models.PROTECT, related_name="periods")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(12)])
    is_closed = models.BooleanField(default=False)

    class Meta:
        ordering = ["upk", "year", "month"]
        constraints = [models.UniqueConstraint(fields=["upk", "year", "month"], name="upk_period_unique")]


class PeriodEvent(models.Model):
    CLOSE = "close"
    REOPEN = "reopen"
    ACTIONS = [(CLOSE, _("Tutup")), (REOPEN, _("Buka kembali"))]

    period = models.ForeignKey(AccountingPeriod, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=10, choices=ACTIONS)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]


class MonthlyPackage(models.Model):
    """A monthly report package submitted to Bappedalitbang (closes the month).
    `figures` keeps what was submitted (indicators, balances, checks)."""

    upk = models.ForeignKey("bkm.Unit", on_delete=models.PROTECT, related_name="monthly_packages")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    checks_ok = models.BooleanField()
    # The snapshot: what was submitted, as shown and printed for ever after
    # (`upk.packages`); never recomputed.
    figures = models.JSONField()
    # A resubmission after a staff reopening names the package it replaces;
    # the earlier one stays, marked "digantikan".
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by", editable=False
    )

    class Meta:
        ordering = ["-year", "-month", "-submitted_at"]


# --- KSM, members, savings ------------------------------------------------------


class KSM(models.Model):
    upk = models.ForeignKey("bkm.Unit", on_delete=models.PROTECT, related_name="ksms", limit_choices_to=UPK_LIMIT)
    code = models.CharField(_("kode KSM"), max_length=30)
    name = models.CharField(_("nama KSM"), max_length=200)
    kelurahan = models.ForeignKey("bkm.Kelurahan", on_delete=models.PROTECT, related_name="+")
    rt = models.CharField(_("RT"), max_length=10, blank=True)
    formed_on = models.DateField(_("tanggal pembentukan"))
    joint_liability_doc = models.FileField(
        _("pernyataan tanggung renteng"), upload_to="upk/ksm/", blank=True, max_length=255
    )
    is_active = models.BooleanField(_("aktif"), default=True)
    # The chair, to whom receipts and due-date reminders go by WhatsApp (upk/receipts.py);
    # the phone is stored normalised to 62… (upk.services.registry.ksm_chair_update).
    chair_name = models.CharField(_("nama ketua"), max_length=200, blank=True)
    chair_phone = models.CharField(_("WhatsApp ketua"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Who changed what, when (docs/ledger.md "History"); the services set the author.
    history = HistoricalRecords()

    class Meta:
        ordering = ["upk", "name"]
        verbose_name = _("KSM")
        verbose_name_plural = _("KSM")
        constraints = [models.UniqueConstraint(fields=["upk", "code"], name="upk_ksm_unique_code")]

    def __str__(self) -> str:
        return self.name


class Gender(models.TextChoices):
    MALE = "L", _("Laki-laki")
    FEMALE = "P", _("Perempuan")


class KSMMember(models.Model):
    ksm = models.ForeignKey(KSM, on_delete=models.PROTECT, related_name="members")
    nik = models.CharField(_("NIK"), max_length=16, validators=[nik_validator])
    name = models.CharField(_("nama"), max_length=200)
    gender = models.CharField(_("jenis kelamin"), max_length=1, choices=Gender.choices)
    address = models.CharField(_("alamat"), max_length=255, blank=True)
    is_poor = models.BooleanField(_("keluarga miskin (PS2)"), default=True)
    business = models.CharField(_("usaha"), max_length=200, blank=True)
    is_active = models.BooleanField(_("aktif"), default=True)

    # Who changed what, when (docs/ledger.md "History"); the services set the author.
    history = HistoricalRecords()

    class Meta:
        ordering = ["ksm", "name"]
        verbose_name = _("anggota KSM")
        verbose_name_plural = _("anggota KSM")
        constraints = [
            models.UniqueConstraint(fields=["ksm", "nik"], name="upk_member_unique_nik"),
            models.CheckConstraint(condition=Q(nik__regex=NIK_SQL_REGEX), name="upk_member_nik_16_digits"),
        ]

    def __str__(self) -> str:
        return self.name


class SavingsKind(models.TextChoices):
    DEPOSIT = "deposit", _("Setoran")
    WITHDRAWAL = "withdrawal", _("Penarikan")
    ARREARS_COVER = "arrears_cover", _("Penutup tunggakan (tanggung renteng)")


class SavingsTransaction(models.Model):
    """A movement of a KSM's tanggung-renteng savings. Amount is positive; the
    kind gives the direction. Balance = deposits − withdrawals − covers."""

    ksm = models.ForeignKey(KSM, on_delete=models.PROTECT, related_name="savings")
    upk = models.ForeignKey("bkm.Unit", on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("tanggal"))
    kind = models.CharField(_("jenis"), max_length=15, choices=SavingsKind.choices)
    amount = money_field(_("jumlah"))
    journal_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="savings_transaction")
    repayment = models.OneToOneField(
        "Repayment", null=True, blank=True, on_delete=models.PROTECT, related_name="savings_transaction"
    )
    decision = models.CharField(_("keputusan UPK"), max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ksm", "date", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="upk_savings_amount_positive")]
        indexes = [models.Index(fields=["ksm", "date"], name="upk_savings_ksm_date")]


# --- Products and loans ---------------------------------------------------------


class JasaMethod(models.TextChoices):
    FLAT = "flat", _("Flat (dari pokok awal)")
    DECLINING = "declining", _("Menurun (dari sisa pokok)")


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Bulanan")
    WEEKLY = "weekly", _("Mingguan")


ROUNDING_UNITS = [(1, "Rp 1"), (100, "Rp 100"), (500, "Rp 500"), (1000, "Rp 1.000")]


class LoanProduct(models.Model):
    upk = models.ForeignKey("bkm.Unit", on_delete=models.CASCADE, related_name="loan_products")
    name = models.CharField(_("nama produk"), max_length=120)
    jasa_rate = rate_field(_("jasa per bulan (%)"), "1.5")
    jasa_method = models.CharField(_("metode jasa"), max_length=10, choices=JasaMethod.choices, default=JasaMethod.FLAT)
    bop_rate = rate_field(_("BOP per bulan (%)"), 0)
    frequency = models.CharField(
        _("frekuensi angsuran"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    min_term = models.PositiveSmallIntegerField(
        _("jangka minimal (bulan)"), default=1, validators=[MinValueValidator(1), MaxValueValidator(24)]
    )
    max_term = models.PositiveSmallIntegerField(
        _("jangka maksimal (bulan)"), default=24, validators=[MinValueValidator(1), MaxValueValidator(24)]
    )
    rounding_unit = models.PositiveSmallIntegerField(_("pembulatan"), choices=ROUNDING_UNITS, default=100)
    late_fee_enabled = models.BooleanField(_("denda keterlambatan"), default=False)
    late_fee_amount = money_field(_("denda per angsuran terlambat"))
    late_fee_grace_days = models.PositiveSmallIntegerField(_("toleransi keterlambatan (hari)"), default=0)
    is_active = models.BooleanField(_("aktif"), default=True)

    # Who changed what, when (docs/ledger.md "History"); the services set the author.
    history = HistoricalRecords()

    class Meta:
        ordering = ["upk", "name"]
        verbose_name = _("produk pinjaman")
        verbose_name_plural = _("produk pinjaman")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_term__gte=1) & Q(max_term__lte=24) & Q(min_term__lte=models.F("max_term")),
                name="upk_product_term_range",
            ),
            models.CheckConstraint(condition=Q(rounding_unit__in=[1, 100, 500, 1000]), name="upk_product_rounding"),
        ]

    def __str__(self) -> str:
        return self.name


class LoanStatus(models.TextChoices):
    APPLIED = "applied", _("Diajukan")
    APPROVED = "approved", _("Disetujui")
    REJECTED = "rejected", _("Ditolak")
    ACTIVE = "active", _("Aktif")
    RESCHEDULED = "rescheduled", _("Dijadwal ulang")
    PAID_OFF = "paid_off", _("Lunas")
    WRITTEN_OFF = "written_off", _("Dihapusbukukan")


# The only status changes there are. upk.ledger.lifecycle.loan_transition reads it.
LOAN_TRANSITIONS: dict[str, frozenset[str]] = {
    LoanStatus.APPLIED: frozenset({LoanStatus.APPROVED, LoanStatus.REJECTED}),
    LoanStatus.APPROVED: frozenset({LoanStatus.ACTIVE}),
    LoanStatus.REJECTED: frozenset(),
    LoanStatus.ACTIVE: frozenset({LoanStatus.PAID_OFF, LoanStatus.WRITTEN_OFF, LoanStatus.RESCHEDULED}),
    LoanStatus.RESCHEDULED: frozenset({LoanStatus.PAID_OFF, LoanStatus.WRITTEN_OFF, LoanStatus.RESCHEDULED}),
    # A reversal can un-pay a paid-off loan.
    LoanStatus.PAID_OFF: frozenset({LoanStatus.ACTIVE, LoanStatus.RESCHEDULED}),
    LoanStatus.WRITTEN_OFF: frozenset(),
}

LIVE_STATUSES = (LoanStatus.ACTIVE, LoanStatus.RESCHEDULED)


class Channel(models.TextChoices):
    KAS = "kas", _("Tunai (kas)")
    BANK = "bank", _("Bank")
    SAVINGS = "savings", _("Tabungan KSM (tanggung renteng)")


class Loan(models.Model):
    """A KSM loan. Terms are copied from the product at application so a later
    product edit never changes a running loan."""

    upk = models.ForeignKey("bkm.Unit", on_delete=models.PROTECT, related_name="loans", limit_choices_to=UPK_LIMIT)
    ksm = models.ForeignKey(KSM, on_delete=models.PROTECT, related_name="loans")
    product = models.ForeignKey(LoanProduct, on_delete=models.PROTECT, related_name="loans")
    number = models.CharField(_("nomor pinjaman"), max_length=30)
    cycle = models.PositiveSmallIntegerField(_("pinjaman ke-"), default=1)
    status = models.CharField(
        _("status"), max_length=12, choices=LoanStatus.choices, default=LoanStatus.APPLIED, editable=False
    )
    applied_on = models.DateField(_("tanggal pengajuan"))
    principal = money_field(_("pokok pinjaman"))
    term_months = models.PositiveSmallIntegerField(_("jangka (bulan)"))
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    jasa_rate = models.DecimalField(max_digits=7, decimal_places=4)
    jasa_method = models.CharField(max_length=10, choices=JasaMethod.choices)
    bop_rate = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal(0))
    rounding_unit = models.PositiveSmallIntegerField(choices=ROUNDING_UNITS)
    late_fee_amount = money_field(_("denda per angsuran terlambat (0 = tanpa denda)"))
    late_fee_grace_days = models.PositiveSmallIntegerField(default=0)
    purpose = models.CharField(_("tujuan penggunaan"), max_length=255, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    disbursed_on = models.DateField(_("tanggal pencairan"), null=True, blank=True)
    disbursed_via = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    first_due_date = models.DateField(null=True, blank=True)
    closed_on = models.DateField(_("tanggal lunas"), null=True, blank=True)
    written_off_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["upk", "-applied_on", "-id"]
        verbose_name = _("pinjaman")
        verbose_name_plural = _("pinjaman")
        constraints = [
            models.UniqueConstraint(fields=["upk", "number"], name="upk_loan_unique_number"),
            models.CheckConstraint(condition=Q(principal__gt=0), name="upk_loan_principal_positive"),
            models.CheckConstraint(condition=Q(term_months__gte=1) & Q(term_months__lte=24), name="upk_loan_term"),
        ]
        indexes = [
            models.Index(fields=["upk", "status"], name="upk_loan_upk_status"),
            models.Index(fields=["upk", "disbursed_on"], name="upk_loan_upk_disbursed"),
        ]

    def __str__(self) -> str:
        return f"{self.number} — {self.ksm}"


class LoanMember(models.Model):
    """A member's share of a group loan (the amount applied for and granted)."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="loan_members")
    member = models.ForeignKey(KSMMember, on_delete=models.PROTECT, related_name="loan_shares")
    amount = money_field(_("jumlah"))

    class Meta:
        ordering = ["loan", "id"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "member"], name="upk_loanmember_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="upk_loanmember_positive"),
        ]


class LoanStatusEvent(models.Model):
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="status_events")
    from_status = models.CharField(max_length=12, choices=LoanStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=LoanStatus.choices)
    on_date = models.DateField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["loan", "at", "id"]


class Schedule(models.Model):
    """A version of a loan's schedule. Rescheduling adds a version and ends the
    previous one (`effective_to`); old versions stay for the loan's history."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="schedules")
    version = models.PositiveSmallIntegerField()
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    principal = money_field(_("pokok dijadwalkan"))
    reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["loan", "version"]
        constraints = [models.UniqueConstraint(fields=["loan", "version"], name="upk_schedule_unique_version")]


class Instalment(models.Model):
    """A group instalment. `paid_*` are a cache of current allocations kept by
    the services for the screens; reports read the allocations themselves
    (see selectors.ledger_drift for the check)."""

    schedule = models.ForeignKey(Schedule, on_delete=models.PROTECT, related_name="instalments")
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="instalments")
    upk = models.ForeignKey("bkm.Unit", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField(_("angsuran ke-"))
    due_date = models.DateField(_("jatuh tempo"))
    pokok = money_field(_("pokok"))
    jasa = money_field(_("jasa"))
    bop = money_field(_("BOP"))
    total = money_field(_("jumlah"))
    paid_pokok = money_field(_("pokok dibayar"))
    paid_jasa = money_field(_("jasa dibayar"))
    paid_bop = money_field(_("BOP dibayar"))
    paid_denda = money_field(_("denda dibayar"))

    class Meta:
        ordering = ["schedule", "number"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "number"], name="upk_instalment_unique_number"),
            models.CheckConstraint(
                condition=Q(pokok__gte=0) & Q(jasa__gte=0) & Q(bop__gte=0), name="upk_instalment_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(total=models.F("pokok") + models.F("jasa") + models.F("bop")), name="upk_instalment_total"
            ),
        ]
        indexes = [
            models.Index(fields=["upk", "due_date"], name="upk_inst_upk_due"),
            models.Index(fields=["loan", "due_date"], name="upk_inst_loan_due"),
        ]


class MemberInstalment(models.Model):
    """A member's share of a group instalment (largest-remainder split)."""

    instalment = models.ForeignKey(Instalment, on_delete=models.PROTECT, related_name="member_shares")
    loan_member = models.ForeignKey(LoanMember, on_delete=models.PROTECT, related_name="instalments")
    pokok = money_field(_("pokok"))
    jasa = money_field(_("jasa"))
    bop = money_field(_("BOP"))

    class Meta:
        ordering = ["instalment", "loan_member"]
        constraints = [models.UniqueConstraint(fields=["instalment", "loan_member"], name="upk_meminst_unique")]


class CollectionSheet(models.Model):
    """One submitted collection sheet (lembar penagihan): all its repayments
    were posted in the same transaction."""

    upk = models.ForeignKey("bkm.Unit", on_delete=models.PROTECT, related_name="collection_sheets")
    date = models.DateField()
    idempotency_key = models.CharField(max_length=80, unique=True, editable=False)
    total = money_field(_("jumlah"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]


class Repayment(models.Model):
    """Money received on a live loan. Never edited or deleted; see Reversal."""

    upk = models.ForeignKey("bkm.Unit", on_delete=models.PROTECT, related_name="repayments")
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="repayments")
    receipt_number = models.CharField(_("nomor kuitansi"), max_length=30)
    paid_on = models.DateField(_("tanggal bayar"))
    amount = money_field(_("jumlah"))
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.KAS)
    idempotency_key = models.CharField(max_length=80, unique=True, editable=False)
    journal_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="repayment")
    collection_sheet = models.ForeignKey(
        CollectionSheet, null=True, blank=True, on_delete=models.PROTECT, related_name="repayments"
    )
    is_reversed = models.BooleanField(default=False, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["loan", "paid_on", "id"]
        verbose_name = _("angsuran")
        verbose_name_plural = _("angsuran")
        constraints = [
            models.UniqueConstraint(fields=["upk", "receipt_number"], name="upk_repayment_unique_receipt"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="upk_repayment_positive"),
        ]
        indexes = [
            models.Index(fields=["loan", "paid_on"], name="upk_rep_loan_paid"),
            models.Index(fields=["upk", "paid_on"], name="upk_rep_upk_paid"),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_number} {self.amount}"


class RepaymentMember(models.Model):
    """Who in the KSM paid how much of a repayment (optional split)."""

    repayment = models.ForeignKey(Repayment, on_delete=models.PROTECT, related_name="member_parts")
    loan_member = models.ForeignKey(LoanMember, on_delete=models.PROTECT, related_name="payments")
    amount = money_field(_("jumlah"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["repayment", "loan_member"], name="upk_repmember_unique")]


class Component(models.TextChoices):
    DENDA = "denda", _("Denda")
    JASA = "jasa", _("Jasa")
    BOP = "bop", _("BOP")
    POKOK = "pokok", _("Pokok")


class Allocation(models.Model):
    """How much of a repayment went to which instalment component, valid for
    report dates in [effective_from, effective_to). Rows are never deleted."""

    repayment = models.ForeignKey(Repayment, on_delete=models.PROTECT, related_name="allocations")
    # No single-column index: (loan, effective_from) below serves look-ups by
    # loan, and the planner picked the single one for "these loans as of D"
    # (reading every row of the loans instead of the range).
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="+", db_index=False)
    upk = models.ForeignKey("bkm.Unit", on_delete=models.PROTECT, related_name="+")
    instalment = models.ForeignKey(Instalment, on_delete=models.PROTECT, related_name="allocations")
    component = models.CharField(max_length=5, choices=Component.choices)
    amount = money_field(_("jumlah"))
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    # Copies for set-based as-of reports (no join to instalments needed):
    # the instalment's due date and schedule, and whether this piece completed it. An
    # instalment is settled by one piece once fully paid, so the settling pieces
    # valid on a date count the instalments fully paid on that date.
    due_date = models.DateField(null=True)
    settles = models.BooleanField(default=False)
    schedule = models.ForeignKey("Schedule", null=True, on_delete=models.PROTECT, related_name="+", db_index=False)

    class Meta:
        ordering = ["repayment", "instalment", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="upk_allocation_positive")]
        indexes = [
            models.Index(fields=["upk", "effective_from"], name="upk_alloc_upk_from"),
            models.Index(fields=["loan", "effective_from"], name="upk_alloc_loan_from"),
            models.Index(fields=["instalment"], name="upk_alloc_instalment"),
        ]


class Reversal(models.Model):
    repayment = models.OneToOneField(Repayment, on_delete=models.PROTECT, related_name="reversal")
    reversed_on = models.DateField(_("tanggal pembatalan"))
    reason = models.TextField(_("alasan"))
    journal_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="reversal")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)


class ApprovalStatus(models.TextChoices):
    PROPOSED = "proposed", _("Diusulkan")
    APPROVED = "approved", _("Disetujui")
    REJECTED = "rejected", _("Ditolak")


class UpkRuleVersion(models.Model):
    """A version of a UPK's rules effective from a month (`upk/ledger/rules.py`):
    proposed by a manager, approved or rejected by a staff admin other than the
    proposer; effective from the first open month on the day it is approved."""

    upk = models.ForeignKey(
        "bkm.Unit", on_delete=models.PROTECT, related_name="rule_versions", limit_choices_to=UPK_LIMIT
    )
    values = models.JSONField(_("aturan"))  # every rule field, decimals as text
    effective_from = models.DateField(_("berlaku mulai"))  # the first day of a month
    reason = models.TextField(_("alasan"))
    status = models.CharField(max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["upk", "-effective_from", "-pk"]
        verbose_name = _("versi aturan UPK")
        verbose_name_plural = _("versi aturan UPK")
        indexes = [models.Index(fields=["upk", "status", "effective_from"], name="upk_rulever_in_force")]
        constraints = [
            models.CheckConstraint(condition=Q(effective_from__day=1), name="upk_rulever_from_month_start"),
        ]


class Reschedule(models.Model):
    """A reschedule request by the UPK manager, approved or rejected by staff."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="reschedules")
    effective_on = models.DateField(_("berlaku mulai"))
    term_months = models.PositiveSmallIntegerField(
        _("jangka baru (bulan)"), validators=[MinValueValidator(1), MaxValueValidator(24)]
    )
    reason = models.TextField(_("alasan"))
    status = models.CharField(max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    new_schedule = models.OneToOneField(
        Schedule, null=True, blank=True, on_delete=models.PROTECT, related_name="reschedule"
    )


class WriteOff(models.Model):
    """Hapus buku: proposed by the UPK manager, approved by staff."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="write_offs")
    proposed_on = models.DateField(_("tanggal usulan"))
    reason = models.TextField(_("alasan"))
    status = models.CharField(max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    written_off_on = models.DateField(null=True, blank=True)
    amount = money_field(_("pokok dihapus"))
    journal_entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="write_off"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["loan"], condition=Q(status__in=["proposed", "approved"]), name="upk_writeoff_one_open"
            )
        ]


class Recovery(models.Model):
    """Money received on a written-off loan: income, not a repayment."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="recoveries")
    upk = models.ForeignKey("bkm.Unit", on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField(_("tanggal terima"))
    amount = money_field(_("jumlah"))
    journal_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="recovery")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="upk_recovery_positive")]


class YearEndClosing(models.Model):
    """Tutup buku: the year's surplus closed into capital/UPS/UPL/other."""

    upk = models.ForeignKey("bkm.Unit", on_delete=models.PROTECT, related_name="year_end_closings")
    year = models.PositiveSmallIntegerField()
    surplus = models.DecimalField(max_digits=15, decimal_places=0)
    allocations = models.JSONField()
    journal_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="year_end_closing")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["upk", "year"], name="upk_year_end_unique")]


class LoanMonthEnd(models.Model):
    """Each loan's position at the end of a closed month — a cache for
    city-wide month-end reports. A closed month cannot change, so these rows
    cannot drift; reopening the month deletes them and closing writes them
    again. Reports for other dates read the allocations themselves."""

    upk = models.ForeignKey("bkm.Unit", on_delete=models.CASCADE, related_name="+")
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="+")
    ksm_id = models.BigIntegerField()
    as_of = models.DateField()
    outstanding = money_field(_("sisa pokok"))
    n_arrears = models.PositiveSmallIntegerField(default=0)
    due_total = money_field(_("jatuh tempo"))
    paid_on_due = money_field(_("dibayar"))
    arrears_pokok = money_field(_("pokok tertunggak"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["loan", "as_of"], name="upk_loanmonthend_unique")]
        indexes = [models.Index(fields=["as_of", "upk"], name="upk_lme_asof_upk")]


class UpkMonthEnd(models.Model):
    """A UPK's account totals at the end of a closed month (reserve, Pinjaman
    KSM, capital, income/costs/jasa year to date) — the companion of
    `LoanMonthEnd`, written and dropped with it."""

    upk = models.ForeignKey("bkm.Unit", on_delete=models.CASCADE, related_name="+")
    as_of = models.DateField()
    totals = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["upk", "as_of"], name="upk_upkmonthend_unique")]


class StateArrayField(ArrayField):
    """A PostgreSQL array. Other databases (SQLite for `make run`) get a text
    column that stays empty: there the state is not kept and the reports
    read the allocations (see upk/states.py)."""

    def db_type(self, connection):  # type: ignore[no-untyped-def]
        if connection.vendor != "postgresql":
            return "text"
        return super().db_type(connection)


class LoanState(models.Model):
    """A disbursed loan's current position in one row, so that as-of reports
    read one row per loan instead of its allocations and instalments
    (upk/states.py; docs/ledger.md §12). Written by the services in the same
    transaction as every change of the loan's allocations or schedule.

    It equals the loan's current allocation rows (effective_to IS NULL) on
    its current schedule, which are the rows valid on any date ≥ `valid_from`.
    The arrays follow the current schedule's instalments in order; element k
    (1-based) sums instalments 1..k, so the figures as of D are element
    width_bucket(D, due_dates) (the number of instalments due by D). The due
    side (cum_due, cum_pokok, cum_nonzero) depends only on the schedule, so it
    also serves dates before valid_from while the schedule is the same."""

    loan = models.OneToOneField(Loan, on_delete=models.CASCADE, primary_key=True, related_name="+")
    upk = models.ForeignKey("bkm.Unit", on_delete=models.CASCADE, related_name="+", db_index=False)
    ksm_id = models.BigIntegerField()
    valid_from = models.DateField()
    principal = models.BigIntegerField()
    pokok_all = models.BigIntegerField()  # pokok paid over all schedules (principal − outstanding)
    written_off_on = models.DateField(null=True, blank=True)  # copy of Loan.written_off_on
    schedule_from = models.DateField()  # the current schedule's effective_from
    shared_ksm = models.BooleanField(default=False)  # the KSM has another disbursed loan
    due_dates = StateArrayField(models.DateField())
    cum_due = StateArrayField(models.BigIntegerField())  # pokok + jasa + BOP of instalments 1..k
    cum_pokok = StateArrayField(models.BigIntegerField())  # their pokok
    cum_nonzero = StateArrayField(models.IntegerField())  # how many of them have total > 0
    cum_paid = StateArrayField(models.BigIntegerField())  # paid on them, without denda
    cum_arrears_pokok = StateArrayField(models.BigIntegerField())  # their pokok not paid
    cum_unsettled = StateArrayField(models.IntegerField())  # of them, with total > 0 and not fully paid

    class Meta:
        indexes = [models.Index(fields=["upk", "valid_from"], name="upk_state_upk_valid")]


# --- Import of existing books (ledger-ui; screens engineer) ------------------------------------
# Kept in its own section at the end of the file with its own migration so
# the domain core above merges without conflicts.


class ImportJob(models.Model):
    """One upload of an existing UPK's books (upk.services.imports). The Celery task
    writes progress here; the status page polls it."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    STATUSES = [
        (PENDING, _("Menunggu")),
        (RUNNING, _("Diproses")),
        (DONE, _("Selesai")),
        (FAILED, _("Ditolak")),
    ]

    upk = models.ForeignKey("bkm.Unit", on_delete=models.PROTECT, related_name="import_jobs")
    file = models.FileField(_("berkas"), upload_to="upk/imports/", max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    dry_run = models.BooleanField(_("periksa saja"), default=False)
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Who runs it (upk.jobs): claimed by one task, watched like a report run.
    started_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    task_id = models.CharField(max_length=255, blank=True)
    worker_hostname = models.CharField(max_length=255, blank=True)
    worker_host = models.CharField(max_length=255, blank=True)
    worker_pid = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def percent(self) -> int:
        return 100 if self.status == self.DONE else int(self.processed * 100 / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.DONE, self.FAILED)


# --- Stored portfolio figures (issue 12; upk/figures.py) ---------------------------------------
# Its own section at the end of the file with its own migration, like the import above.


class FiguresVersion(models.Model):
    """A counter per UPK, raised by database triggers on every write to a
    table the portfolio figures read (loans, allocations, instalments, journal
    lines, accounts, rules, states, month-end caches; migration
    0020_stored_portfolio_figures). A stored figure is valid while the counter
    it was computed under is the current one. No foreign key: the triggers fire
    while a unit's rows are deleted too."""

    upk_id = models.BigIntegerField(primary_key=True)
    version = models.BigIntegerField(default=0)
    # The transaction that last raised `version` (pg_current_xact_id): it rises
    # once per transaction (migration 0022; `figures.store` clears it).
    bumped_in = models.BigIntegerField(null=True)


class UpkFigures(models.Model):
    """One UPK's portfolio figures as of a date, as `selectors.portfolio_summary_many`
    computed them (the raw sums; indicators, bands and reserve requirements are
    derived from them at read time by the same Python code). Valid while
    `version` equals the UPK's `FiguresVersion`, or, for a month end that was
    closed when computed (`closed`), until that month is reopened (the trigger
    on the periods deletes the rows). A cache: deleting every row is harmless."""

    upk_id = models.BigIntegerField()
    as_of = models.DateField()
    version = models.BigIntegerField()
    closed = models.BooleanField(default=False)
    values = models.JSONField()  # selectors.RAW_FIELDS, in that order (whole numbers)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["upk_id", "as_of"], name="upk_upkfigures_unique")]
