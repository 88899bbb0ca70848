"""Money received on loans: one repayment, a collection sheet of many, and
the reversal that corrects one. Allocation, journal legs and the bulk write
are the ledger core's (`ledger/repayments.py`, `ledger/writes.py`).

Public API (keyword-only arguments):
    repayment_record(*, loan, amount, paid_on, actor, idempotency_key, member_split=None, channel="kas") -> Repayment
    collection_sheet_post(*, upk, date, payments, actor, idempotency_key) -> CollectionSheet
    repayment_reverse(*, repayment, reversed_on, reason, actor) -> Reversal
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from .. import permissions
from ..ledger.actors import Actor
from ..ledger.books import (
    load_books,
    plan_replay,
    write_plans,
)
from ..ledger.chart import cash_account, role_accounts
from ..ledger.errors import LedgerError, positive_rupiah, whole_rupiah
from ..ledger.idempotency import existing_by_key, idempotent, require_key
from ..ledger.journal import EntrySpec, Leg, component_legs, post_entries, reallocation_specs
from ..ledger.lifecycle import sync_paid_off
from ..ledger.locks import lock_loans, lock_loans_and_books
from ..ledger.periods import posting_window_of
from ..ledger.repayments import PayItem, record_repayments_locked
from ..models import (
    AccountRole,
    Channel,
    CollectionSheet,
    EntryKind,
    Loan,
    LoanStatus,
    Repayment,
    Reversal,
)

if TYPE_CHECKING:
    from bkm.models import Unit


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
