"""Panels of the staff dashboard: a registry, so each domain adds its figures without touching the view.

A panel is a template plus a function `build(user) -> dict` whose result the
template gets as `data`. Builders read through selectors and run a fixed
number of queries (the dashboard has a query-count test). After the merge the
ledger adds a panel (city UPK indicators with their bands, kolektibilitas,
12-month PAR trend) with `register_panel(Panel("upk", ..., order=20))`; the
forum can add one for activity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .charts import bar_chart
from .kept import Tokens
from .pdf import format_rupiah
from .selectors import city_figures


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    build: Callable[[Any], dict[str, Any]]
    order: int = 100
    # For a panel that shows every staff user the same thing and is a function of its inputs alone: which
    # of `kept.tokens()` (read before building) covers those inputs; the rendered panel is kept under it
    # (`panel_html`). None: built and rendered on every request.
    version: Callable[[Tokens], str | None] | None = None


_PANELS: dict[str, Panel] = {}


def register_panel(panel: Panel) -> Panel:
    _PANELS[panel.key] = panel
    return panel


def dashboard_panels() -> list[Panel]:
    return sorted(_PANELS.values(), key=lambda p: (p.order, p.key))


# A kept panel is rebuilt at least this often (its token, the day and the language key it otherwise).
PANEL_KEPT_SECONDS = 24 * 3600


def panel_html(panel: Panel, user: Any, tokens: Tokens) -> str:
    """The panel rendered: kept under its `version` of `tokens` (`kept.tokens()`), the day and the
    language when it has one (`reports.kept`; ~200 formatted numbers and three charts were most of the
    dashboard's own CPU)."""
    from django.template.loader import render_to_string

    from . import kept

    def render() -> str:
        return render_to_string(panel.template, {"data": panel.build(user)})

    if panel.version is None:
        return render()
    # Our own template's output (render_to_string's safe string), read back from the cache.
    token = panel.version(tokens)
    return mark_safe(kept.kept(f"panel:{panel.key}", token, render, seconds=PANEL_KEPT_SECONDS))  # noqa: S308


def _registry_panel(user: Any) -> dict[str, Any]:
    figures = city_figures()
    return {
        "figures": figures,
        "charts": {
            "bkm": bar_chart(
                [(k.name, (k.bkm_active,)) for k in figures.by_kecamatan],
                title=_("BKM aktif per kecamatan"),
                width=520,
            ),
            "budget": bar_chart(
                [(k.name, (k.budget_proposed, k.budget_approved)) for k in figures.by_kecamatan],
                title=_("Anggaran usulan kolaborasi per kecamatan"),
                series=(_("Diusulkan"), _("Disetujui")),
                value_format=lambda v: format_rupiah(Decimal(v)),
                width=520,
            ),
        },
    }


# The registry's and proposals' tables are inputs of the warnings (their triggers raise `Tokens.inputs`).
register_panel(
    Panel("registri", "reports/dashboard/_registry.html", _registry_panel, order=10, version=lambda t: t.inputs)
)


def _upk_panel(user: Any) -> dict[str, Any]:
    """City UPK figures as of today: indicators, kecamatan breakdown, kolektibilitas (4 queries)."""
    from django.utils import timezone

    from .selectors import indicator_columns, upk_snapshot

    snapshot = upk_snapshot(as_of=timezone.localdate())
    return {
        "snapshot": snapshot,
        "indicators": indicator_columns(),
        "charts": {
            "par": bar_chart(
                [(k.label, (k.values["par"] or Decimal(0),)) for k in snapshot.by_kecamatan],
                title=_("PAR per kecamatan (%)"),
                value_format=lambda v: f"{Decimal(v):.2f}".replace(".", ",") + "%",
                width=520,
            ),
        },
    }


# Every UPK's figures version (`upk_snapshot`'s inputs) and the units' places (the registry's tables).
register_panel(Panel("upk", "reports/dashboard/_upk.html", _upk_panel, order=20, version=lambda t: t.upk))
