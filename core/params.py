"""Bounds of query parameters, checked before they reach the database or date arithmetic."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

#: Years the portal's books and registry can be about (PNPM/P2KP books start in the 2000s).
MIN_YEAR = 2000
MAX_YEAR = 2100

YEAR_RANGE_MESSAGE = _("Tahun harus antara %(min)d dan %(max)d.")


def year_in_range(year: int) -> bool:
    return MIN_YEAR <= year <= MAX_YEAR


def year_range_message() -> str:
    return str(YEAR_RANGE_MESSAGE) % {"min": MIN_YEAR, "max": MAX_YEAR}
