"""Rupiah: whole numbers, never floats.

Every amount in the portal is a whole Rupiah held as `Decimal` with no
fraction (or `int`). Anything that divides rounds explicitly with
`round_rupiah`, half up, the way a kasir rounds.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from .params import is_number

ZERO = Decimal(0)


def to_rupiah(value: Decimal | int | str) -> Decimal:
    """Convert to a whole-Rupiah Decimal; refuses a fraction rather than dropping it."""
    amount = Decimal(value)
    if amount != amount.to_integral_value():
        raise ValueError(f"Rupiah amounts are whole numbers, got {value!r}")
    return amount.quantize(Decimal(1))


class RupiahInputError(ValueError):
    """`code`: "format" (not whole Rupiah as written) or "too_large"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def parse_rupiah(text: str) -> Decimal:
    """Whole Rupiah typed the Indonesian way: "1.500.000", "Rp 1.500.000" or
    "1500000". A comma (the decimal sign here) or sen is refused, never
    dropped: "150.000,50" must not become 15.000.050."""
    cleaned = re.sub(r"^rp\.?\s*", "", text.strip().lower()).replace(" ", "")
    if len(cleaned) > 25:
        raise RupiahInputError("too_large")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", cleaned):
        cleaned = cleaned.replace(".", "")
    if not is_number(cleaned):
        raise RupiahInputError("format")
    if len(cleaned) > 15:
        raise RupiahInputError("too_large")
    return Decimal(cleaned)


def round_rupiah(value: Decimal, unit: int = 1) -> Decimal:
    """Round half up to a multiple of `unit` Rupiah (1, 100, 500, 1000)."""
    return (value / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP) * unit


def format_rupiah(value: Decimal | int | None) -> str:
    """`Rp 1.500.000`; negatives as `-Rp 1.500.000`."""
    if value is None:
        return "-"
    amount = Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    digits = f"{abs(int(amount)):,}".replace(",", ".")
    return f"{sign}Rp {digits}"
