"""Offline collection (issue 14), the write: posting the payments a manager's
phone typed at a KSM meeting without signal (the read is `upk.offline`).

The phone keeps what the manager typed as typed text and sends each payment
with the idempotency key it made for it (a UUID v4). Here each entry is checked
as if it were typed into the repayment form at that moment — the amount parsed
by `core.fields.RupiahField`, the loan in this UPK, the date through the
ledger's posting window, the loan still live, the amount not above what is
owed — and posted through `repayment_record`, whose idempotency key makes a
repeated entry (retry, second tab, lost answer) return the first repayment.

Public API (keyword-only arguments):
    offline_entries_post(*, upk, actor, entries) -> list[EntryResult]
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from core.fields import RupiahField
from core.params import is_number

from .. import permissions
from ..ledger.errors import LedgerError
from ..ledger.idempotency import actor_scoped_key, existing_by_key, require_key
from ..models import Loan, Repayment
from .repayments import repayment_record

if TYPE_CHECKING:
    from bkm.models import Unit
    from core.models import User

    from ..ledger.actors import Actor

MAX_ENTRIES = 200  # per request; a phone holding more sends them in several requests


@dataclass(frozen=True)
class EntryResult:
    key: str
    accepted: bool
    reason: str = ""
    receipt: str = ""
    receipt_url: str = ""
    amount: int = 0

    def as_json(self) -> dict[str, Any]:
        if self.accepted:
            return {
                "key": self.key,
                "status": "accepted",
                "receipt": self.receipt,
                "receipt_url": self.receipt_url,
                "amount": self.amount,
            }
        return {"key": self.key, "status": "refused", "reason": self.reason}


def _accepted(key: str, rep: Repayment) -> EntryResult:
    return EntryResult(
        key,
        True,
        receipt=rep.receipt_number,
        receipt_url=reverse("upk:receipt", args=[rep.pk]),
        amount=int(rep.amount),
    )


def _entry_key(raw: Any) -> str:
    """The phone's key must be a UUID (crypto.randomUUID); anything else is refused, never guessed at."""
    text = str(raw or "").strip()
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return ""


def _entry_post(*, upk: Unit, actor: User, entry: Mapping[str, Any]) -> EntryResult:
    """One payment typed offline: posted as if typed now, or refused with the Indonesian reason.

    `entry` = {"key": uuid, "loan": loan pk, "date": "YYYY-MM-DD", "amount": text as typed}.
    """
    key = _entry_key(entry.get("key"))
    if not key:
        return EntryResult(str(entry.get("key") or "")[:64], False, _("Kunci pembayaran dari ponsel tidak sah."))
    # The phone's key, bound to the user who sends it and then to the UPK (the ledger's idempotency
    # API): another user's or another UPK's entry with the same UUID is another key.
    service_key = actor_scoped_key(actor_id=actor.pk, key=key)
    try:
        stored = require_key(service_key, upk.pk)
    except LedgerError as exc:
        return EntryResult(key, False, " ".join(exc.messages))
    # Answered first from the ledger's own record: a payment that paid a loan
    # off must still come back accepted when its answer was lost and the
    # phone sends it again (posting it anew would be refused: loan paid off).
    existing = existing_by_key(Repayment, stored)
    loan_text = str(entry.get("loan") or "")
    if existing is not None:
        if str(existing.loan_id) != loan_text:
            return EntryResult(key, False, _("Formulir ini sudah dipakai untuk pembayaran lain."))
        return _accepted(key, existing)
    loan = (
        Loan.objects.select_related("ksm", "upk").filter(upk=upk, pk=int(loan_text)).first()
        if is_number(loan_text) and len(loan_text) < 12
        else None
    )
    if loan is None:
        return EntryResult(key, False, _("Pinjaman tidak ditemukan di UPK ini."))
    name = f"{loan.ksm.name} ({loan.number})"
    try:
        paid_on = date.fromisoformat(str(entry.get("date") or ""))
    except ValueError:
        return EntryResult(key, False, _("%(loan)s: tanggal bayar tidak sah.") % {"loan": name})
    try:
        amount = int(RupiahField(label=_("Jumlah bayar")).clean(str(entry.get("amount") or "")))
    except ValidationError as exc:
        return EntryResult(key, False, f"{name}: {' '.join(exc.messages)}")
    if amount <= 0:
        return EntryResult(key, False, _("%(loan)s: jumlah bayar harus lebih dari nol.") % {"loan": name})
    try:
        rep = repayment_record(loan=loan, amount=amount, paid_on=paid_on, actor=actor, idempotency_key=service_key)
    except LedgerError as exc:
        # A twin of this entry (a second tab) may have committed while this one waited for the loan's
        # lock, and paid the loan off: then this entry was accepted, once, by the twin.
        twin = existing_by_key(Repayment, stored)
        if twin is not None and twin.loan_id == loan.pk:
            return _accepted(key, twin)
        return EntryResult(key, False, f"{name}: {' '.join(exc.messages)}")
    return _accepted(key, rep)


def offline_entries_post(*, upk: Unit, actor: Actor, entries: list[Mapping[str, Any]]) -> list[EntryResult]:
    """Every entry on its own: one refused entry (a loan paid off meanwhile)
    does not hold back the others, unlike the typed sheet's all-or-nothing,
    because at the meeting each KSM's money was received on its own."""
    actor = permissions.check_post(actor, upk)
    if len(entries) > MAX_ENTRIES:
        raise LedgerError(_("Terlalu banyak pembayaran dalam satu kiriman (paling banyak %(n)s).") % {"n": MAX_ENTRIES})
    return [_entry_post(upk=upk, actor=actor, entry=e) for e in entries]
