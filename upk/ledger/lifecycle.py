"""Loan status changes (the `LOAN_TRANSITIONS` table) and the automatic paid-off transition."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from ..models import (
    LIVE_STATUSES,
    LOAN_TRANSITIONS,
    Loan,
    LoanStatus,
    LoanStatusEvent,
)
from .books import Plan
from .errors import LedgerError

if TYPE_CHECKING:
    from core.models import User


def loan_transition(loan: Loan, to: str, *, actor: User, on: date, reason: str = "") -> None:
    if to not in LOAN_TRANSITIONS[loan.status]:
        raise LedgerError(
            _("Status pinjaman tidak dapat berubah dari %(from)s ke %(to)s.")
            % {"from": LoanStatus(loan.status).label, "to": LoanStatus(to).label}
        )
    LoanStatusEvent.objects.create(
        loan=loan, from_status=loan.status, to_status=to, on_date=on, actor=actor, reason=reason
    )
    loan.status = to
    loan.save(
        update_fields=[
            "status",
            "decided_on",
            "disbursed_on",
            "disbursed_via",
            "first_due_date",
            "closed_on",
            "written_off_on",
        ]
    )


def sync_paid_off(loan: Loan, plan: Plan, *, actor: User, on: date, last_paid_on: date | None) -> None:
    if plan.owed == 0 and loan.status in LIVE_STATUSES:
        last = last_paid_on or on
        loan.closed_on = last
        loan_transition(loan, LoanStatus.PAID_OFF, actor=actor, on=last, reason=_("Lunas"))
    elif plan.owed > 0 and loan.status == LoanStatus.PAID_OFF:
        loan.closed_on = None
        back = LoanStatus.RESCHEDULED if plan.book.schedule.version > 1 else LoanStatus.ACTIVE
        loan_transition(loan, back, actor=actor, on=on, reason=_("Pelunasan dibatalkan oleh pembatalan angsuran"))
