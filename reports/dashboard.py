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

from django.utils.translation import gettext as _

from .charts import bar_chart
from .pdf import format_rupiah
from .selectors import city_figures


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    build: Callable[[Any], dict[str, Any]]
    order: int = 100


_PANELS: dict[str, Panel] = {}


def register_panel(panel: Panel) -> Panel:
    _PANELS[panel.key] = panel
    return panel


def dashboard_panels() -> list[Panel]:
    return sorted(_PANELS.values(), key=lambda p: (p.order, p.key))


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


register_panel(Panel("registri", "reports/dashboard/_registry.html", _registry_panel, order=10))


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


register_panel(Panel("upk", "reports/dashboard/_upk.html", _upk_panel, order=20))
