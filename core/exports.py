"""The one writer of CSV and XLSX exports (BKM list, UPK lists and books, forum, open-data API).

Choices (docs/operations.md, "Exports"):
- CSV: UTF-8 with a byte-order mark, ``;`` between fields, CRLF line ends, every field quoted when it
  needs to be. Indonesian Excel (decimal comma) splits on ``;`` and reads UTF-8 only with the BOM;
  LibreOffice and Python's ``csv`` read the same file.
- Formula injection (OWASP "CSV Injection"): a text cell that begins with ``=``, ``+``, ``-``, ``@``,
  tab, CR or LF (or their full-width forms) gets a leading apostrophe, so a spreadsheet shows it as
  text. Plain numbers written as text ("-1500", "+62 812") are left alone: they cannot be formulas.
- XLSX: every text cell is stored as a string, never as a formula, whatever it begins with;
  characters XML cannot carry (NUL and other C0 controls) are dropped.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

CSV_DELIMITER = ";"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"

_FORMULA_START = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
_PLAIN_NUMBER = re.compile(r"[+-]?\d[\d.,]*")
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(text: str) -> str:
    """The text a spreadsheet shows as text: a leading apostrophe before a formula-leading character."""
    if text and text[0] in _FORMULA_START and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _plain(value: Any) -> Any:
    """Decimal → int when whole; None → empty; bool stays bool; everything else as it is."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    return value


def csv_cell(value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.strftime("%d-%m-%Y")
    if isinstance(value, str):
        return neutralise(value)
    return value


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """The CSV body (no BOM) of ``rows``; the first row is the header."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    return (BOM + csv_text(rows)).encode("utf-8")


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def csv_response(*, filename: str, rows: Iterable[Sequence[Any]]) -> HttpResponse:
    """A CSV download (``filename`` with its extension); the first row is the header."""
    return _attachment(HttpResponse(csv_bytes(rows), content_type=CSV_CONTENT_TYPE), filename)


def csv_text_response(*, filename: str, text: str) -> HttpResponse:
    """A CSV download of a body made by :func:`csv_text`."""
    return _attachment(HttpResponse((BOM + text).encode("utf-8"), content_type=CSV_CONTENT_TYPE), filename)


def xlsx_bytes(*, rows: Iterable[Sequence[Any]], title: str = "Data", bold_header: bool = True) -> bytes:
    """An XLSX workbook of one sheet; the first row is the header (bold)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_XML_ILLEGAL.sub("", title or "Data")[:31] or "Data")
    bold = Font(bold=True)
    for i, row in enumerate(rows):
        cells = []
        for value in row:
            value = _plain(value)
            if isinstance(value, str):
                cell = WriteOnlyCell(ws, value=_XML_ILLEGAL.sub("", value))
                cell.data_type = "s"  # openpyxl makes "=…" a formula; a value is what we export
            else:
                cell = WriteOnlyCell(ws, value=value)
            if i == 0 and bold_header:
                cell.font = bold
            cells.append(cell)
        ws.append(cells)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def xlsx_response(*, filename: str, rows: Iterable[Sequence[Any]], title: str = "Data") -> HttpResponse:
    """An XLSX download (``filename`` with its extension); the first row is the header."""
    return _attachment(HttpResponse(xlsx_bytes(rows=rows, title=title), content_type=XLSX_CONTENT_TYPE), filename)


EXPORT_FORMATS = ("csv", "xlsx")


def requested_format(request: Any) -> str | None:
    """The export a list was asked for (`?format=csv|xlsx`), or None for the page itself."""
    fmt = request.GET.get("format")
    return fmt if fmt in EXPORT_FORMATS else None


def table_response(*, fmt: str, filename: str, rows: Iterable[Sequence[Any]], title: str = "Data") -> HttpResponse:
    """The same rows as CSV or XLSX (``filename`` without its extension); the first row is the header."""
    if fmt == "xlsx":
        return xlsx_response(filename=f"{filename}.xlsx", rows=rows, title=title)
    return csv_response(filename=f"{filename}.csv", rows=rows)
