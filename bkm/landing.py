"""The BKM member's landing panel: their BKM, and for its coordinator what
the BKM must put right (see `core.landing`)."""

from __future__ import annotations

from typing import Any

from . import permissions, selectors
from .links import unit_links


def bkm_panel(user: Any) -> dict[str, Any] | None:
    """For BKM members (three queries; four for the coordinator); None for others."""
    if not getattr(user, "is_authenticated", False) or not user.is_bkm_member:
        return None
    bkm = selectors.annotate_bkm_stats(permissions.filter_bkms_for(user)).first()
    if bkm is None:
        return None
    data: dict[str, Any] = {
        "bkm": bkm,
        "links": unit_links(user, bkm.units.filter(is_active=True).order_by("unit_type")),
        "is_coordinator": user.is_coordinator,
    }
    if user.is_coordinator:
        data["todo"] = selectors.bkm_todo(bkm=bkm)
        data["can"] = permissions.editable_parts(user, bkm)
    return data
