"""Periods and closing: closing and reopening a month (with the month-end
snapshot), submitting the monthly package, and the year-end closing.

Public API (keyword-only arguments):
    period_close(*, upk, year, month, actor, reason="", today=None) -> AccountingPeriod
    period_reopen(*, upk, year, month, actor, reason) -> AccountingPeriod
    monthly_package_submit(*, upk, year, month, actor, today=None) -> MonthlyPackage
    year_end_close(*, upk, year, actor) -> YearEndClosing
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import permissions
from ..ledger import engine
from ..ledger.actors import Actor
from ..ledger.chart import role_accounts
from ..ledger.errors import LedgerError, month_label
from ..ledger.journal import Leg, post_entry
from ..ledger.periods import check_open, last_closed, month_end
from ..ledger.rules import rules_in_force
from ..models import (
    Account,
    AccountingPeriod,
    AccountKind,
    AccountRole,
    EntryKind,
    JournalEntry,
    LoanMonthEnd,
    MonthlyPackage,
    PeriodEvent,
    UpkMonthEnd,
    YearEndClosing,
)

if TYPE_CHECKING:
    from bkm.models import Unit


@transaction.atomic
def period_close(
    *, upk: Unit, year: int, month: int, actor: Actor, reason: str = "", today: date | None = None
) -> AccountingPeriod:
    """Close a month (and every earlier month with postings still open)."""
    actor = permissions.check_post(actor, upk)
    today = today or timezone.localdate()
    if month_end(year, month) >= today:
        raise LedgerError(_("Bulan %(m)s belum berakhir.") % {"m": month_label(year, month)})
    closed = last_closed(upk.pk)
    if closed and (year, month) <= closed:
        raise LedgerError(_("Bulan %(m)s sudah ditutup.") % {"m": month_label(year, month)})
    first = JournalEntry.objects.filter(upk=upk).order_by("date").values_list("date", flat=True).first()
    start = (closed[0], closed[1] + 1) if closed else ((first.year, first.month) if first else (year, month))
    y, m = start
    if m == 13:
        y, m = y + 1, 1
    target = None
    while (y, m) <= (year, month):
        period, _created = AccountingPeriod.objects.get_or_create(upk=upk, year=y, month=m)
        period.is_closed = True
        period.save(update_fields=["is_closed"])
        PeriodEvent.objects.create(period=period, action=PeriodEvent.CLOSE, actor=actor, reason=reason)
        _snapshot_month_end(upk, y, m)
        target = period
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    assert target is not None
    return target


def _snapshot_month_end(upk: Unit, year: int, month: int) -> None:
    """Store every loan's position at the end of a month being closed."""
    from .. import selectors

    end = month_end(year, month)
    LoanMonthEnd.objects.filter(upk=upk, as_of=end).delete()
    UpkMonthEnd.objects.filter(upk=upk, as_of=end).delete()
    UpkMonthEnd.objects.create(upk=upk, as_of=end, totals=dict(selectors._role_totals([upk.pk], end)[upk.pk]))
    LoanMonthEnd.objects.bulk_create(
        [
            LoanMonthEnd(
                upk=upk,
                loan_id=p.loan_id,
                ksm_id=p.ksm_id,
                as_of=end,
                outstanding=Decimal(p.outstanding),
                n_arrears=p.n_arrears,
                due_total=Decimal(p.due_total),
                paid_on_due=Decimal(p.paid_on_due),
                arrears_pokok=Decimal(p.arrears_pokok),
            )
            for p in selectors.loan_positions(upk_ids=[upk.pk], as_of=end).values()
        ]
    )


@transaction.atomic
def period_reopen(*, upk: Unit, year: int, month: int, actor: Actor, reason: str) -> AccountingPeriod:
    """Staff reopen the latest closed month, with a recorded reason."""
    actor = permissions.check_approve(actor)
    if not (reason or "").strip():
        raise LedgerError(_("Alasan membuka kembali bulan wajib diisi."))
    closed = AccountingPeriod.objects.filter(upk=upk, is_closed=True).order_by("-year", "-month").first()
    if closed is None or (closed.year, closed.month) != (year, month):
        raise LedgerError(_("Hanya bulan terakhir yang ditutup yang dapat dibuka kembali."))
    if YearEndClosing.objects.filter(upk=upk, year__gte=year).exists():
        raise LedgerError(_("Tahun %(y)s sudah tutup buku.") % {"y": year})
    closed.is_closed = False
    closed.save(update_fields=["is_closed"])
    # A derived cache, not a posting: the reopened month may change now.
    LoanMonthEnd.objects.filter(upk=upk, as_of=month_end(year, month)).delete()
    UpkMonthEnd.objects.filter(upk=upk, as_of=month_end(year, month)).delete()
    PeriodEvent.objects.create(period=closed, action=PeriodEvent.REOPEN, actor=actor, reason=reason.strip())
    return closed


@transaction.atomic
def monthly_package_submit(
    *, upk: Unit, year: int, month: int, actor: Actor, today: date | None = None
) -> MonthlyPackage:
    """Submit the monthly package to Bappedalitbang; this closes the month.
    Its figures are stored as the snapshot shown and printed from then on.
    A month submitted before can be submitted again only after a staff
    reopening (closing refuses a closed month); the new package supersedes
    the latest earlier one, which stays as it was."""
    from .. import selectors

    actor = permissions.check_post(actor, upk)
    package = selectors.monthly_package(upk=upk, year=year, month=month)
    period_close(upk=upk, year=year, month=month, actor=actor, reason=_("Laporan bulanan dikirim"), today=today)
    earlier = (
        # No lock needed: the one-to-one `supersedes` is unique, so two
        # racing resubmissions cannot both replace the same package.
        MonthlyPackage.objects.filter(upk=upk, year=year, month=month, superseded_by__isnull=True)
        .order_by("-submitted_at", "-pk")
        .first()
    )
    return MonthlyPackage.objects.create(
        upk=upk,
        year=year,
        month=month,
        submitted_by=actor,
        checks_ok=package.checks_ok,
        figures=package.as_json(),
        supersedes=earlier,
    )


@transaction.atomic
def year_end_close(*, upk: Unit, year: int, actor: Actor) -> YearEndClosing:
    """Tutup buku: close the year's income and expense accounts and allocate
    the surplus by the UPK's percentages (capital → Laba Ditahan, UPS, UPL,
    other). A deficit goes wholly to Laba Ditahan. Dated 31 December; the
    year accepts no postings afterwards."""
    from .. import selectors

    actor = permissions.check_post(actor, upk)
    if YearEndClosing.objects.filter(upk=upk, year=year).exists():
        raise LedgerError(_("Tahun %(y)s sudah tutup buku.") % {"y": year})
    if YearEndClosing.objects.filter(upk=upk, year__gt=year).exists():
        raise LedgerError(_("Tahun sesudahnya sudah tutup buku."))
    on = date(year, 12, 31)
    check_open(upk.pk, on, _("tutup buku"))
    rules = rules_in_force([upk.pk], on)[upk.pk]  # as of the closing date, like every as-of figure
    pcts = [rules.alloc_capital_pct, rules.alloc_ups_pct, rules.alloc_upl_pct, rules.alloc_other_pct]
    if sum(pcts) != 100:
        raise LedgerError(_("Persentase alokasi surplus harus berjumlah 100%."))
    balances = selectors.account_balances(upk=upk, as_of=on)
    accounts = {a.pk: a for a in Account.objects.filter(upk=upk)}
    legs: list[Leg] = []
    surplus = 0
    for account_id, signed in balances.items():  # signed = debit − credit
        account = accounts[account_id]
        if account.kind in (AccountKind.INCOME, AccountKind.EXPENSE) and signed:
            legs.append(Leg(account, -signed, memo=_("Tutup buku")))
            surplus -= signed
    role = role_accounts(upk.pk)
    allocations: dict[str, int] = {}
    if surplus > 0:
        scaled = [int(p * 10000) for p in pcts]
        parts = engine.largest_remainder(surplus, scaled)
        for r, part in zip(
            [AccountRole.RETAINED, AccountRole.UPS_FUND, AccountRole.UPL_FUND, AccountRole.OTHER_ALLOC],
            parts,
            strict=True,
        ):
            allocations[r] = part
            legs.append(Leg(role[r], -part, memo=_("Alokasi surplus")))
    elif surplus < 0:
        allocations[AccountRole.RETAINED] = surplus
        legs.append(Leg(role[AccountRole.RETAINED], -surplus, memo=_("Defisit tahun berjalan")))
    if not [leg for leg in legs if leg.amount]:
        raise LedgerError(_("Tidak ada pendapatan atau biaya tahun %(y)s untuk ditutup.") % {"y": year})
    entry = post_entry(
        upk_id=upk.pk,
        on=on,
        kind=EntryKind.YEAR_END,
        description=_("Tutup buku tahun %(y)s") % {"y": year},
        legs=legs,
        actor=actor,
    )
    return YearEndClosing.objects.create(
        upk=upk, year=year, surplus=Decimal(surplus), allocations=allocations, journal_entry=entry, created_by=actor
    )
