"""Rupiah: whole numbers, never floats.

Every amount in the portal is a whole Rupiah held as `Decimal` with no
fraction (or `int`). Anything that divides rounds explicitly with
`round_rupiah`, half up, the way a kasir rounds.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)


def to_rupiah(value: Decimal | int | str) -> Decimal:
    """Convert to a whole-Rupiah Decimal; refuses a fraction rather than dropping it."""
    amount = Decimal(value)
    if amount != amount.to_integral_value():
        raise ValueError(f"Rupiah amounts are whole numbers, got {value!r}")
    return amount.quantize(Decimal(1))


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
