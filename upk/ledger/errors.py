"""Errors and whole-Rupiah input checks of the ledger: `LedgerError` (Indonesian messages for users), month names."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from core.money import format_rupiah

MONTHS_ID = [
    "",
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]


class LedgerError(Exception):
    """A domain rule refused the action. `messages` are Indonesian, for users."""

    def __init__(self, *messages: str):
        self.messages = [str(m) for m in messages]
        super().__init__(" ".join(self.messages))


def month_label(year: int, month: int) -> str:
    return f"{MONTHS_ID[month]} {year}"


def rp(value: Any) -> str:
    return format_rupiah(value)


def whole_rupiah(value: Any, what: str) -> int:
    try:
        amount = Decimal(value)
    except Exception as exc:
        raise LedgerError(_("%(what)s harus berupa angka.") % {"what": what}) from exc
    if amount != amount.to_integral_value():
        raise LedgerError(_("%(what)s harus dalam Rupiah bulat.") % {"what": what})
    return int(amount)


def positive_rupiah(value: Any, what: str) -> int:
    amount = whole_rupiah(value, what)
    if amount <= 0:
        raise LedgerError(_("%(what)s harus lebih dari nol.") % {"what": what})
    return amount
