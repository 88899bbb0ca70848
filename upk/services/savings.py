"""KSM savings: deposits, withdrawals and the members' decision to cover a
loan's arrears from them. The balance is `selectors.savings_balance` (one
place).

Public API (keyword-only arguments):
    savings_deposit(*, ksm, amount, date, actor, idempotency_key, channel="kas") -> SavingsTransaction
    savings_withdraw(*, ksm, amount, date, actor, idempotency_key, channel="kas") -> SavingsTransaction
    savings_cover_arrears(*, loan, amount, date, decision, actor, idempotency_key) -> SavingsTransaction
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .. import permissions
from ..ledger.actors import Actor
from ..ledger.chart import cash_account, role_accounts
from ..ledger.errors import LedgerError, positive_rupiah, rp
from ..ledger.idempotency import existing_by_key, idempotent_entry, require_key
from ..ledger.journal import Leg, post_entry
from ..ledger.locks import lock_ksm, lock_loans
from ..ledger.periods import check_open
from ..ledger.repayments import PayItem, record_repayments_locked
from ..models import (
    KSM,
    AccountRole,
    Channel,
    EntryKind,
    Loan,
    Repayment,
    SavingsKind,
    SavingsTransaction,
)
from ..selectors import savings_balance

if TYPE_CHECKING:
    from core.models import User


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
    from .. import selectors

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
