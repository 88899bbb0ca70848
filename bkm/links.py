"""Links from a BKM's page to what other apps keep about its units.

The registry is the lower layer: apps built on it (the UPK ledger) register a
link for a unit type in their `AppConfig.ready()`, deciding with their own
permission rule whether the viewer may follow it; the BKM page imports no app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .models import Unit


@dataclass(frozen=True)
class UnitLink:
    unit_id: int
    label: str
    url: str


UnitLinker = Callable[[Any, Unit], UnitLink | None]
_LINKERS: dict[str, UnitLinker] = {}


def register_unit_link(unit_type: str, linker: UnitLinker) -> None:
    _LINKERS[unit_type] = linker


def unit_links(user: Any, units: Iterable[Unit]) -> list[UnitLink]:
    """The links `user` may follow from these units, in the units' order."""
    links = []
    for unit in units:
        linker = _LINKERS.get(unit.unit_type)
        link = linker(user, unit) if linker is not None and unit.is_active else None
        if link is not None:
            links.append(link)
    return links
