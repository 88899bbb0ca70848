"""A loan's life outside repayments: application (judged by the rules in
force on its date), decision, disbursement, reschedule and write-off
(proposed by the UPK, decided by staff) and recovery after write-off.

Public API (keyword-only arguments):
    loan_apply(*, ksm, product, applied_on, member_amounts, term_months, actor, purpose="", historical=False) -> LoanApplication
    loan_decide(*, loan, approve, decided_on, actor, reason="") -> Loan
    loan_disburse(*, loan, disbursed_on, actor, via="kas", first_due_date=None) -> Loan
    reschedule_propose / loan_reschedule(*, loan, effective_on, term_months, reason, actor) -> Reschedule
    reschedule_decide(*, reschedule, approve, actor, reason="") -> Reschedule (reschedule_approve / _reject)
    writeoff_propose(*, loan, proposed_on, reason, actor) -> WriteOff
    writeoff_decide(*, write_off, approve, actor, written_off_on=None, reason="") -> WriteOff (writeoff_approve / _reject)
    recovery_record(*, loan, amount, received_on, actor, idempotency_key, channel="kas") -> Recovery
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import permissions
from ..ledger import engine, states
from ..ledger.actors import Actor
from ..ledger.books import (
    create_schedule,
    current_schedule,
    loan_terms,
    replay_loan,
)
from ..ledger.chart import cash_account, role_accounts
from ..ledger.errors import LedgerError, positive_rupiah, rp, whole_rupiah
from ..ledger.idempotency import idempotent_entry, require_key
from ..ledger.journal import Leg, post_entry
from ..ledger.lifecycle import loan_transition
from ..ledger.locks import lock_loans
from ..ledger.numbering import next_number
from ..ledger.periods import check_open
from ..ledger.rules import rules_in_force
from ..models import (
    KSM,
    LIVE_STATUSES,
    AccountRole,
    Allocation,
    ApprovalStatus,
    Channel,
    Component,
    EntryKind,
    Frequency,
    Gender,
    JasaMethod,
    Loan,
    LoanMember,
    LoanProduct,
    LoanStatus,
    LoanStatusEvent,
    Recovery,
    Reschedule,
    Schedule,
    WriteOff,
)
from ..selectors import savings_months_run

if TYPE_CHECKING:
    from core.models import User


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
