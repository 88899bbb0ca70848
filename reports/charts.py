"""Server-side SVG charts: vector graphics for the PDFs and the dashboard.

Only presentation attributes are used (fill=, font-size=...), never style="",
because the Content Security Policy forbids inline styles in the browser.
The same markup renders in WeasyPrint.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from django.utils.safestring import SafeString, mark_safe

Number = int | float | Decimal
PALETTE = ["#198754", "#0d6efd", "#fd7e14", "#6f42c1", "#dc3545", "#20c997"]
FONT = "DejaVu Sans, Arial, sans-serif"
# Width of one character at the charts' 11 px text, rounded up from DejaVu Sans's widest
# common glyphs (digits and capitals are about 7 px): room for a text is reserved with it.
CHAR_W = 7
LABEL_MAX_W = 240


def _text_w(text: str) -> int:
    return CHAR_W * len(text)


def _fit(text: str, width: int) -> str:
    """The text, cut with an ellipsis where it would need more than `width` pixels."""
    fits = max(1, width // CHAR_W)
    return text if len(text) <= fits else text[: fits - 1].rstrip() + "…"


def _fmt_default(value: Number) -> str:
    return f"{int(value):,}".replace(",", ".") if value == int(value) else f"{float(value):.2f}".replace(".", ",")


def _nice_max(value: float) -> float:
    """A round upper bound for an axis (1, 2, 2.5, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10.0 * magnitude


def _open(width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family={quoteattr(FONT)} font-size="11">',
        f"<title>{escape(title)}</title>",
    ]


def bar_chart(
    items: Sequence[tuple[str, Sequence[Number]]],
    *,
    title: str,
    series: Sequence[str] = ("",),
    value_format: Callable[[Number], str] = _fmt_default,
    width: int = 640,
    bar_height: int = 16,
) -> SafeString:
    """Horizontal bars, one group per item, one bar per series (e.g. proposed vs approved)."""
    n_series = max(1, len(series))
    label_w = min(LABEL_MAX_W, max(60, max((_text_w(label) for label, _ in items), default=35) + 8))
    value_w = max(110, max((_text_w(value_format(v)) for _, values in items for v in values), default=0) + 8)
    plot_w = width - label_w - value_w - 10
    group_h = bar_height * n_series + 8
    legend_h = 20 if n_series > 1 else 0
    height = 28 + legend_h + group_h * max(1, len(items)) + 6
    vmax = _nice_max(float(max((max((float(v) for v in values), default=0) for _, values in items), default=0)))
    out = _open(width, height, title)
    out.append(f'<text x="0" y="14" font-size="13" font-weight="bold" fill="#212529">{escape(title)}</text>')
    y = 28
    if n_series > 1:
        x = label_w
        for i, name in enumerate(series):
            color = PALETTE[i % len(PALETTE)]
            out.append(f'<rect x="{x}" y="{y}" width="10" height="10" fill="{color}"/>')
            out.append(f'<text x="{x + 14}" y="{y + 9}" fill="#212529">{escape(name)}</text>')
            x += 20 + 7 * len(name)
        y += legend_h
    if not items:
        out.append(f'<text x="0" y="{y + 12}" fill="#6c757d">Tidak ada data</text>')
    for label, values in items:
        out.append(
            f'<text x="{label_w - 6}" y="{y + group_h / 2 + 2:.1f}" text-anchor="end" fill="#212529">'
            f"{escape(_fit(label, label_w - 8))}</text>"
        )
        for i, value in enumerate(values):
            w = plot_w * float(value) / vmax if vmax else 0
            by = y + i * bar_height
            color = PALETTE[i % len(PALETTE)]
            out.append(f'<rect x="{label_w}" y="{by}" width="{w:.1f}" height="{bar_height - 2}" fill="{color}"/>')
            out.append(
                f'<text x="{label_w + w + 4:.1f}" y="{by + bar_height - 5}" fill="#212529">{escape(value_format(value))}</text>'
            )
        y += group_h
    out.append(f'<line x1="{label_w}" y1="28" x2="{label_w}" y2="{height - 6}" stroke="#adb5bd" stroke-width="1"/>')
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text node is escaped above


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Number | None]]],
    *,
    title: str,
    value_format: Callable[[Number], str] = _fmt_default,
    width: int = 640,
    height: int = 240,
) -> SafeString:
    """Lines over x (e.g. 12 months); None values leave a gap."""
    # The first and last x labels are centred on the plot's edges: half of each must fit beside it.
    edge = _text_w(x_labels[-1]) // 2 + 4 if x_labels else 0
    left, right, top, bottom = 70, max(10, edge), 40, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [float(v) for _, vs in series for v in vs if v is not None]
    vmax = _nice_max(max(values, default=0))
    out = _open(width, height, title)
    out.append(f'<text x="0" y="14" font-size="13" font-weight="bold" fill="#212529">{escape(title)}</text>')
    x = left
    for i, (name, _vals) in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="{x}" y="22" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="{x + 14}" y="31" fill="#212529">{escape(name)}</text>')
        x += 20 + 7 * len(name)
    for k in range(5):
        gy = top + plot_h - plot_h * k / 4
        out.append(f'<line x1="{left}" y1="{gy:.1f}" x2="{width - right}" y2="{gy:.1f}" stroke="#dee2e6"/>')
        out.append(
            f'<text x="{left - 4}" y="{gy + 4:.1f}" text-anchor="end" fill="#6c757d">{escape(value_format(vmax * k / 4))}</text>'
        )
    n = max(1, len(x_labels) - 1)

    def px(i: int) -> float:
        return left + plot_w * i / n if len(x_labels) > 1 else left + plot_w / 2

    for i, label in enumerate(x_labels):
        out.append(
            f'<text x="{px(i):.1f}" y="{height - 10}" text-anchor="middle" fill="#6c757d">{escape(label)}</text>'
        )
    for s, (_name, vals) in enumerate(series):
        color = PALETTE[s % len(PALETTE)]
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, v in enumerate(vals):
            if v is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            py = top + plot_h - plot_h * float(v) / vmax
            segment.append(f"{px(i):.1f},{py:.1f}")
            out.append(f'<circle cx="{px(i):.1f}" cy="{py:.1f}" r="2.5" fill="{color}"/>')
        if segment:
            segments.append(segment)
        for seg in segments:
            out.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{color}" stroke-width="2"/>')
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text node is escaped above
