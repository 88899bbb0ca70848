"""A report's long table laid out in parts (reports.pdf.render_pdf) prints what the whole document prints."""

from __future__ import annotations

import io
import re

import pytest
from django.conf import settings as django_settings
from django.utils import timezone, translation
from pypdf import PdfReader

from reports.pdf import LongTable, css_string, long_table_columns, render_html, render_pdf
from reports.registry import get_report_type
from reports.services import report_context
from tests.factories import BKMFactory

from .conftest import compact
from .factories import ProposalFactory

FOOTER = re.compile(r"Halaman(\d+)dari(\d+)")


def _context(report_type: str) -> tuple[str, dict]:
    rt = get_report_type(report_type)
    context = report_context(rt=rt, params={}, requested_by=None, run=None, progress=lambda *a: None)
    return rt.module().TEMPLATE, context


def _whole_pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    return HTML(
        string=render_html(template=template, context=context), base_url=str(django_settings.BASE_DIR)
    ).write_pdf()


def _bookmarks(reader: PdfReader) -> list[tuple[str, int]]:
    """The PDF's bookmarks (WeasyPrint's, from the headings) as (title, page), flattened."""

    def walk(items: list) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        for item in items:
            if isinstance(item, list):
                out += walk(item)
            else:
                out.append((item.title, reader.get_destination_page_number(item)))
        return out

    return walk(reader.outline)


def _same_pages(report_type: str, *, params: dict | None = None) -> tuple[PdfReader, list[tuple[float, str]]]:
    """The report laid out in parts, checked page by page against the whole document; with its progress."""
    messages: list[tuple[float, str]] = []
    with translation.override("id"), timezone.override("Asia/Jakarta"):
        rt = get_report_type(report_type)
        template = rt.module().TEMPLATE
        context = report_context(rt=rt, params=params or {}, requested_by=None, run=None, progress=lambda *a: None)
        parted = PdfReader(
            io.BytesIO(render_pdf(template=template, context=context, progress=lambda p, m="": messages.append((p, m))))
        )
        whole = PdfReader(io.BytesIO(_whole_pdf(template, context)))
        context["column_widths"] = long_table_columns(context=context)
    total = len(whole.pages)
    assert total >= 8
    assert len(parted.pages) == total
    for number, (mine, theirs) in enumerate(zip(parted.pages, whole.pages, strict=True), start=1):
        assert (mine.mediabox.width, mine.mediabox.height) == (theirs.mediabox.width, theirs.mediabox.height)
        text, expected = compact(mine.extract_text()), compact(theirs.extract_text())
        # The page number is drawn over the part's page (extracted last); everything else in the same order.
        assert FOOTER.findall(text) == FOOTER.findall(expected) == [(str(number), str(total))]
        assert FOOTER.sub("", text) == FOOTER.sub("", expected), f"page {number}"
    assert parted.metadata.title == whole.metadata.title
    assert _bookmarks(whole) and _bookmarks(parted) == _bookmarks(whole)
    if context["column_widths"] is not None:
        # The columns are those of the automatic table layout of the whole table, as before the parts.
        with translation.override("id"), timezone.override("Asia/Jakarta"):
            automatic = PdfReader(io.BytesIO(_whole_pdf(template, {**context, "column_widths": None})))
        assert len(automatic.pages) == total
        assert compact(automatic.pages[-1].extract_text()) == compact(whole.pages[-1].extract_text())
    percents = [p for p, _m in messages]
    assert percents == sorted(percents) and percents[-1] == 100
    return parted, messages


@pytest.mark.django_db
def test_render_pdf_long_table_in_parts_prints_the_pages_of_the_whole_document(collaboration, settings):
    bkms = collaboration["bkms"]
    ProposalFactory.create_batch(90, bkm=bkms[0], title="Usulan panjang " + "jalan lingkungan " * 6)
    ProposalFactory.create_batch(90, bkm=bkms[1])
    # 8-25 rows a landscape page: parts of 70 rows end mid-page, so the cut is exercised at every part.
    settings.REPORTS_PDF_ROWS_PER_PART = 70
    parted, messages = _same_pages("kolaborasi")
    # Every page after the title page carries the report's title in its header, continuation parts included.
    assert all("RekapKolaborasiOPD–BKM" in compact(p.extract_text()) for p in parted.pages[1:])
    assert parted.metadata.title == "Rekap Kolaborasi OPD–BKM"
    assert any(m == "Menyusun PDF: 186 dari 186 baris" for _p, m in messages)
    assert sum("baris" in m for _p, m in messages) >= 3


@pytest.mark.django_db
def test_render_pdf_profil_book_in_parts_prints_the_pages_of_the_whole_book(collaboration, settings):
    BKMFactory.create_batch(4)
    # Parts of two profiles: a part's cut falls at the start of a profile, never inside one.
    settings.REPORTS_PDF_PROFILES_PER_PART = 2
    parted, messages = _same_pages("profil_bkm")
    assert sum("baris" in m for _p, m in messages) >= 2


@pytest.mark.django_db
def test_render_pdf_long_table_without_rows_prints_its_empty_line(collaboration, settings):
    with translation.override("id"), timezone.override("Asia/Jakarta"):
        template, context = _context("kolaborasi")
        context["long_table"] = LongTable(template=context["long_table"].template, rows=[])
        reader = PdfReader(io.BytesIO(render_pdf(template=template, context=context)))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Tidak ada usulan untuk parameter ini." in text
    assert f"Halaman {len(reader.pages)} dari {len(reader.pages)}" in text


def test_css_string_escapes_quotes_backslashes_and_the_end_of_a_style():
    assert css_string('a "b" \\ c</style>') == 'a \\"b\\" \\\\ c\\3C /style>'
