"""Personal data shown to people who may not see it whole."""

from __future__ import annotations


def mask_nik(nik: str) -> str:
    """A NIK for readers outside its holder: region code and last four digits only."""
    if not nik or len(nik) < 10:
        return nik or "—"
    return nik[:4] + "•" * (len(nik) - 8) + nik[-4:]
