"""Writes of the UPK ledger: one atomic action per user intent, orchestrated
over the ledger core (`upk/ledger/`, which owns every money rule and every
ledger write — see docs/ledger.md "Where each rule lives").

Every money event posts a balanced journal entry (the database checks the
balance again at commit). Errors raise `LedgerError` with Indonesian messages
and change nothing. Every public service checks its actor's permission first
(`upk.permissions.check_*`, which returns the user the ledger records).

Public API (keyword-only arguments):
    upk_setup(*, upk) -> UpkSettings
    ksm_create(*, upk, code, name, kelurahan, formed_on, actor, rt="") -> KSM
    ksm_member_add(*, ksm, nik, name, gender, actor, address="", is_poor=True, business="") -> KSMMember
    product_create(*, upk, name, actor, **terms) -> LoanProduct
    product_update(*, product, actor, **terms) -> LoanProduct
    upk_settings_update(*, upk, actor, **fields) -> UpkSettings
    account_create(*, upk, actor, code, name, kind, is_contra=False) -> Account
    account_rename(*, account, actor, name) -> Account
    loan_apply(*, ksm, product, applied_on, member_amounts, term_months, actor, purpose="", historical=False) -> LoanApplication
    loan_decide(*, loan, approve, decided_on, actor, reason="") -> Loan
    loan_disburse(*, loan, disbursed_on, actor, via="kas", first_due_date=None) -> Loan
    repayment_record(*, loan, amount, paid_on, actor, idempotency_key, member_split=None, channel="kas") -> Repayment
    collection_sheet_post(*, upk, date, payments, actor, idempotency_key) -> CollectionSheet
    repayment_reverse(*, repayment, reversed_on, reason, actor) -> Reversal
    period_close(*, upk, year, month, actor, reason="", today=None) -> AccountingPeriod
    period_reopen(*, upk, year, month, actor, reason) -> AccountingPeriod
    monthly_package_submit(*, upk, year, month, actor, today=None) -> MonthlyPackage
    reschedule_propose(*, loan, effective_on, term_months, reason, actor) -> Reschedule
    reschedule_decide(*, reschedule, approve, actor, reason="") -> Reschedule
    writeoff_propose(*, loan, proposed_on, reason, actor) -> WriteOff
    writeoff_decide(*, write_off, approve, actor, written_off_on=None, reason="") -> WriteOff
    recovery_record(*, loan, amount, received_on, actor, idempotency_key, channel="kas") -> Recovery
    savings_deposit(*, ksm, amount, date, actor, idempotency_key, channel="kas") -> SavingsTransaction
    savings_withdraw(*, ksm, amount, date, actor, idempotency_key, channel="kas") -> SavingsTransaction
    savings_cover_arrears(*, loan, amount, date, decision, actor, idempotency_key) -> SavingsTransaction
    cash_voucher_record(*, upk, direction, account, amount, date, description, actor, idempotency_key, channel="kas") -> JournalEntry
    capital_receive(*, upk, account, amount, date, description, actor, idempotency_key, channel="bank") -> JournalEntry
    reserve_adjust(*, upk, date, actor, idempotency_key, amount=None) -> JournalEntry | None
    year_end_close(*, upk, year, actor) -> YearEndClosing
    Shortcuts: loan_reschedule (= reschedule_propose), reschedule_approve / reschedule_reject,
    writeoff_approve / writeoff_reject (= *_decide with approve=True/False).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from . import permissions
from .ledger import engine, states
from .ledger.actors import Actor
from .ledger.books import (
    create_schedule,
    current_schedule,
    load_books,
    loan_terms,
    plan_replay,
    replay_loan,
    write_plans,
)
from .ledger.chart import DEFAULT_CHART as DEFAULT_CHART  # re-exported: callers set up UPKs through services
from .ledger.chart import cash_account, get_settings, role_accounts
from .ledger.chart import upk_setup as upk_setup
from .ledger.errors import LedgerError, month_label, positive_rupiah, rp, whole_rupiah
from .ledger.idempotency import existing_by_key, idempotent, idempotent_entry, require_key
from .ledger.idempotency import upk_scoped_key as upk_scoped_key
from .ledger.journal import EntrySpec, Leg, component_legs, post_entries, post_entry, reallocation_specs
from .ledger.lifecycle import loan_transition, sync_paid_off
from .ledger.locks import lock_ksm, lock_loans, lock_loans_and_books
from .ledger.numbering import next_number
from .ledger.periods import PostingWindow as PostingWindow
from .ledger.periods import check_open, last_closed, month_end, posting_window_of
from .ledger.periods import latest_posting_date as latest_posting_date
from .ledger.repayments import PayItem, record_repayments_locked
from .ledger.rules import RULE_FIELDS
from .ledger.rules import apply as rules_apply
from .ledger.rules import encode as rules_encode
from .ledger.rules import rules_in_force as rules_in_force
from .models import (
    CAPITAL_ROLES,
    KSM,
    LIVE_STATUSES,
    Account,
    AccountingPeriod,
    AccountKind,
    AccountRole,
    Allocation,
    ApprovalStatus,
    Channel,
    CollectionSheet,
    Component,
    EntryKind,
    Frequency,
    Gender,
    JasaMethod,
    JournalEntry,
    KSMMember,
    Loan,
    LoanMember,
    LoanMonthEnd,
    LoanProduct,
    LoanStatus,
    LoanStatusEvent,
    MonthlyPackage,
    PeriodEvent,
    Recovery,
    Repayment,
    Reschedule,
    Reversal,
    SavingsKind,
    SavingsTransaction,
    Schedule,
    UpkMonthEnd,
    UpkRuleVersion,
    UpkSettings,
    WriteOff,
    YearEndClosing,
)
from .selectors import savings_balance, savings_months_run

if TYPE_CHECKING:
    from bkm.models import Kelurahan, Unit
    from core.models import User

# --- Setup: settings and chart of accounts -------------------------------------------


# --- Posting primitives --------------------------------------------------------------


# --- KSM and products ----------------------------------------------------------------------


def ksm_create(
    *, upk: Unit, code: str, name: str, kelurahan: Kelurahan, formed_on: date, actor: Actor, rt: str = ""
) -> KSM:
    actor = permissions.check_post(actor, upk)
    code = code.strip()
    if KSM.objects.filter(upk=upk, code=code).exists():
        raise LedgerError(_("Kode KSM %(code)s sudah dipakai di UPK ini.") % {"code": code})
    ksm = KSM(upk=upk, code=code, name=name.strip(), kelurahan=kelurahan, rt=rt, formed_on=formed_on)
    _save_with_history(ksm, actor, _("KSM dibentuk"))
    return ksm


def _save_with_history(obj: Any, actor: User, reason: str = "", update_fields: list[str] | None = None) -> None:
    """Save a KSM, member, product, account or settings row so its history
    (django-simple-history) records who changed it and why, also outside a
    request (import, tasks)."""
    obj._history_user = actor
    obj._change_reason = reason[:100]
    obj.save(update_fields=update_fields)


_OPEN_LOAN_STATUSES = (LoanStatus.APPLIED, LoanStatus.APPROVED, *LIVE_STATUSES)
KSM_EDIT_FIELDS = ("code", "name", "kelurahan", "rt", "formed_on")
MEMBER_EDIT_FIELDS = ("nik", "name", "gender", "address", "is_poor", "business")


@transaction.atomic
def ksm_update(*, ksm: KSM, actor: Actor, reason: str = "", **fields: Any) -> KSM:
    """Correct a KSM's data (`KSM_EDIT_FIELDS`); the history keeps the old values."""
    actor = permissions.check_post(actor, ksm.upk_id)
    unknown = set(fields) - set(KSM_EDIT_FIELDS)
    if unknown:
        raise LedgerError(_("Isian tidak dikenal: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    ksm = KSM.objects.select_for_update().get(pk=ksm.pk)
    if "code" in fields:
        fields["code"] = str(fields["code"]).strip()
        if not fields["code"]:
            raise LedgerError(_("Kode KSM wajib diisi."))
        if KSM.objects.filter(upk_id=ksm.upk_id, code=fields["code"]).exclude(pk=ksm.pk).exists():
            raise LedgerError(_("Kode KSM %(code)s sudah dipakai di UPK ini.") % {"code": fields["code"]})
    if "name" in fields:
        fields["name"] = str(fields["name"]).strip()
        if not fields["name"]:
            raise LedgerError(_("Nama KSM wajib diisi."))
    for key, value in fields.items():
        setattr(ksm, key, value)
    _save_with_history(ksm, actor, reason or _("Data KSM diubah"))
    return ksm


@transaction.atomic
def ksm_set_active(*, ksm: KSM, active: bool, actor: Actor, reason: str) -> KSM:
    """Deactivate (or reactivate) a KSM, with a reason. A KSM with a loan
    applied, approved or running stays active."""
    actor = permissions.check_post(actor, ksm.upk_id)
    if not (reason or "").strip():
        raise LedgerError(_("Alasan wajib diisi."))
    ksm = KSM.objects.select_for_update().get(pk=ksm.pk)
    if not active and ksm.loans.filter(status__in=_OPEN_LOAN_STATUSES).exists():
        raise LedgerError(
            _("KSM %(ksm)s masih punya pinjaman berjalan; tidak dapat dinonaktifkan.") % {"ksm": ksm.name}
        )
    ksm.is_active = active
    _save_with_history(ksm, actor, reason.strip(), update_fields=["is_active"])
    return ksm


@transaction.atomic
def ksm_member_update(*, member: KSMMember, actor: Actor, reason: str = "", **fields: Any) -> KSMMember:
    """Correct a member's data (`MEMBER_EDIT_FIELDS`); the history keeps the old values."""
    actor = permissions.check_post(actor, member.ksm.upk_id)
    unknown = set(fields) - set(MEMBER_EDIT_FIELDS)
    if unknown:
        raise LedgerError(_("Isian tidak dikenal: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    member = KSMMember.objects.select_for_update().get(pk=member.pk)
    if "nik" in fields:
        fields["nik"] = str(fields["nik"] or "").strip()
        if len(fields["nik"]) != 16 or not fields["nik"].isdigit():
            raise LedgerError(_("NIK harus 16 digit angka."))
        if KSMMember.objects.filter(ksm_id=member.ksm_id, nik=fields["nik"]).exclude(pk=member.pk).exists():
            raise LedgerError(_("NIK %(nik)s sudah terdaftar di KSM ini.") % {"nik": fields["nik"]})
    if "gender" in fields and fields["gender"] not in Gender.values:
        raise LedgerError(_("Jenis kelamin harus L atau P."))
    if "name" in fields:
        fields["name"] = str(fields["name"]).strip()
        if not fields["name"]:
            raise LedgerError(_("Nama anggota wajib diisi."))
    for key, value in fields.items():
        setattr(member, key, value)
    _save_with_history(member, actor, reason or _("Data anggota diubah"))
    return member


@transaction.atomic
def ksm_member_set_active(*, member: KSMMember, active: bool, actor: Actor, reason: str) -> KSMMember:
    """Deactivate (or reactivate) a member, with a reason. A member sharing a
    loan applied, approved or running stays active (joint liability)."""
    actor = permissions.check_post(actor, member.ksm.upk_id)
    if not (reason or "").strip():
        raise LedgerError(_("Alasan wajib diisi."))
    member = KSMMember.objects.select_for_update().get(pk=member.pk)
    if not active and LoanMember.objects.filter(member=member, loan__status__in=_OPEN_LOAN_STATUSES).exists():
        raise LedgerError(
            _("%(name)s masih ikut menanggung pinjaman berjalan; tidak dapat dinonaktifkan.") % {"name": member.name}
        )
    member.is_active = active
    _save_with_history(member, actor, reason.strip(), update_fields=["is_active"])
    return member


def ksm_member_add(
    *,
    ksm: KSM,
    nik: str,
    name: str,
    gender: str,
    actor: Actor,
    address: str = "",
    is_poor: bool = True,
    business: str = "",
) -> KSMMember:
    actor = permissions.check_post(actor, ksm.upk_id)
    nik = (nik or "").strip()
    if len(nik) != 16 or not nik.isdigit():
        raise LedgerError(_("NIK harus 16 digit angka."))
    if gender not in Gender.values:
        raise LedgerError(_("Jenis kelamin harus L atau P."))
    if KSMMember.objects.filter(ksm=ksm, nik=nik).exists():
        raise LedgerError(_("NIK %(nik)s sudah terdaftar di KSM ini.") % {"nik": nik})
    member = KSMMember(
        ksm=ksm, nik=nik, name=name.strip(), gender=gender, address=address, is_poor=is_poor, business=business
    )
    _save_with_history(member, actor, _("Anggota didaftarkan"))
    return member


def product_create(*, upk: Unit, name: str, actor: Actor, **terms: Any) -> LoanProduct:
    """Terms: jasa_rate, jasa_method, bop_rate, frequency, min_term, max_term,
    rounding_unit, late_fee_enabled, late_fee_amount, late_fee_grace_days.
    The UPK's managers or a staff admin (`check_configure`)."""
    actor = permissions.check_configure(actor, upk)
    product = LoanProduct(upk=upk, name=name, **terms)
    _validate_product(product)
    _save_with_history(product, actor, _("Produk dibuat"))
    return product


# --- Loan lifecycle ------------------------------------------------------------------------------


@dataclass
class LoanApplication:
    loan: Loan
    warnings: list[str]


@transaction.atomic
def loan_apply(
    *,
    ksm: KSM,
    product: LoanProduct,
    applied_on: date,
    member_amounts: Mapping[Any, Any],
    term_months: int,
    actor: Actor,
    purpose: str = "",
    historical: bool = False,
    jasa_rate: Any = None,
    jasa_method: str | None = None,
) -> LoanApplication:
    """Record an application. KSM rules give errors (refused) or warnings
    (stored on the loan and returned). `member_amounts` maps KSMMember (or its
    pk) to the amount asked for that member.

    `historical=True` is for the import of an existing UPK's books only: the
    loan was decided under the rules of its time, so today's application
    rules (minimum members, savings months before a first loan, per-member
    ceilings) are not checked again, nor today's product terms: a product
    since retired (inactive) may be named and the term need only be a loan
    term at all (1–24 months). Every data check still applies (the product is
    the UPK's, active members, amounts, one loan at a time per KSM).
    A historical loan may also carry its own `jasa_rate` (% per month) and
    `jasa_method`, as it was lent; otherwise, and always for a new
    application, the product's apply."""
    actor = permissions.check_post(actor, ksm.upk_id)
    if (jasa_rate is not None or jasa_method is not None) and not historical:
        raise ValueError("jasa_rate/jasa_method are for historical loans only")
    rules = rules_in_force([ksm.upk_id], applied_on)[ksm.upk_id]
    errors: list[str] = []
    warnings: list[str] = []
    rate = Decimal(str(product.jasa_rate if jasa_rate is None else jasa_rate))
    method = jasa_method or product.jasa_method
    if not 0 <= rate <= 100 or rate != rate.quantize(Decimal("0.0001")):
        errors.append(_("Jasa per bulan harus antara 0 dan 100 persen, paling banyak 4 angka desimal."))
    if method not in JasaMethod.values:
        errors.append(_("Metode jasa harus flat atau menurun."))
    if product.upk_id != ksm.upk_id or not (product.is_active or historical):
        raise LedgerError(_("Produk pinjaman tidak tersedia di UPK ini."))
    low, high = (1, 24) if historical else (product.min_term, product.max_term)
    if not low <= term_months <= high:
        errors.append(_("Jangka waktu harus %(min)s–%(max)s bulan.") % {"min": low, "max": high})
    active_members = {m.pk: m for m in ksm.members.filter(is_active=True)}
    amounts: dict[int, int] = {}
    for key, value in member_amounts.items():
        pk = key if isinstance(key, int) else key.pk
        if pk not in active_members:
            errors.append(_("Anggota %(pk)s bukan anggota aktif KSM ini.") % {"pk": pk})
            continue
        amount = whole_rupiah(value, _("Jumlah pinjaman anggota"))
        if amount < 0:
            errors.append(_("Jumlah pinjaman %(name)s tidak boleh negatif.") % {"name": active_members[pk].name})
        elif amount > 0:
            amounts[pk] = amount
    if not amounts:
        errors.append(_("Isi jumlah pinjaman sedikitnya untuk satu anggota."))
    if len(active_members) < rules.min_members and not historical:
        errors.append(
            _("KSM harus beranggotakan sedikitnya %(n)s orang (saat ini %(m)s).")
            % {"n": rules.min_members, "m": len(active_members)}
        )
    women = sum(1 for m in active_members.values() if m.gender == Gender.FEMALE)
    if active_members and Decimal(women * 100) / len(active_members) < rules.min_women_pct:
        warnings.append(
            _("Anggota perempuan %(w)s dari %(n)s orang, di bawah %(pct)s%%.")
            % {"w": women, "n": len(active_members), "pct": rules.min_women_pct.normalize()}
        )
    previous = Loan.objects.filter(ksm=ksm).exclude(status__in=[LoanStatus.REJECTED])
    if previous.filter(status__in=[LoanStatus.APPLIED, LoanStatus.APPROVED, *LIVE_STATUSES]).exists():
        errors.append(_("KSM ini masih memiliki pinjaman yang berjalan atau sedang diajukan."))
    cycle = previous.filter(disbursed_on__isnull=False).count() + 1
    if cycle == 1 and rules.min_savings_months and not historical:
        run = savings_months_run(ksm, applied_on)
        if run < rules.min_savings_months:
            errors.append(
                _(
                    "KSM harus menabung sedikitnya %(n)s bulan berturut-turut sebelum pinjaman pertama (baru %(m)s bulan)."
                )
                % {"n": rules.min_savings_months, "m": run}
            )
    repeat_members = set(
        LoanMember.objects.filter(member_id__in=amounts, loan__disbursed_on__isnull=False).values_list(
            "member_id", flat=True
        )
    )
    for pk, amount in amounts.items():
        ceiling = rules.ceiling_repeat_loan if pk in repeat_members else rules.ceiling_first_loan
        if amount > ceiling and not historical:
            errors.append(
                _("Pinjaman %(name)s %(amount)s melebihi plafon %(ceiling)s.")
                % {"name": active_members[pk].name, "amount": rp(amount), "ceiling": rp(ceiling)}
            )
    if errors:
        raise LedgerError(*errors)
    number = f"PJ-{applied_on.year}-{next_number(ksm.upk_id, 'loan'):05d}"
    loan = Loan.objects.create(
        upk_id=ksm.upk_id,
        ksm=ksm,
        product=product,
        number=number,
        cycle=cycle,
        applied_on=applied_on,
        principal=Decimal(sum(amounts.values())),
        term_months=term_months,
        frequency=product.frequency,
        jasa_rate=rate,
        jasa_method=method,
        bop_rate=product.bop_rate,
        rounding_unit=product.rounding_unit,
        late_fee_amount=product.late_fee_amount if product.late_fee_enabled else Decimal(0),
        late_fee_grace_days=product.late_fee_grace_days,
        purpose=purpose,
        warnings=warnings,
        created_by=actor,
    )
    LoanMember.objects.bulk_create(
        [LoanMember(loan=loan, member_id=pk, amount=Decimal(amount)) for pk, amount in sorted(amounts.items())]
    )
    LoanStatusEvent.objects.create(
        loan=loan,
        from_status="",
        to_status=LoanStatus.APPLIED,
        on_date=applied_on,
        actor=actor,
        reason="; ".join(
            [*warnings, _("Data historis (impor): aturan pengajuan tidak diperiksa ulang.")] if historical else warnings
        ),
    )
    return LoanApplication(loan=loan, warnings=warnings)


@transaction.atomic
def loan_decide(*, loan: Loan, approve: bool, decided_on: date, actor: Actor, reason: str = "") -> Loan:
    """The UPK manager's decision (putusan). A rejection needs a reason."""
    actor = permissions.check_post(actor, loan.upk_id)
    loan = lock_loans([loan.pk])[loan.pk]
    if not approve and not reason.strip():
        raise LedgerError(_("Alasan penolakan wajib diisi."))
    if decided_on < loan.applied_on:
        raise LedgerError(_("Tanggal keputusan tidak boleh sebelum tanggal pengajuan."))
    loan.decided_on = decided_on
    loan_transition(
        loan, LoanStatus.APPROVED if approve else LoanStatus.REJECTED, actor=actor, on=decided_on, reason=reason
    )
    return loan


@transaction.atomic
def loan_disburse(
    *, loan: Loan, disbursed_on: date, actor: Actor, via: str = Channel.KAS, first_due_date: date | None = None
) -> Loan:
    """Pencairan: schedule v1 (group and members) and Dr Pinjaman KSM / Cr Kas|Bank."""
    actor = permissions.check_post(actor, loan.upk_id)
    loan = lock_loans([loan.pk])[loan.pk]
    if loan.status != LoanStatus.APPROVED:
        raise LedgerError(_("Hanya pinjaman yang sudah disetujui yang dapat dicairkan."))
    if loan.decided_on and disbursed_on < loan.decided_on:
        raise LedgerError(_("Tanggal pencairan tidak boleh sebelum tanggal keputusan."))
    check_open(loan.upk_id, disbursed_on, _("pencairan"))
    if first_due_date is None:
        first_due_date = (
            disbursed_on + timedelta(days=7)
            if loan.frequency == Frequency.WEEKLY
            else engine.add_months(disbursed_on, 1)
        )
    if first_due_date <= disbursed_on:
        raise LedgerError(_("Jatuh tempo pertama harus sesudah tanggal pencairan."))
    lines = engine.build_schedule(loan_terms(loan), first_due_date)
    create_schedule(loan, version=1, effective_from=disbursed_on, lines=lines, reason=_("Pencairan"))
    accounts = role_accounts(loan.upk_id)
    principal = int(loan.principal)
    post_entry(
        upk_id=loan.upk_id,
        on=disbursed_on,
        kind=EntryKind.DISBURSEMENT,
        description=_("Pencairan %(loan)s %(ksm)s") % {"loan": loan.number, "ksm": loan.ksm.name},
        legs=[
            Leg(accounts[AccountRole.LOANS], principal, loan_id=loan.pk),
            Leg(cash_account(accounts, via), -principal, loan_id=loan.pk),
        ],
        actor=actor,
    )
    loan.disbursed_on = disbursed_on
    loan.disbursed_via = via
    loan.first_due_date = first_due_date
    loan_transition(loan, LoanStatus.ACTIVE, actor=actor, on=disbursed_on)
    return loan


# --- Replay ---------------------------------------------------------------------------------------


# --- Repayments ---------------------------------------------------------------------------------


def repayment_record(
    *,
    loan: Loan,
    amount: Any,
    paid_on: date,
    actor: Actor,
    idempotency_key: str,
    member_split: Mapping[Any, Any] | None = None,
    channel: str = Channel.KAS,
) -> Repayment:
    """Record a repayment on one loan and allocate it (denda → jasa → BOP →
    pokok per instalment, oldest first; overpayment to next instalments'
    pokok). The same `idempotency_key` twice posts once and returns the first
    repayment. A backdated payment (open month) replays the later ones.

    `member_split` optionally maps LoanMember (or KSMMember, or LoanMember pk)
    to the part each member paid; it must sum to `amount`.
    """
    actor = permissions.check_post(actor, loan.upk_id)
    key = require_key(idempotency_key, loan.upk_id)
    amount_int = positive_rupiah(amount, _("Jumlah bayar"))
    if channel not in (Channel.KAS, Channel.BANK):
        raise LedgerError(_("Cara bayar harus kas atau bank."))

    def run() -> Repayment:
        loans, books = lock_loans_and_books([loan.pk], new_paid_on={loan.pk: paid_on})
        item = PayItem(loans[loan.pk], amount_int, paid_on, key, member_split, channel)
        return record_repayments_locked([item], actor=actor, books=books)[0]

    def same(existing: Repayment) -> bool:
        return existing.loan_id == loan.pk and int(existing.amount) == amount_int and existing.paid_on == paid_on

    return idempotent(Repayment, key, run, same)


def collection_sheet_post(
    *,
    upk: Unit,
    date: date,
    payments: Iterable[Mapping[str, Any]] | Mapping[int, Any],
    actor: Actor,
    idempotency_key: str,
) -> CollectionSheet:
    """Post a whole collection sheet: every payment or none.

    `payments` is a list of {"loan": Loan|pk, "amount": n, "member_split": {...}|None}
    (or a {loan_pk: amount} mapping). Zero amounts are skipped. All loans are
    locked first, in pk order. Errors name each KSM and nothing is posted.
    """
    actor = permissions.check_post(actor, upk)
    key = require_key(idempotency_key, upk.pk)
    rows: list[Mapping[str, Any]] = (
        [{"loan": k, "amount": v} for k, v in payments.items()] if isinstance(payments, Mapping) else list(payments)
    )
    wanted: dict[int, dict[str, Any]] = {}
    errors: list[str] = []
    for row in rows:
        loan_pk = row["loan"] if isinstance(row["loan"], int) else row["loan"].pk
        try:
            amount = whole_rupiah(row.get("amount") or 0, _("Jumlah bayar"))
        except LedgerError as exc:
            errors.extend(exc.messages)
            continue
        if amount < 0:
            errors.append(_("Jumlah bayar tidak boleh negatif."))
        elif amount > 0:
            if loan_pk in wanted:
                errors.append(_("Satu pinjaman muncul dua kali di lembar penagihan."))
            wanted[loan_pk] = {"amount": amount, "member_split": row.get("member_split")}
    if errors:
        raise LedgerError(*errors)

    def run() -> CollectionSheet:
        existing = existing_by_key(CollectionSheet, key)
        if existing is not None:
            return existing
        loans, books = lock_loans_and_books(wanted, new_paid_on={pk: date for pk in wanted})
        if len(loans) != len(wanted) or any(loan.upk_id != upk.pk for loan in loans.values()):
            raise LedgerError(_("Lembar penagihan memuat pinjaman dari UPK lain."))
        # The locked loans carry the UPK's posting window; an empty sheet reads it.
        window = next(iter(loans.values())).posting_window if loans else posting_window_of(upk.pk)  # type: ignore[attr-defined]
        window.check(date, _("pembayaran"))
        sheet = CollectionSheet.objects.create(
            upk=upk,
            date=date,
            idempotency_key=key,
            total=Decimal(sum(w["amount"] for w in wanted.values())),
            created_by=actor,
        )
        items = [
            PayItem(loans[pk], wanted[pk]["amount"], date, f"{key}:{pk}"[:80], wanted[pk]["member_split"])
            for pk in sorted(loans)
        ]
        if items:
            record_repayments_locked(items, actor=actor, collection_sheet=sheet, name_loans=True, books=books)
        return sheet

    return idempotent(CollectionSheet, key, run)


@transaction.atomic
def repayment_reverse(*, repayment: Repayment, reversed_on: date, reason: str, actor: Actor) -> Reversal:
    """Reverse a repayment: an opposite journal entry linked to the original,
    the loan's allocations recomputed from `reversed_on` (reports for earlier
    dates keep showing the payment as it was)."""
    actor = permissions.check_post(actor, repayment.upk_id)
    if not (reason or "").strip():
        raise LedgerError(_("Alasan pembatalan wajib diisi."))
    loan = lock_loans([repayment.loan_id])[repayment.loan_id]
    repayment = Repayment.objects.select_for_update().select_related("journal_entry").get(pk=repayment.pk)
    if repayment.is_reversed:
        raise LedgerError(_("Kuitansi %(no)s sudah dibatalkan.") % {"no": repayment.receipt_number})
    if reversed_on < repayment.paid_on:
        raise LedgerError(_("Tanggal pembatalan tidak boleh sebelum tanggal bayar."))
    loan.posting_window.check(reversed_on, _("pembatalan"))  # type: ignore[attr-defined]
    if loan.status == LoanStatus.WRITTEN_OFF:
        raise LedgerError(_("Pinjaman sudah dihapusbukukan; angsurannya tidak dapat dibatalkan."))
    book = load_books([loan])[loan.pk]
    if repayment.pk not in {r.pk for r in book.repayments}:
        raise LedgerError(_("Pinjaman sudah dijadwal ulang sesudah pembayaran ini; pembatalan tidak dapat dicatat."))
    plan = plan_replay(book, event_date=reversed_on, exclude=repayment.pk)
    accounts = role_accounts(loan.upk_id)
    mine: dict[str, int] = defaultdict(int)
    for row in book.current.get(repayment.pk, []):
        mine[row.component] += int(row.amount)
    if repayment.channel == Channel.SAVINGS:
        money_leg = Leg(accounts[AccountRole.SAVINGS], -int(repayment.amount), ksm_id=loan.ksm_id)
    else:
        money_leg = Leg(cash_account(accounts, repayment.channel), -int(repayment.amount), loan_id=loan.pk)
    legs = [money_leg, *component_legs(accounts, loan, mine, +1)]
    own = plan.deltas.get(reversed_on)
    if own:
        legs += component_legs(accounts, loan, own, -1)
    main = EntrySpec(
        loan.upk_id,
        reversed_on,
        EntryKind.REVERSAL,
        _("Pembatalan kuitansi %(no)s: %(reason)s") % {"no": repayment.receipt_number, "reason": reason},
        legs,
        reverses=repayment.journal_entry,
    )
    entries = post_entries([main, *reallocation_specs(loan, accounts, plan.deltas, skip=reversed_on)], actor=actor)
    write_plans([plan])
    Repayment.objects.filter(pk=repayment.pk).update(is_reversed=True)
    repayment.is_reversed = True
    reversal = Reversal.objects.create(
        repayment=repayment, reversed_on=reversed_on, reason=reason.strip(), journal_entry=entries[0], actor=actor
    )
    live = [r.paid_on for r in book.repayments if r.pk != repayment.pk]
    sync_paid_off(loan, plan, actor=actor, on=reversed_on, last_paid_on=max(live) if live else None)
    return reversal


# --- Periods ------------------------------------------------------------------------------


@transaction.atomic
def period_close(
    *, upk: Unit, year: int, month: int, actor: Actor, reason: str = "", today: date | None = None
) -> AccountingPeriod:
    """Close a month (and every earlier month with postings still open)."""
    actor = permissions.check_post(actor, upk)
    today = today or timezone.localdate()
    if month_end(year, month) >= today:
        raise LedgerError(_("Bulan %(m)s belum berakhir.") % {"m": month_label(year, month)})
    closed = last_closed(upk.pk)
    if closed and (year, month) <= closed:
        raise LedgerError(_("Bulan %(m)s sudah ditutup.") % {"m": month_label(year, month)})
    first = JournalEntry.objects.filter(upk=upk).order_by("date").values_list("date", flat=True).first()
    start = (closed[0], closed[1] + 1) if closed else ((first.year, first.month) if first else (year, month))
    y, m = start
    if m == 13:
        y, m = y + 1, 1
    target = None
    while (y, m) <= (year, month):
        period, _created = AccountingPeriod.objects.get_or_create(upk=upk, year=y, month=m)
        period.is_closed = True
        period.save(update_fields=["is_closed"])
        PeriodEvent.objects.create(period=period, action=PeriodEvent.CLOSE, actor=actor, reason=reason)
        _snapshot_month_end(upk, y, m)
        target = period
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    assert target is not None
    return target


def _snapshot_month_end(upk: Unit, year: int, month: int) -> None:
    """Store every loan's position at the end of a month being closed."""
    from . import selectors

    end = month_end(year, month)
    LoanMonthEnd.objects.filter(upk=upk, as_of=end).delete()
    UpkMonthEnd.objects.filter(upk=upk, as_of=end).delete()
    UpkMonthEnd.objects.create(upk=upk, as_of=end, totals=dict(selectors._role_totals([upk.pk], end)[upk.pk]))
    LoanMonthEnd.objects.bulk_create(
        [
            LoanMonthEnd(
                upk=upk,
                loan_id=p.loan_id,
                ksm_id=p.ksm_id,
                as_of=end,
                outstanding=Decimal(p.outstanding),
                n_arrears=p.n_arrears,
                due_total=Decimal(p.due_total),
                paid_on_due=Decimal(p.paid_on_due),
                arrears_pokok=Decimal(p.arrears_pokok),
            )
            for p in selectors.loan_positions(upk_ids=[upk.pk], as_of=end).values()
        ]
    )


@transaction.atomic
def period_reopen(*, upk: Unit, year: int, month: int, actor: Actor, reason: str) -> AccountingPeriod:
    """Staff reopen the latest closed month, with a recorded reason."""
    actor = permissions.check_approve(actor)
    if not (reason or "").strip():
        raise LedgerError(_("Alasan membuka kembali bulan wajib diisi."))
    closed = AccountingPeriod.objects.filter(upk=upk, is_closed=True).order_by("-year", "-month").first()
    if closed is None or (closed.year, closed.month) != (year, month):
        raise LedgerError(_("Hanya bulan terakhir yang ditutup yang dapat dibuka kembali."))
    if YearEndClosing.objects.filter(upk=upk, year__gte=year).exists():
        raise LedgerError(_("Tahun %(y)s sudah tutup buku.") % {"y": year})
    closed.is_closed = False
    closed.save(update_fields=["is_closed"])
    # A derived cache, not a posting: the reopened month may change now.
    LoanMonthEnd.objects.filter(upk=upk, as_of=month_end(year, month)).delete()
    UpkMonthEnd.objects.filter(upk=upk, as_of=month_end(year, month)).delete()
    PeriodEvent.objects.create(period=closed, action=PeriodEvent.REOPEN, actor=actor, reason=reason.strip())
    return closed


@transaction.atomic
def monthly_package_submit(
    *, upk: Unit, year: int, month: int, actor: Actor, today: date | None = None
) -> MonthlyPackage:
    """Submit the monthly package to Bappedalitbang; this closes the month."""
    from . import selectors

    actor = permissions.check_post(actor, upk)
    package = selectors.monthly_package(upk=upk, year=year, month=month)
    period_close(upk=upk, year=year, month=month, actor=actor, reason=_("Laporan bulanan dikirim"), today=today)
    return MonthlyPackage.objects.create(
        upk=upk,
        year=year,
        month=month,
        submitted_by=actor,
        checks_ok=package.checks_ok,
        figures=package.as_json(),
    )


# --- Reschedule and write-off -------------------------------------------------------------


@transaction.atomic
def reschedule_propose(*, loan: Loan, effective_on: date, term_months: int, reason: str, actor: Actor) -> Reschedule:
    actor = permissions.check_post(actor, loan.upk_id)
    if not (reason or "").strip():
        raise LedgerError(_("Alasan penjadwalan ulang wajib diisi."))
    if loan.status not in LIVE_STATUSES:
        raise LedgerError(_("Hanya pinjaman aktif yang dapat dijadwal ulang."))
    if not 1 <= term_months <= 24:
        raise LedgerError(_("Jangka waktu harus 1–24 bulan."))
    if loan.reschedules.filter(status=ApprovalStatus.PROPOSED).exists():
        raise LedgerError(_("Sudah ada usulan penjadwalan ulang yang menunggu persetujuan."))
    return Reschedule.objects.create(
        loan=loan, effective_on=effective_on, term_months=term_months, reason=reason.strip(), proposed_by=actor
    )


def _proposal_decide(
    model: type[Reschedule] | type[WriteOff], proposal: Any, *, approve: bool, actor: User, reason: str
) -> tuple[Loan, Any]:
    """The bookkeeping shared by staff decisions on a proposal (reschedule,
    write-off): lock the loan first, then the proposal (the same order as every
    posting, so a decision and a payment on one loan cannot deadlock), refuse a
    second decision, and record who decided. A rejection needs a reason and
    is saved here; an approval is saved by the caller after its postings.
    The caller has checked the actor may approve."""
    loan = lock_loans([proposal.loan_id])[proposal.loan_id]
    proposal = model.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != ApprovalStatus.PROPOSED:
        raise LedgerError(_("Usulan ini sudah diputuskan."))
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.decision_reason = reason
    if not approve:
        if not reason.strip():
            raise LedgerError(_("Alasan penolakan wajib diisi."))
        proposal.status = ApprovalStatus.REJECTED
        proposal.save()
    return loan, proposal


@transaction.atomic
def reschedule_decide(*, reschedule: Reschedule, approve: bool, actor: Actor, reason: str = "") -> Reschedule:
    """Staff approval. On approval the remaining pokok gets a new schedule from
    `effective_on`; overdue unpaid jasa/BOP go on its first instalment; the
    old schedule is kept (ended at `effective_on`)."""
    actor = permissions.check_approve(actor)
    loan, reschedule = _proposal_decide(Reschedule, reschedule, approve=approve, actor=actor, reason=reason)
    if not approve:
        return reschedule
    on = reschedule.effective_on
    if loan.status not in LIVE_STATUSES:
        raise LedgerError(_("Hanya pinjaman aktif yang dapat dijadwal ulang."))
    check_open(loan.upk_id, on, _("penjadwalan ulang"))
    old = current_schedule(loan)
    if on <= old.effective_from:
        raise LedgerError(_("Tanggal berlaku harus sesudah pencairan/penjadwalan sebelumnya."))
    if loan.repayments.filter(is_reversed=False, paid_on__gte=on).exists():
        raise LedgerError(_("Ada pembayaran pada/sesudah tanggal berlaku; penjadwalan ulang tidak dapat dicatat."))
    result = replay_loan(loan)
    remaining_pokok = sum(s.remaining("pokok") for s in result.states)
    if remaining_pokok <= 0:
        raise LedgerError(_("Pokok pinjaman sudah lunas."))
    overdue_jasa = sum(s.remaining("jasa") for s in result.states if s.due_date <= on)
    overdue_bop = sum(s.remaining("bop") for s in result.states if s.due_date <= on)
    first_due = on + timedelta(days=7) if loan.frequency == Frequency.WEEKLY else engine.add_months(on, 1)
    lines = engine.build_schedule(
        loan_terms(loan, principal=remaining_pokok, term_months=reschedule.term_months),
        first_due,
        extra_first_jasa=overdue_jasa,
        extra_first_bop=overdue_bop,
    )
    Schedule.objects.filter(pk=old.pk).update(effective_to=on)
    schedule = create_schedule(loan, version=old.version + 1, effective_from=on, lines=lines, reason=reschedule.reason)
    reschedule.status = ApprovalStatus.APPROVED
    reschedule.new_schedule = schedule
    reschedule.save()
    loan_transition(loan, LoanStatus.RESCHEDULED, actor=actor, on=on, reason=reschedule.reason)
    return reschedule


@transaction.atomic
def writeoff_propose(*, loan: Loan, proposed_on: date, reason: str, actor: Actor) -> WriteOff:
    actor = permissions.check_post(actor, loan.upk_id)
    if not (reason or "").strip():
        raise LedgerError(_("Alasan hapus buku wajib diisi."))
    if loan.status not in LIVE_STATUSES:
        raise LedgerError(_("Hanya pinjaman aktif yang dapat diusulkan hapus buku."))
    if loan.write_offs.filter(status=ApprovalStatus.PROPOSED).exists():
        raise LedgerError(_("Sudah ada usulan hapus buku untuk pinjaman ini."))
    return WriteOff.objects.create(loan=loan, proposed_on=proposed_on, reason=reason.strip(), proposed_by=actor)


@transaction.atomic
def writeoff_decide(
    *, write_off: WriteOff, approve: bool, actor: Actor, written_off_on: date | None = None, reason: str = ""
) -> WriteOff:
    """Staff approval. Posts Dr Cadangan Resiko Pinjaman / Cr Pinjaman KSM for
    the outstanding pokok (unpaid jasa was never booked: cash basis)."""
    actor = permissions.check_approve(actor)
    loan, write_off = _proposal_decide(WriteOff, write_off, approve=approve, actor=actor, reason=reason)
    if not approve:
        return write_off
    on = written_off_on or write_off.proposed_on
    if loan.status not in LIVE_STATUSES:
        raise LedgerError(_("Hanya pinjaman aktif yang dapat dihapusbukukan."))
    check_open(loan.upk_id, on, _("hapus buku"))
    if loan.repayments.filter(is_reversed=False, paid_on__gt=on).exists():
        raise LedgerError(_("Ada pembayaran sesudah tanggal hapus buku."))
    paid_pokok = Allocation.objects.filter(loan=loan, component=Component.POKOK, effective_to__isnull=True).aggregate(
        s=Sum("amount")
    )["s"] or Decimal(0)
    outstanding = int(loan.principal - paid_pokok)
    accounts = role_accounts(loan.upk_id)
    entry = post_entry(
        upk_id=loan.upk_id,
        on=on,
        kind=EntryKind.WRITE_OFF,
        description=_("Hapus buku %(loan)s %(ksm)s") % {"loan": loan.number, "ksm": loan.ksm.name},
        legs=[
            Leg(accounts[AccountRole.RESERVE], outstanding, loan_id=loan.pk),
            Leg(accounts[AccountRole.LOANS], -outstanding, loan_id=loan.pk),
        ],
        actor=actor,
    )
    write_off.status = ApprovalStatus.APPROVED
    write_off.written_off_on = on
    write_off.amount = Decimal(outstanding)
    write_off.journal_entry = entry
    write_off.save()
    loan.written_off_on = on
    states.set_written_off(loan.pk, on)
    loan_transition(loan, LoanStatus.WRITTEN_OFF, actor=actor, on=on, reason=write_off.reason)
    return write_off


def recovery_record(
    *, loan: Loan, amount: Any, received_on: date, actor: Actor, idempotency_key: str, channel: str = Channel.KAS
) -> Recovery:
    """Money received on a written-off loan: Dr Kas / Cr Pemulihan (income)."""
    actor = permissions.check_post(actor, loan.upk_id)
    key = require_key(idempotency_key, loan.upk_id)
    amount_int = positive_rupiah(amount, _("Jumlah pemulihan"))

    def run() -> Recovery:
        locked = lock_loans([loan.pk])[loan.pk]
        if locked.status != LoanStatus.WRITTEN_OFF or locked.written_off_on is None:
            raise LedgerError(_("Pemulihan hanya untuk pinjaman yang sudah dihapusbukukan."))
        if received_on < locked.written_off_on:
            raise LedgerError(_("Tanggal terima tidak boleh sebelum tanggal hapus buku."))
        locked.posting_window.check(received_on, _("pemulihan"))  # type: ignore[attr-defined]
        written = locked.write_offs.filter(status=ApprovalStatus.APPROVED).aggregate(s=Sum("amount"))["s"] or 0
        recovered = locked.recoveries.aggregate(s=Sum("amount"))["s"] or 0
        if amount_int > written - recovered:
            raise LedgerError(
                _("Pemulihan melebihi sisa pokok yang dihapus (%(left)s).") % {"left": rp(written - recovered)}
            )
        accounts = role_accounts(locked.upk_id)
        entry = post_entry(
            upk_id=locked.upk_id,
            on=received_on,
            kind=EntryKind.RECOVERY,
            description=_("Pemulihan %(loan)s %(ksm)s") % {"loan": locked.number, "ksm": locked.ksm.name},
            legs=[
                Leg(cash_account(accounts, channel), amount_int, loan_id=locked.pk),
                Leg(accounts[AccountRole.RECOVERY_INCOME], -amount_int, loan_id=locked.pk),
            ],
            actor=actor,
            idempotency_key=key,
        )
        return Recovery.objects.create(
            loan=locked,
            upk_id=locked.upk_id,
            received_on=received_on,
            amount=Decimal(amount_int),
            journal_entry=entry,
            created_by=actor,
        )

    return idempotent_entry(key, run, found=lambda entry: entry.recovery)


# --- Savings --------------------------------------------------------------------------------


def _savings_entry(
    *, ksm: KSM, kind: str, amount: int, on: date, actor: User, key: str, channel: str
) -> SavingsTransaction:
    accounts = role_accounts(ksm.upk_id)
    sign = 1 if kind == SavingsKind.DEPOSIT else -1
    entry = post_entry(
        upk_id=ksm.upk_id,
        on=on,
        kind=EntryKind.SAVINGS_DEPOSIT if sign > 0 else EntryKind.SAVINGS_WITHDRAWAL,
        description=(_("Setoran tabungan %(ksm)s") if sign > 0 else _("Penarikan tabungan %(ksm)s"))
        % {"ksm": ksm.name},
        legs=[
            Leg(cash_account(accounts, channel), sign * amount),
            Leg(accounts[AccountRole.SAVINGS], -sign * amount, ksm_id=ksm.pk),
        ],
        actor=actor,
        idempotency_key=key,
    )
    return SavingsTransaction.objects.create(
        ksm=ksm, upk_id=ksm.upk_id, date=on, kind=kind, amount=Decimal(amount), journal_entry=entry, created_by=actor
    )


def savings_deposit(
    *, ksm: KSM, amount: Any, date: date, actor: Actor, idempotency_key: str, channel: str = Channel.KAS
) -> SavingsTransaction:
    """Setoran tabungan KSM: Dr Kas|Bank / Cr Tabungan KSM."""
    actor = permissions.check_post(actor, ksm.upk_id)
    key = require_key(idempotency_key, ksm.upk_id)
    amount_int = positive_rupiah(amount, _("Jumlah setoran"))

    def run() -> SavingsTransaction:
        check_open(ksm.upk_id, date, _("setoran"))
        return _savings_entry(
            ksm=ksm, kind=SavingsKind.DEPOSIT, amount=amount_int, on=date, actor=actor, key=key, channel=channel
        )

    return idempotent_entry(key, run, found=lambda entry: entry.savings_transaction)


def savings_withdraw(
    *, ksm: KSM, amount: Any, date: date, actor: Actor, idempotency_key: str, channel: str = Channel.KAS
) -> SavingsTransaction:
    """Penarikan tabungan KSM: Dr Tabungan KSM / Cr Kas|Bank; never below zero."""
    actor = permissions.check_post(actor, ksm.upk_id)
    key = require_key(idempotency_key, ksm.upk_id)
    amount_int = positive_rupiah(amount, _("Jumlah penarikan"))

    def run() -> SavingsTransaction:
        locked = lock_ksm(ksm)
        check_open(ksm.upk_id, date, _("penarikan"))
        available = min(savings_balance(locked, date), savings_balance(locked))
        if amount_int > available:
            raise LedgerError(_("Saldo tabungan tidak cukup (tersedia %(b)s).") % {"b": rp(available)})
        return _savings_entry(
            ksm=locked, kind=SavingsKind.WITHDRAWAL, amount=amount_int, on=date, actor=actor, key=key, channel=channel
        )

    return idempotent_entry(key, run, found=lambda entry: entry.savings_transaction)


def savings_cover_arrears(
    *, loan: Loan, amount: Any, date: date, decision: str, actor: Actor, idempotency_key: str
) -> SavingsTransaction:
    """By UPK decision (tanggung renteng), pay a loan's arrears from the KSM's
    savings: a repayment whose journal debits Tabungan KSM instead of Kas."""
    from . import selectors

    actor = permissions.check_post(actor, loan.upk_id)
    key = require_key(idempotency_key, loan.upk_id)
    amount_int = positive_rupiah(amount, _("Jumlah"))
    if not (decision or "").strip():
        raise LedgerError(_("Keputusan UPK (dasar penggunaan tabungan) wajib diisi."))

    def run() -> SavingsTransaction:
        existing = existing_by_key(Repayment, key)
        if existing is not None:
            return existing.savings_transaction
        locked = lock_loans([loan.pk])[loan.pk]
        ksm = lock_ksm(locked.ksm)
        available = min(savings_balance(ksm, date), savings_balance(ksm))
        if amount_int > available:
            raise LedgerError(_("Saldo tabungan tidak cukup (tersedia %(b)s).") % {"b": rp(available)})
        position = selectors.loan_position(locked, as_of=date)
        if amount_int > position.arrears_amount:
            raise LedgerError(_("Jumlah melebihi tunggakan (%(a)s).") % {"a": rp(position.arrears_amount)})
        accounts = role_accounts(locked.upk_id)
        item = PayItem(
            locked,
            amount_int,
            date,
            key,
            channel=Channel.SAVINGS,
            debit_leg=Leg(accounts[AccountRole.SAVINGS], amount_int, ksm_id=ksm.pk),
        )
        repayment = record_repayments_locked([item], actor=actor)[0]
        return SavingsTransaction.objects.create(
            ksm=ksm,
            upk_id=ksm.upk_id,
            date=date,
            kind=SavingsKind.ARREARS_COVER,
            amount=Decimal(amount_int),
            journal_entry=repayment.journal_entry,
            repayment=repayment,
            decision=decision.strip(),
            created_by=actor,
        )

    try:
        with transaction.atomic():
            return run()
    except IntegrityError:
        existing = existing_by_key(Repayment, key)
        if existing is None:
            raise
        return existing.savings_transaction


# --- Cash vouchers, capital, reserve, year end -------------------------------------------------

PROTECTED_ROLES = {
    AccountRole.KAS,
    AccountRole.BANK,
    AccountRole.LOANS,
    AccountRole.RESERVE,
    AccountRole.SAVINGS,
    AccountRole.BOP,
    AccountRole.JASA_INCOME,
    AccountRole.DENDA_INCOME,
    AccountRole.RECOVERY_INCOME,
    AccountRole.RESERVE_EXPENSE,
}


def cash_voucher_record(
    *,
    upk: Unit,
    direction: str,
    account: Account,
    amount: Any,
    date: date,
    description: str,
    actor: Actor,
    idempotency_key: str,
    channel: str = Channel.KAS,
) -> JournalEntry:
    """Bukti kas masuk (direction="in": Dr Kas / Cr account) or keluar
    ("out": Dr account / Cr Kas). Accounts the loan services own (Pinjaman KSM,
    Jasa, Tabungan, Cadangan …) are refused: use their own services."""
    actor = permissions.check_post(actor, upk)
    key = require_key(idempotency_key, upk.pk)
    amount_int = positive_rupiah(amount, _("Jumlah"))
    if direction not in ("in", "out"):
        raise LedgerError(_("Arah kas harus masuk atau keluar."))
    if account.upk_id != upk.pk or not account.is_active:
        raise LedgerError(_("Akun tidak tersedia di UPK ini."))
    if account.role in PROTECTED_ROLES:
        raise LedgerError(_("Akun %(a)s dicatat lewat menu khususnya, bukan bukti kas.") % {"a": account})
    if not (description or "").strip():
        raise LedgerError(_("Uraian wajib diisi."))

    def run() -> JournalEntry:
        check_open(upk.pk, date, _("bukti kas"))
        accounts = role_accounts(upk.pk)
        sign = 1 if direction == "in" else -1
        return post_entry(
            upk_id=upk.pk,
            on=date,
            kind=EntryKind.CASH_IN if sign > 0 else EntryKind.CASH_OUT,
            description=description.strip(),
            legs=[Leg(cash_account(accounts, channel), sign * amount_int), Leg(account, -sign * amount_int)],
            actor=actor,
            idempotency_key=key,
        )

    return idempotent_entry(key, run, found=lambda entry: entry)


def capital_receive(
    *,
    upk: Unit,
    account: Account,
    amount: Any,
    date: date,
    description: str,
    actor: Actor,
    idempotency_key: str,
    channel: str = Channel.BANK,
) -> JournalEntry:
    """Capital received (BLM P2KP / PNPM / KOTAKU / hibah): Dr Bank|Kas / Cr Modal."""
    actor = permissions.check_post(actor, upk)
    key = require_key(idempotency_key, upk.pk)
    amount_int = positive_rupiah(amount, _("Jumlah modal"))
    if account.upk_id != upk.pk or account.role not in CAPITAL_ROLES:
        raise LedgerError(_("Pilih akun modal (BLM P2KP, PNPM, KOTAKU atau hibah)."))

    def run() -> JournalEntry:
        check_open(upk.pk, date, _("penerimaan modal"))
        accounts = role_accounts(upk.pk)
        return post_entry(
            upk_id=upk.pk,
            on=date,
            kind=EntryKind.CAPITAL,
            description=(description or "").strip() or _("Penerimaan modal"),
            legs=[Leg(cash_account(accounts, channel), amount_int), Leg(account, -amount_int)],
            actor=actor,
            idempotency_key=key,
        )

    return idempotent_entry(key, run, found=lambda entry: entry)


def reserve_adjust(
    *, upk: Unit, date: date, actor: Actor, idempotency_key: str, amount: Any = None
) -> JournalEntry | None:
    """Bring Cadangan Resiko Pinjaman to the required reserve of the
    kolektibilitas as of `date` (or adjust by `amount`; + adds to the reserve).
    Dr Biaya Cadangan / Cr Cadangan, or the opposite to release. Returns None
    when nothing needs adjusting."""
    from . import selectors

    actor = permissions.check_post(actor, upk)
    key = require_key(idempotency_key, upk.pk)

    def run() -> JournalEntry | None:
        check_open(upk.pk, date, _("penyesuaian cadangan"))
        delta = (
            whole_rupiah(amount, _("Jumlah"))
            if amount is not None
            else selectors.kolektibilitas(upk=upk, as_of=date).proposed_adjustment
        )
        if delta == 0:
            return None
        accounts = role_accounts(upk.pk)
        return post_entry(
            upk_id=upk.pk,
            on=date,
            kind=EntryKind.RESERVE_ADJUSTMENT,
            description=_("Penyesuaian cadangan resiko pinjaman per %(d)s") % {"d": date.strftime("%d-%m-%Y")},
            legs=[Leg(accounts[AccountRole.RESERVE_EXPENSE], delta), Leg(accounts[AccountRole.RESERVE], -delta)],
            actor=actor,
            idempotency_key=key,
        )

    return idempotent_entry(key, run, found=lambda entry: entry)


@transaction.atomic
def year_end_close(*, upk: Unit, year: int, actor: Actor) -> YearEndClosing:
    """Tutup buku: close the year's income and expense accounts and allocate
    the surplus by the UPK's percentages (capital → Laba Ditahan, UPS, UPL,
    other). A deficit goes wholly to Laba Ditahan. Dated 31 December; the
    year accepts no postings afterwards."""
    from . import selectors

    actor = permissions.check_post(actor, upk)
    if YearEndClosing.objects.filter(upk=upk, year=year).exists():
        raise LedgerError(_("Tahun %(y)s sudah tutup buku.") % {"y": year})
    if YearEndClosing.objects.filter(upk=upk, year__gt=year).exists():
        raise LedgerError(_("Tahun sesudahnya sudah tutup buku."))
    on = date(year, 12, 31)
    check_open(upk.pk, on, _("tutup buku"))
    rules = get_settings(upk)
    pcts = [rules.alloc_capital_pct, rules.alloc_ups_pct, rules.alloc_upl_pct, rules.alloc_other_pct]
    if sum(pcts) != 100:
        raise LedgerError(_("Persentase alokasi surplus harus berjumlah 100%."))
    balances = selectors.account_balances(upk=upk, as_of=on)
    accounts = {a.pk: a for a in Account.objects.filter(upk=upk)}
    legs: list[Leg] = []
    surplus = 0
    for account_id, signed in balances.items():  # signed = debit − credit
        account = accounts[account_id]
        if account.kind in (AccountKind.INCOME, AccountKind.EXPENSE) and signed:
            legs.append(Leg(account, -signed, memo=_("Tutup buku")))
            surplus -= signed
    role = role_accounts(upk.pk)
    allocations: dict[str, int] = {}
    if surplus > 0:
        scaled = [int(p * 10000) for p in pcts]
        parts = engine.largest_remainder(surplus, scaled)
        for r, part in zip(
            [AccountRole.RETAINED, AccountRole.UPS_FUND, AccountRole.UPL_FUND, AccountRole.OTHER_ALLOC],
            parts,
            strict=True,
        ):
            allocations[r] = part
            legs.append(Leg(role[r], -part, memo=_("Alokasi surplus")))
    elif surplus < 0:
        allocations[AccountRole.RETAINED] = surplus
        legs.append(Leg(role[AccountRole.RETAINED], -surplus, memo=_("Defisit tahun berjalan")))
    if not [leg for leg in legs if leg.amount]:
        raise LedgerError(_("Tidak ada pendapatan atau biaya tahun %(y)s untuk ditutup.") % {"y": year})
    entry = post_entry(
        upk_id=upk.pk,
        on=on,
        kind=EntryKind.YEAR_END,
        description=_("Tutup buku tahun %(y)s") % {"y": year},
        legs=legs,
        actor=actor,
    )
    return YearEndClosing.objects.create(
        upk=upk, year=year, surplus=Decimal(surplus), allocations=allocations, journal_entry=entry, created_by=actor
    )


# --- Named shortcuts for the screens ------------------------------------------------------------


def loan_reschedule(*, loan: Loan, effective_on: date, term_months: int, reason: str, actor: Actor) -> Reschedule:
    """The manager's reschedule request (staff approve it with `reschedule_approve`)."""
    return reschedule_propose(loan=loan, effective_on=effective_on, term_months=term_months, reason=reason, actor=actor)


def reschedule_approve(*, reschedule: Reschedule, actor: Actor, reason: str = "") -> Reschedule:
    return reschedule_decide(reschedule=reschedule, approve=True, actor=actor, reason=reason)


def reschedule_reject(*, reschedule: Reschedule, actor: Actor, reason: str) -> Reschedule:
    return reschedule_decide(reschedule=reschedule, approve=False, actor=actor, reason=reason)


def writeoff_approve(
    *, write_off: WriteOff, actor: Actor, written_off_on: date | None = None, reason: str = ""
) -> WriteOff:
    return writeoff_decide(write_off=write_off, approve=True, actor=actor, written_off_on=written_off_on, reason=reason)


def writeoff_reject(*, write_off: WriteOff, actor: Actor, reason: str) -> WriteOff:
    return writeoff_decide(write_off=write_off, approve=False, actor=actor, reason=reason)


# --- Configuration: products, rules, chart of accounts -------------------------------------------

PRODUCT_TERMS = (
    "name",
    "jasa_rate",
    "jasa_method",
    "bop_rate",
    "frequency",
    "min_term",
    "max_term",
    "rounding_unit",
    "late_fee_enabled",
    "late_fee_amount",
    "late_fee_grace_days",
    "is_active",
)


def _validate_product(product: LoanProduct) -> None:
    errors: list[str] = []
    if not str(product.name or "").strip():
        errors.append(_("Nama produk wajib diisi."))
    if product.rounding_unit not in (1, 100, 500, 1000):
        errors.append(_("Pembulatan harus Rp 1, 100, 500 atau 1.000."))
    if not 1 <= product.min_term <= product.max_term <= 24:
        errors.append(_("Jangka waktu harus 1–24 bulan dan minimal ≤ maksimal."))
    for value, label in ((product.jasa_rate, _("Jasa per bulan")), (product.bop_rate, _("BOP per bulan"))):
        if not 0 <= Decimal(value) <= 100:
            errors.append(_("%(what)s harus 0–100%%.") % {"what": label})
    if (
        Decimal(product.late_fee_amount) < 0
        or Decimal(product.late_fee_amount) != Decimal(product.late_fee_amount).to_integral_value()
    ):
        errors.append(_("Denda harus Rupiah bulat, tidak negatif."))
    if errors:
        raise LedgerError(*errors)


@transaction.atomic
def product_update(*, product: LoanProduct, actor: Actor, **terms: Any) -> LoanProduct:
    """Change a product's terms (keys of `PRODUCT_TERMS`), validated like `product_create`.

    Loans already applied for keep their own terms: `loan_apply` copies rate,
    method, BOP, frequency, rounding and late fee onto the Loan, and schedules
    are computed from the loan's copy (`loan_terms`). So an edit applies only to
    applications made after it; existing schedules and balances never move.
    """
    actor = permissions.check_configure(actor, product.upk_id)
    unknown = set(terms) - set(PRODUCT_TERMS)
    if unknown:
        raise LedgerError(_("Isian tidak dikenal: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    product = LoanProduct.objects.select_for_update().get(pk=product.pk)
    for key, value in terms.items():
        setattr(product, key, value)
    _validate_product(product)
    _save_with_history(product, actor, _("Syarat produk diubah"), update_fields=list(terms) or None)
    return product


# Percentages that cannot exceed 100; CCr thresholds (coverage) may.
_PCT_FIELDS = (
    "min_women_pct",
    "reserve_lancar",
    "reserve_dpk",
    "reserve_kl",
    "reserve_d",
    "reserve_m",
    "lar_good",
    "lar_fair",
    "par_good",
    "par_fair",
    "roi_good",
    "roi_fair",
    "rr_good",
    "rr_fair",
    "cr_good",
    "cr_fair",
    "alloc_capital_pct",
    "alloc_ups_pct",
    "alloc_upl_pct",
    "alloc_other_pct",
)
SETTINGS_FIELDS = (
    "posting_days_ahead",
    "min_members",
    "min_savings_months",
    "ceiling_first_loan",
    "ceiling_repeat_loan",
    "kol_dpk_from",
    "kol_kl_from",
    "kol_d_from",
    "kol_m_from",
    "risk_instalments",
    "ccr_good",
    "ccr_fair",
    *_PCT_FIELDS,
)


def _settings_label(name: str) -> str:
    return str(getattr(UpkSettings._meta.get_field(name), "verbose_name", name)).capitalize()


def _validate_settings(s: UpkSettings) -> list[str]:
    errors: list[str] = []
    for name in _PCT_FIELDS:
        if not 0 <= Decimal(getattr(s, name)) <= 100:
            errors.append(_("%(what)s harus 0–100%%.") % {"what": _settings_label(name)})
    for name in ("ccr_good", "ccr_fair", "ceiling_first_loan", "ceiling_repeat_loan"):
        if Decimal(getattr(s, name)) < 0:
            errors.append(_("%(what)s tidak boleh negatif.") % {"what": _settings_label(name)})
    if not 0 <= s.posting_days_ahead <= 7:
        errors.append(_("Transaksi bertanggal maju paling banyak 7 hari."))
    if s.min_members < 1:
        errors.append(_("Anggota KSM minimal sedikitnya 1."))
    if s.risk_instalments < 1:
        errors.append(_("Tunggakan berisiko sedikitnya 1 angsuran."))
    if not 1 <= s.kol_dpk_from < s.kol_kl_from < s.kol_d_from < s.kol_m_from:
        errors.append(_("Batas kolektibilitas harus naik: 1 ≤ DPK < Kurang Lancar < Diragukan < Macet."))
    for good, fair, what in (("lar_good", "lar_fair", "LAR"), ("par_good", "par_fair", "PAR")):
        if getattr(s, good) > getattr(s, fair):
            errors.append(_("Batas %(w)s sehat tidak boleh di atas batas kurang sehat.") % {"w": what})
    for good, fair, what in (
        ("ccr_good", "ccr_fair", "CCr"),
        ("roi_good", "roi_fair", "ROI"),
        ("rr_good", "rr_fair", "RR"),
        ("cr_good", "cr_fair", _("tingkat penagihan")),
    ):
        if getattr(s, good) < getattr(s, fair):
            errors.append(_("Batas %(w)s sehat tidak boleh di bawah batas kurang sehat.") % {"w": what})
    alloc = s.alloc_capital_pct + s.alloc_ups_pct + s.alloc_upl_pct + s.alloc_other_pct
    if alloc != 100:
        # year_end_close refuses any other split
        errors.append(
            _("Persentase alokasi surplus harus berjumlah 100%% (sekarang %(n)s%%).") % {"n": f"{alloc.normalize():f}"}
        )
    return errors


@transaction.atomic
def upk_settings_update(*, upk: Unit, actor: Actor, reason: str = "", **fields: Any) -> UpkSettings:
    """Change a UPK's settings (keys of `SETTINGS_FIELDS`); all errors at once, nothing saved on error.

    Operational settings (days ahead, year-end split) change at once. A
    change to a rule (`ledger.rules.RULE_FIELDS`: kolektibilitas, reserve,
    indicators, eligibility) is never applied here: it becomes a proposal
    (`upk_rules_propose`) that a staff admin approves, effective from the
    first open month — so no figure of a closed month moves. Returns the
    settings (operational values saved)."""
    actor = permissions.check_configure(actor, upk)
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise LedgerError(_("Isian tidak dikenal: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    get_settings(upk)
    settings_obj = UpkSettings.objects.select_for_update().get(upk_id=upk.pk)
    today = timezone.localdate()
    in_force = rules_in_force([upk.pk], today)[upk.pk]
    rule_changes = {
        k: v for k, v in fields.items() if k in RULE_FIELDS and Decimal(str(v)) != Decimal(str(getattr(in_force, k)))
    }
    operational = {k: v for k, v in fields.items() if k not in RULE_FIELDS}
    candidate = rules_apply(settings_obj, rules_encode({k: getattr(in_force, k) for k in RULE_FIELDS}))
    for key, value in {**operational, **rule_changes}.items():
        setattr(candidate, key, value)
    errors = _validate_settings(candidate)
    if errors:
        raise LedgerError(*errors)
    for key, value in operational.items():
        setattr(settings_obj, key, value)
    if operational:
        _save_with_history(settings_obj, actor, _("Pengaturan UPK diubah"), update_fields=list(operational))
    if rule_changes:
        upk_rules_propose(upk=upk, actor=actor, reason=reason or _("Diusulkan dari layar pengaturan"), **rule_changes)
    return settings_obj


def _first_open_month(upk_id: int) -> date:
    """The first day of the first month a rule change may take effect in:
    the month after the last closed one; with nothing closed, the month of
    the UPK's first posting (or this month when it has none)."""
    closed = last_closed(upk_id)
    if closed is not None:
        year, month = closed
        return date(year + month // 12, month % 12 + 1, 1)
    first = JournalEntry.objects.filter(upk_id=upk_id).order_by("date").values_list("date", flat=True).first()
    start = first or timezone.localdate()
    return date(start.year, start.month, 1)


@transaction.atomic
def upk_rules_propose(*, upk: Unit, actor: Actor, reason: str, **fields: Any) -> UpkRuleVersion:
    """A manager's (or staff admin's) proposal for new rules (`RULE_FIELDS`),
    on top of the rules in force today; nothing changes until a staff admin
    other than the proposer approves it (`upk_rules_decide`)."""
    actor = permissions.check_configure(actor, upk)
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise LedgerError(_("Isian tidak dikenal: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    if not fields:
        raise LedgerError(_("Tidak ada aturan yang diubah."))
    if not (reason or "").strip():
        raise LedgerError(_("Alasan perubahan aturan wajib diisi."))
    base = get_settings(upk)
    in_force = rules_in_force([upk.pk], timezone.localdate())[upk.pk]
    values = {k: getattr(in_force, k) for k in RULE_FIELDS}
    values.update(fields)
    errors = _validate_settings(rules_apply(base, rules_encode(values)))
    if errors:
        raise LedgerError(*errors)
    return UpkRuleVersion.objects.create(
        upk=upk,
        values=rules_encode(values),
        effective_from=_first_open_month(upk.pk),
        reason=reason.strip(),
        proposed_by=actor,
    )


@transaction.atomic
def upk_rules_decide(*, version: UpkRuleVersion, approve: bool, actor: Actor, reason: str = "") -> UpkRuleVersion:
    """A staff admin's decision on a rule proposal (maker-checker: not the
    proposer). An approval takes effect from the first month open today —
    later than proposed if months were closed meanwhile, never inside a
    closed month."""
    actor = permissions.check_approve(actor)
    version = UpkRuleVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != ApprovalStatus.PROPOSED:
        raise LedgerError(_("Usulan ini sudah diputuskan."))
    if version.proposed_by_id == actor.pk:
        raise LedgerError(_("Usulan aturan harus diputuskan oleh staf lain, bukan pengusulnya."))
    if not approve and not (reason or "").strip():
        raise LedgerError(_("Alasan penolakan wajib diisi."))
    version.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    version.decided_by = actor
    version.decided_at = timezone.now()
    version.decision_reason = (reason or "").strip()
    if approve:
        version.effective_from = max(version.effective_from, _first_open_month(version.upk_id))
    version.save()
    return version


@transaction.atomic
def account_create(*, upk: Unit, actor: Actor, code: str, name: str, kind: str, is_contra: bool = False) -> Account:
    """A new account without a system role (roles are fixed by `upk_setup`)."""
    actor = permissions.check_configure(actor, upk)
    code, name = code.strip(), name.strip()
    errors: list[str] = []
    if not code.isdigit() or len(code) > 10:
        errors.append(_("Kode akun harus angka, paling banyak 10 digit."))
    if not name:
        errors.append(_("Nama akun wajib diisi."))
    if kind not in AccountKind.values:
        errors.append(_("Golongan akun tidak dikenal."))
    if Account.objects.filter(upk=upk, code=code).exists():
        errors.append(_("Kode akun %(c)s sudah dipakai.") % {"c": code})
    if errors:
        raise LedgerError(*errors)
    try:
        with transaction.atomic():
            account = Account(upk=upk, code=code, name=name, kind=kind, is_contra=is_contra, role="")
            _save_with_history(account, actor, _("Akun dibuat"))
            return account
    except IntegrityError:
        raise LedgerError(_("Kode akun %(c)s sudah dipakai.") % {"c": code}) from None


def account_rename(*, account: Account, actor: Actor, name: str) -> Account:
    """Only the name changes: code, kind and role stay, so postings and reports keep their meaning."""
    actor = permissions.check_configure(actor, account.upk_id)
    name = name.strip()
    if not name:
        raise LedgerError(_("Nama akun wajib diisi."))
    account = Account.objects.get(pk=account.pk)
    account.name = name
    _save_with_history(account, actor, _("Nama akun diubah"), update_fields=["name"])
    return account
