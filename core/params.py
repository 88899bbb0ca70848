"""Bounds of query parameters, checked before they reach the database or date arithmetic."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

#: Years the portal's books and registry can be about (PNPM/P2KP books start in the 2000s).
MIN_YEAR = 2000
MAX_YEAR = 2100

YEAR_RANGE_MESSAGE = _("Tahun harus antara %(min)d dan %(max)d.")


def is_number(text: str) -> bool:
    """Only ASCII digits 0-9: what `int()` and `Decimal()` read without surprise.

    `str.isdigit()` alone also accepts "²" or "①", which `int()` refuses (a 500 wherever a parameter
    or a form field was checked with it), and Arabic-Indic or full-width digits, which should not
    reach the books as numbers. Every check of "a typed number" uses this.
    """
    return text.isascii() and text.isdigit()


def year_in_range(year: int) -> bool:
    return MIN_YEAR <= year <= MAX_YEAR


def year_range_message() -> str:
    return str(YEAR_RANGE_MESSAGE) % {"min": MIN_YEAR, "max": MAX_YEAR}
