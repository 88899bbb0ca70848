"""Does a report's PDF fit its pages? Read from WeasyPrint's own layout tree, not from pixels.

`layout_defects(html)` lays the HTML out as `render_pdf` does and lists, per page:

- every table, and every chart or image, whose border box reaches past the page's content area
  (the page box minus its margins: what `@page` leaves for the body);
- every page that carries nothing but the continuation of a table cut after one row (a page
  with one row on it, the rest of the table on the pages before);
- every text of an inline SVG chart that the chart's own viewBox cuts (measured with the
  font the chart names, DejaVu Sans, at its font size).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings
from PIL import ImageFont

SVG = "{http://www.w3.org/2000/svg}"
# WeasyPrint computes in CSS pixels; half a pixel absorbs rounding of borders.
TOLERANCE = 0.5
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


def layout_defects(html: str) -> list[str]:
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render()
    defects: list[str] = []
    seen_tables: set[int] = set()
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        left, top = page_box.content_box_x(), page_box.content_box_y()
        right, bottom = left + page_box.width, top + page_box.height
        body_boxes = [
            box for child in page_box.children if not isinstance(child, boxes.MarginBox) for box in child.descendants()
        ]
        for box in body_boxes:
            if not isinstance(box, boxes.TableBox | boxes.ReplacedBox):
                continue
            x0, y0 = box.border_box_x(), box.border_box_y()
            x1, y1 = x0 + box.border_width(), y0 + box.border_height()
            if x0 < left - TOLERANCE or x1 > right + TOLERANCE or y1 > bottom + TOLERANCE:
                defects.append(
                    f"page {number}: {_describe(box)} spans x {x0:.0f}–{x1:.0f}, y to {y1:.0f}; "
                    f"the content area is x {left:.0f}–{right:.0f}, y to {bottom:.0f}"
                )
        for box in body_boxes:
            if isinstance(box, boxes.ReplacedBox) and box.element_tag == f"{SVG}svg":
                defects.extend(f"page {number}: {d}" for d in _svg_text_defects(box.element))
        defects.extend(_lonely_row(number, body_boxes, seen_tables, boxes))
    return defects


def _describe(box) -> str:
    tag = box.element_tag.replace(SVG, "svg:") if box.element_tag else type(box).__name__
    element = box.element
    text = ""
    if element is not None and tag == "table":
        first_header = element.find(".//th")
        text = "".join(first_header.itertext()).strip() if first_header is not None else ""
    elif element is not None and tag == "svg:svg":
        title = element.find(f"{SVG}title")
        text = title.text or "" if title is not None else ""
    return f"<{tag}> {text!r}".rstrip()


def _lonely_row(number: int, body_boxes: list, seen_tables: set, boxes) -> list[str]:
    """A page whose only content is one body row of a table begun on an earlier page."""
    tables = [b for b in body_boxes if isinstance(b, boxes.TableBox)]
    on_page = {id(t.element) for t in tables}
    continued = [t for t in tables if id(t.element) in seen_tables]
    seen_tables |= on_page
    if len(tables) != 1 or not continued:
        return []
    table = tables[0]
    rows = [
        row
        for group in table.children
        if isinstance(group, boxes.TableRowGroupBox) and not (group.is_header or group.is_footer)
        for row in group.children
    ]
    inside = {id(e) for e in table.element.iter()}
    outside_text = [b for b in body_boxes if isinstance(b, boxes.TextBox) and id(b.element) not in inside]
    if len(rows) == 1 and not outside_text:
        return [f"page {number}: carries only one row of {_describe(table)}"]
    return []


@cache
def _font(size: float, bold: bool) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(DEJAVU / name), size=max(1, round(size)))


def _svg_text_defects(svg) -> list[str]:
    """Texts of an inline SVG chart (reports/charts.py) that fall outside its viewBox."""
    _x, _y, width, _height = (float(v) for v in svg.get("viewBox", "").split())
    base_size = float(svg.get("font-size", "11"))
    title = svg.find(f"{SVG}title")
    name = title.text if title is not None else "?"
    defects = []
    for text in svg.iter(f"{SVG}text"):
        content = "".join(text.itertext())
        size = float(text.get("font-size", base_size))
        advance = _font(size, text.get("font-weight") == "bold").getlength(content)
        x = float(text.get("x", "0"))
        anchor = text.get("text-anchor", "start")
        start = x - advance if anchor == "end" else x - advance / 2 if anchor == "middle" else x
        if start < -TOLERANCE or start + advance > width + TOLERANCE:
            defects.append(
                f"chart {name!r}: text {content!r} spans x {start:.0f}–{start + advance:.0f} of a {width:.0f} wide chart"
            )
    return defects
