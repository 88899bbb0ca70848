"""Offline collection (issue 14), the read: what a manager's phone downloads
before a KSM meeting without signal. What it sends back afterwards is posted by
`upk.services.offline`.

The phone never decides anything about money: it stores what the collection
sheet would show (`selectors.due_list`, the one place "Tagihan" is computed).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from . import selectors

if TYPE_CHECKING:
    from bkm.models import Unit


OFFLINE_DAYS = 7  # sheets for today and the six days after it
MAX_DAYS = 14


def offline_sheets(*, upk: Unit, start: date, days: int = OFFLINE_DAYS) -> dict[str, Any]:
    """The sheets of `days` days from `start`, as the phone stores them.

    Loans appear once (`loans`), each day lists what each loan owes if paid
    that day (`expected` includes the late fee, as on the printed sheet).
    2 queries per day."""
    days = max(1, min(days, MAX_DAYS))
    loans: dict[str, dict[str, Any]] = {}
    sheets = []
    for offset in range(days):
        on = start + timedelta(days=offset)
        rows = selectors.due_list(upk=upk, on=on)
        for r in rows:
            loans.setdefault(
                str(r.loan.pk),
                {"id": r.loan.pk, "number": r.loan.number, "ksm": r.loan.ksm.name, "ksm_code": r.loan.ksm.code},
            )
        sheets.append(
            {
                "date": on.isoformat(),
                "rows": [
                    {"loan": r.loan.pk, "expected": r.expected, "denda": r.denda, "n_arrears": r.n_arrears}
                    for r in rows
                ],
            }
        )
    return {
        "upk": upk.pk,
        "upk_name": upk.name,
        "fetched_at": timezone.now().isoformat(),
        "today": timezone.localdate().isoformat(),
        "loans": loans,
        "sheets": sheets,
    }
