"""Cash and capital: vouchers in and out of the cash book, capital
received, and the loan-loss reserve adjustment.

Public API (keyword-only arguments):
    cash_voucher_record(*, upk, direction, account, amount, date, description, actor, idempotency_key, channel="kas") -> JournalEntry
    capital_receive(*, upk, account, amount, date, description, actor, idempotency_key, channel="bank") -> JournalEntry
    reserve_adjust(*, upk, date, actor, idempotency_key, amount=None) -> JournalEntry | None
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from .. import permissions
from ..ledger.actors import Actor
from ..ledger.chart import cash_account, role_accounts
from ..ledger.errors import LedgerError, positive_rupiah, whole_rupiah
from ..ledger.idempotency import idempotent_entry, require_key
from ..ledger.journal import Leg, post_entry
from ..ledger.periods import check_open
from ..models import (
    CAPITAL_ROLES,
    Account,
    AccountRole,
    Channel,
    EntryKind,
    JournalEntry,
)

if TYPE_CHECKING:
    from bkm.models import Unit


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
    from .. import selectors

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
