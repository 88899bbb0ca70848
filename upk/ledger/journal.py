"""Journal entries: balanced legs, written in bulk by `writes.ledger_insert` with their numbers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from ..models import (
    Account,
    Component,
    EntryKind,
    JournalEntry,
    Loan,
)
from . import writes
from .chart import COMPONENT_ROLE
from .errors import LedgerError

if TYPE_CHECKING:
    from core.models import User


@dataclass
class Leg:
    account: Account
    amount: int  # positive = debit, negative = credit
    loan_id: int | None = None
    ksm_id: int | None = None
    memo: str = ""


@dataclass
class EntrySpec:
    upk_id: int
    on: date
    kind: str
    description: str
    legs: list[Leg]
    reverses: JournalEntry | None = None
    idempotency_key: str | None = None


def post_entries(specs: list[EntrySpec], *, actor: User) -> list[JournalEntry]:
    """Write journal entries in bulk (3 statements for any number). Legs are
    signed (debit +, credit −); zero legs are dropped. Each entry's balance is
    checked here and again by the database at commit."""
    return post_entries_numbered(specs, actor=actor)[0]


def post_entries_numbered(
    specs: list[EntrySpec],
    *,
    actor: User,
    extra_numbers: Mapping[str, int] | None = None,
    books: writes.BookWrites | None = None,
) -> tuple[list[JournalEntry], dict[str, range]]:
    """`post_entries`, also reserving other per-UPK numbers (e.g. receipts) in
    the same counter statement, and writing `books` (new repayments, their
    allocations, …) in the same statement. All specs must belong to one UPK."""
    if not specs:
        return [], {}
    for spec in specs:
        spec.legs = [leg for leg in spec.legs if leg.amount != 0]
        if len(spec.legs) < 2:
            raise LedgerError(_("Jurnal membutuhkan sedikitnya dua baris bernilai."))
        if sum(leg.amount for leg in spec.legs) != 0:
            raise LedgerError(_("Jurnal tidak seimbang; tidak ada yang dicatat."))
    upk_ids = {spec.upk_id for spec in specs}
    assert len(upk_ids) == 1, "one UPK per posting"
    upk_id = upk_ids.pop()
    entries = [
        JournalEntry(
            upk_id=upk_id,
            date=spec.on,
            kind=spec.kind,
            description=spec.description[:255],
            reverses=spec.reverses,
            idempotency_key=spec.idempotency_key,
            created_by=actor,
        )
        for spec in specs
    ]
    lines = [
        writes.LineRow(
            index,
            leg.account.pk,
            max(leg.amount, 0),
            max(-leg.amount, 0),
            leg.loan_id,
            leg.ksm_id,
            leg.memo[:255],
        )
        for index, spec in enumerate(specs)
        for leg in spec.legs
    ]
    reserved = writes.ledger_insert(
        upk_id=upk_id,
        entries=entries,
        lines=lines,
        counts={"journal": len(specs), **(extra_numbers or {})},
        books=books,
    )
    return entries, reserved


def post_entry(
    *,
    upk_id: int,
    on: date,
    kind: str,
    description: str,
    legs: Iterable[Leg],
    actor: User,
    reverses: JournalEntry | None = None,
    idempotency_key: str | None = None,
) -> JournalEntry:
    """Write one journal entry (see `post_entries`)."""
    spec = EntrySpec(upk_id, on, kind, description, list(legs), reverses, idempotency_key)
    return post_entries([spec], actor=actor)[0]


def component_legs(accounts: Mapping[str, Account], loan: Loan, amounts: Mapping[str, int], sign: int) -> list[Leg]:
    """Credit (sign −1) or debit (sign +1) each component's account."""
    return [
        Leg(
            accounts[COMPONENT_ROLE[Component(c)]],
            sign * amounts[c],
            loan_id=loan.pk if c == Component.POKOK else None,
            memo=str(Component(c).label),
        )
        for c in (Component.POKOK, Component.JASA, Component.BOP, Component.DENDA)
        if amounts.get(c)
    ]


def reallocation_specs(
    loan: Loan, accounts: Mapping[str, Account], deltas: Mapping[date, Mapping[str, int]], *, skip: date | None
) -> list[EntrySpec]:
    """How other repayments' splits changed, booked as a Pemindahbukuan on each
    affected date (the change dated `skip` goes in the caller's own entry)."""
    return [
        EntrySpec(
            loan.upk_id,
            when,
            EntryKind.TRANSFER,
            _("Alokasi ulang angsuran %(loan)s") % {"loan": loan.number},
            component_legs(accounts, loan, deltas[when], -1),
        )
        for when in sorted(deltas)
        if when != skip and deltas[when]
    ]
