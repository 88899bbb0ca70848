"""PDF rendering (WeasyPrint) and the atomic file write.

Everything a report prints goes through `format_number`, `format_date`,
`format_rupiah` here (Indonesian formats), so tests can format the selector
figures the same way and look for them in the PDF text.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation

from core.money import format_rupiah

__all__ = [
    "format_rupiah",
    "format_number",
    "format_decimal",
    "format_date",
    "format_datetime_wib",
    "render_pdf",
    "write_atomically",
]

WIB = ZoneInfo("Asia/Jakarta")


def format_number(value: int | Decimal | None) -> str:
    """1234567 → "1.234.567" (Indonesian grouping)."""
    if value is None:
        return "-"
    with translation.override("id"):
        return formats.number_format(value, decimal_pos=0, use_l10n=True, force_grouping=True)


def format_decimal(value: Decimal | int | None, places: int = 2) -> str:
    """Decimal("12.50") → "12,50" (Indonesian decimal comma, grouping by dots)."""
    if value is None:
        return "-"
    with translation.override("id"):
        return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


def format_date(value: date | None) -> str:
    """ "29 November 2026"."""
    if value is None:
        return "-"
    with translation.override("id"):
        return formats.date_format(value, "DATE_FORMAT", use_l10n=True)


def format_month(value: date) -> str:
    """ "Maret 2026"."""
    with translation.override("id"):
        return formats.date_format(value, "YEAR_MONTH_FORMAT", use_l10n=True)


def format_datetime_wib(value: datetime) -> str:
    """ "29 November 2026 16:50 WIB": production times are always printed in WIB."""
    local = timezone.localtime(value, WIB)
    with translation.override("id"):
        return formats.date_format(local, "DATETIME_FORMAT", use_l10n=True) + " WIB"


def render_html(*, template: str, context: dict[str, Any]) -> str:
    with translation.override("id"):
        return render_to_string(template, context)


def render_pdf(*, template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    html = render_html(template=template, context=context)
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    assert pdf is not None
    return pdf


def temp_prefix(final_path: Path) -> str:
    return f".{final_path.name}.tmp-"


def write_atomically(final_path: Path, data: bytes) -> str:
    """Write `data` to `final_path` so readers see the whole file or none; returns its SHA-256.

    Temp file in the same directory (os.replace is atomic only within one file
    system), fsync the file, rename, then fsync the directory so the rename
    itself survives a crash. On any error the temp file is removed.
    """
    final_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=final_path.parent, prefix=temp_prefix(final_path))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, final_path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    dir_fd = os.open(final_path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return hashlib.sha256(data).hexdigest()


def remove_with_temps(final_path: Path) -> None:
    """Remove a report file and any temp files a killed writer left next to it."""
    final_path.unlink(missing_ok=True)
    remove_temps(final_path)


def remove_temps(final_path: Path) -> None:
    """Remove the temp files a killed writer of `final_path` left next to it."""
    if final_path.parent.exists():
        for tmp in final_path.parent.glob(temp_prefix(final_path) + "*"):
            tmp.unlink(missing_ok=True)
