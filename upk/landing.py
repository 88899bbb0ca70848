"""The UPK manager's landing panel and the BKM page's link to its UPK's books
(registered in `UpkConfig.ready`, see `core.landing` and `bkm.links`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from bkm.links import UnitLink
from bkm.models import Unit

from . import permissions, selectors
from .queries import today

# A manager is bound to one UPK, rarely a few; the panel shows at most this many.
MAX_UPKS = 3
ARREARS_SHOWN = 10


@dataclass(frozen=True)
class ManagerDay:
    upk: Unit
    due_today: list[selectors.DueRow]
    due_today_total: int
    due_week: list[selectors.DueRow]
    due_week_total: int
    arrears: selectors.ArrearsWorklist
    chair_phones: dict[int, str]  # KSM id → chair's WhatsApp, for the arrears reminders


def manager_panel(user: Any) -> dict[str, Any] | None:
    """Today's and this week's dues, the arrears worklist and the collection
    sheet button for each UPK the user manages (a fixed number of queries per UPK)."""
    ids = permissions.managed_upk_ids(user)
    if not ids:
        return None
    upks = list(
        permissions.filter_upks(user, Unit.objects.filter(pk__in=ids)).select_related("bkm").order_by("name")[:MAX_UPKS]
    )
    on = today()
    days = []
    for upk in upks:
        due_today = selectors.due_list(upk=upk, on=on)
        due_week = selectors.due_list(upk=upk, on=on, within_days=7)
        arrears = selectors.arrears_worklist(upk=upk, as_of=on, limit=ARREARS_SHOWN)
        days.append(
            ManagerDay(
                upk,
                due_today,
                sum(r.expected for r in due_today),
                due_week,
                sum(r.expected for r in due_week),
                arrears,
                selectors.ArrearsRow.phones(arrears.rows),
            )
        )
    return {"on": on, "days": days, "more": len(ids) > len(upks)}


def upk_books_link(user: Any, unit: Unit) -> UnitLink | None:
    """From a BKM's page to its UPK's books, for those the UPK's rule lets in."""
    if not permissions.can_view_upk(user, unit):
        return None
    return UnitLink(unit.pk, _("Pembukuan UPK"), reverse("upk:home", args=[unit.pk]))
