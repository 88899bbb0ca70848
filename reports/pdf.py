"""PDF rendering (WeasyPrint) and the atomic file write.

Everything a report prints goes through `format_number`, `format_date`,
`format_rupiah` here (Indonesian formats), so tests can format the selector
figures the same way and look for them in the PDF text.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from html import unescape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, numberformat, timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core.money import format_rupiah

__all__ = [
    "format_rupiah",
    "format_number",
    "format_decimal",
    "format_date",
    "format_datetime_wib",
    "LongTable",
    "render_pdf",
    "write_atomically",
]

WIB = ZoneInfo("Asia/Jakarta")


def _number_id(value: int | Decimal, places: int) -> str:
    # Django's number_format with the Indonesian formats asked for by name: the same result as under
    # `translation.override("id")`, without activating a language per number (a page prints hundreds).
    return numberformat.format(
        value,
        formats.get_format("DECIMAL_SEPARATOR", "id", use_l10n=True),
        places,
        formats.get_format("NUMBER_GROUPING", "id", use_l10n=True),
        formats.get_format("THOUSAND_SEPARATOR", "id", use_l10n=True),
        force_grouping=True,
        use_l10n=True,
    )


def format_number(value: int | Decimal | None) -> str:
    """1234567 → "1.234.567" (Indonesian grouping)."""
    if value is None:
        return "-"
    return _number_id(value, 0)


def format_decimal(value: Decimal | int | None, places: int = 2) -> str:
    """Decimal("12.50") → "12,50" (Indonesian decimal comma, grouping by dots)."""
    if value is None:
        return "-"
    return _number_id(value, places)


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
    """The report's whole document as one HTML (its long table included, with `long_table_columns`)."""
    long_table = context.get("long_table")
    if isinstance(long_table, LongTable) and "column_widths" not in context:
        context = {**context, "column_widths": long_table_columns(context=context)}
    with translation.override("id"):
        return render_to_string(template, context)


@dataclass(frozen=True)
class LongTable:
    """The last section of a report: a table of many rows (one per proposal, one per UPK).

    A builder that returns one under `long_table` has that section laid out in parts (`render_pdf`).
    `template` renders `rows` numbered from `first_number`, marks each row `data-row="<index in rows>"`
    (a `<tr>`, or an element that starts a new page, like a BKM's profile), and when `continued` (a part
    after the first) leaves its heading out and gives its table the class `continued`."""

    template: str
    rows: Sequence[Any]
    # Rows laid out at a time; None: REPORTS_PDF_ROWS_PER_PART (table rows, ~16 a page).
    rows_per_part: int | None = None
    # The rows are rows of one table (whose columns every part must share); False: page-sized blocks.
    table: bool = True


ProgressCallback = Callable[[float, str], None]


def _no_progress(percent: float, message: str = "") -> None:
    return None


def render_pdf(*, template: str, context: dict[str, Any], progress: ProgressCallback = _no_progress) -> bytes:
    """The report's PDF. A report with a `long_table` is laid out in parts and joined (`_render_in_parts`)."""
    from weasyprint import HTML

    long_table = context.get("long_table")
    if isinstance(long_table, LongTable):
        return _render_in_parts(template=template, context=context, long_table=long_table, progress=progress)
    html = render_html(template=template, context=context)
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    assert pdf is not None
    return pdf


def _render_in_parts(
    *, template: str, context: dict[str, Any], long_table: LongTable, progress: ProgressCallback
) -> bytes:
    """Lay out the front (title page and summaries) and the long table in parts of about
    REPORTS_PDF_ROWS_PER_PART rows, each a WeasyPrint document of its own written to PDF before the next
    is laid out, then join them with pypdf.

    Why: WeasyPrint keeps every box of a document, with its computed style, until it writes the PDF
    (~4.5 MiB per page of table); the province's Rekap Kolaborasi (3,000 proposals, ~160 pages)
    peaked at 865-950 MiB. A part holds a few dozen pages at a time.

    The join changes nothing the reader sees: a part other than the last ends at a page where the whole
    document's page also ends (below), the table's columns are the whole table's (`long_table_columns`),
    and "Halaman n dari N" (known only once every part is laid out) comes from a frame of blank pages of
    the same sizes carrying just that footer, laid out by WeasyPrint with the same page style and merged
    onto the parts' pages (`join_pdfs`)."""
    from weasyprint import HTML

    from . import conf

    base_url = str(settings.BASE_DIR)
    per_part = max(1, int(long_table.rows_per_part or conf.get("REPORTS_PDF_ROWS_PER_PART")))
    rows = long_table.rows
    total = len(rows)
    pdfs: list[bytes] = []
    wide_pages: list[bool] = []

    def write(document: Any) -> None:
        wide_pages.extend(page.width > page.height for page in document.pages)
        pdf = document.write_pdf()
        assert pdf is not None
        pdfs.append(pdf)

    progress(0, _("Menyusun PDF"))
    context = {**context, "column_widths": long_table_columns(context=context)}
    front = render_html(template=template, context={**context, "pdf_part": "front"})
    write(HTML(string=front, base_url=base_url).render())
    del front
    part_context = {**context, "pdf_part": "rows", "css_title": css_string(str(context.get("title", "")))}
    start = 0
    while True:
        end = min(total, start + per_part)
        html = render_html(
            template="reports/pdf/rows_part.html",
            context={**part_context, "rows": rows[start:end], "first_number": start + 1, "continued": start > 0},
        )
        document = HTML(string=html, base_url=base_url).render()
        del html
        if end < total:
            if len(document.pages) < 3:
                # Too few rows to cut two pages off (below): lay out a bigger part.
                per_part *= 2
                continue
            # The part ends before the row its second last page opens with (a table row; or a BKM profile,
            # from the page it starts on); those rows open the next part. The part's last page is not full,
            # and the one before may have lost the part's last row (the end of a table needs room a row
            # followed by more rows does not): neither would look like the whole document's page.
            on_page = [_row_indexes(page) for page in document.pages]
            carried = on_page[-2][0] if on_page[-2] else None
            first_page = next((i for i, found in enumerate(on_page) if carried in found), 0)
            if not carried or not first_page:
                per_part *= 2  # one row fills the part's pages: lay out a bigger part
                continue
            document = document.copy(document.pages[:first_page])
            end = start + carried
        write(document)
        del document
        start = end
        progress(
            100 * start / max(total, 1),
            _("Menyusun PDF: %(done)s dari %(total)s baris")
            % {
                "done": format_number(start),
                "total": format_number(total),
            },
        )
        if start >= total:
            break
    progress(100, _("Menggabungkan bagian PDF"))
    numbers = render_html(
        template="reports/pdf/page_numbers.html", context={**context, "pdf_part": "frame", "frame_pages": wide_pages}
    )
    frame = HTML(string=numbers, base_url=base_url).write_pdf()
    assert frame is not None
    return join_pdfs(pdfs, page_numbers=frame)


_ROW = re.compile(r'<tr data-row="(\d+)"[^>]*>(.*?)</tr>', re.S)
_CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
_TAG = re.compile(r"<[^>]+>")


def long_table_columns(*, context: dict[str, Any]) -> list[str] | None:
    """The widths of the long table's columns (CSS percentages) as WeasyPrint's automatic table layout gives
    them for all its rows, so every part of the table has the same columns (each part laid out on its own
    would size them by its own rows). None when the long table has no table rows (the Profil book).

    The automatic layout sizes a column by its widest cell and its longest word: a table of the rows that
    have, for some column, the longest cell text or the longest word (at most two a column) gets the same
    widths, and is laid out in a moment."""
    from weasyprint import HTML

    long_table = context["long_table"]
    if not long_table.table or not long_table.rows:
        return None
    part = {**context, "rows": long_table.rows, "first_number": 1, "continued": False}
    with translation.override("id"):
        html = render_to_string(long_table.template, part)
    rows = _ROW.findall(html)
    if not rows:
        return None
    widest: dict[int, tuple[int, str]] = {}
    longest_word: dict[int, tuple[int, str]] = {}
    for row, cells_html in rows:
        for column, cell in enumerate(_CELL.findall(cells_html)):
            text = unescape(_TAG.sub(" ", cell))
            word = max((len(w) for w in text.split()), default=0)
            if len(text.strip()) > widest.get(column, (-1, ""))[0]:
                widest[column] = (len(text.strip()), row)
            if word > longest_word.get(column, (-1, ""))[0]:
                longest_word[column] = (word, row)
    keep = {row for _n, row in [*widest.values(), *longest_word.values()]}
    probe = _ROW.sub(lambda m: m.group(0) if m.group(1) in keep else "", html)
    document = HTML(
        string=render_to_string(
            "reports/pdf/rows_part.html",
            {**context, "pdf_part": "rows", "css_title": "", "long_table_html": mark_safe(probe)},  # noqa: S308 - our template's output
        ),
        base_url=str(settings.BASE_DIR),
    ).render()
    for box in document.pages[0]._page_box.descendants():
        widths = getattr(box, "column_widths", None)
        if widths and sum(widths) > 0:
            return [f"{100 * w / sum(widths):.4f}%" for w in widths]
    return None


def _row_indexes(page: Any) -> list[int]:
    """The `data-row`s of the long table's rows a laid-out page shows (whole or in part), in order."""
    found: list[int] = []
    for box in page._page_box.descendants():
        element = getattr(box, "element", None)
        row = element.get("data-row") if element is not None else None
        if row is not None and (not found or found[-1] != int(row)):
            found.append(int(row))
    return found


def css_string(text: str) -> str:
    """`text` as the content of a double-quoted CSS string (a margin box's `content`), safe inside <style>."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ").replace("<", "\\3C ")
    return mark_safe(escaped)  # noqa: S308 - escaped for a CSS string above


def join_pdfs(pdfs: list[bytes], *, page_numbers: bytes) -> bytes:
    """The parts one after another, each page with the matching page of `page_numbers` drawn over it;
    the first part's metadata (title) and every part's outline (bookmarks)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    readers = [PdfReader(io.BytesIO(pdf)) for pdf in pdfs]
    for reader in readers:
        writer.append(reader)
    frame = PdfReader(io.BytesIO(page_numbers))
    if len(frame.pages) != len(writer.pages):
        raise RuntimeError(f"page numbers for {len(frame.pages)} pages, the parts have {len(writer.pages)}")
    for page, numbers in zip(writer.pages, frame.pages, strict=True):
        page.merge_page(numbers)
        page.compress_content_streams()
    # Merging leaves each page's replaced content stream behind, uncompressed: drop them.
    writer.compress_identical_objects(remove_identicals=False, remove_orphans=True)
    if readers and readers[0].metadata:
        writer.add_metadata(dict(readers[0].metadata))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


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
