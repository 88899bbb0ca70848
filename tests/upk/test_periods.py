"""Accounting periods: closing, refusing postings, staff reopen, monthly package."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from upk import selectors, services
from upk.ledger.errors import LedgerError
from upk.models import AccountingPeriod, MonthlyPackage, PeriodEvent


def test_period_close_refuses_postings_with_clear_message(upk, manager, loan):
    services.periods.period_close(upk=upk, year=2024, month=6, actor=manager)
    with pytest.raises(LedgerError) as exc:
        services.repayments.repayment_record(
            loan=loan, amount=100_000, paid_on=date(2024, 6, 28), actor=manager, idempotency_key="a"
        )
    assert str(exc.value) == "Bulan Juni 2024 sudah ditutup; pembayaran tidak dapat dicatat."
    with pytest.raises(LedgerError, match="Bulan Mei 2024 sudah ditutup"):
        services.repayments.repayment_record(
            loan=loan, amount=100_000, paid_on=date(2024, 5, 28), actor=manager, idempotency_key="b"
        )
    services.repayments.repayment_record(
        loan=loan, amount=100_000, paid_on=date(2024, 7, 1), actor=manager, idempotency_key="c"
    )


def test_period_close_closes_earlier_months_too(upk, manager, loan):
    services.periods.period_close(upk=upk, year=2024, month=6, actor=manager)
    closed = list(AccountingPeriod.objects.filter(upk=upk, is_closed=True).values_list("month", flat=True))
    assert closed == [1, 2, 3, 4, 5, 6]  # first posting (capital) was in January


def test_period_close_refuses_month_not_ended(upk, manager):
    with pytest.raises(LedgerError, match="belum berakhir"):
        services.periods.period_close(upk=upk, year=2024, month=6, actor=manager, today=date(2024, 6, 30))


def test_period_reopen_is_staff_only_with_reason(upk, manager, staff, loan):
    services.periods.period_close(upk=upk, year=2024, month=6, actor=manager)
    with pytest.raises(PermissionDenied):
        services.periods.period_reopen(upk=upk, year=2024, month=6, actor=manager, reason="Koreksi")
    with pytest.raises(LedgerError, match="Alasan"):
        services.periods.period_reopen(upk=upk, year=2024, month=6, actor=staff, reason="")
    with pytest.raises(LedgerError, match="bulan terakhir"):
        services.periods.period_reopen(upk=upk, year=2024, month=5, actor=staff, reason="Koreksi")
    services.periods.period_reopen(upk=upk, year=2024, month=6, actor=staff, reason="Salah input angsuran")
    event = PeriodEvent.objects.filter(action="reopen").get()
    assert (event.actor, event.reason) == (staff, "Salah input angsuran")
    services.repayments.repayment_record(
        loan=loan, amount=100_000, paid_on=date(2024, 6, 28), actor=manager, idempotency_key="a"
    )
    with pytest.raises(LedgerError, match="Mei 2024 sudah ditutup"):
        services.repayments.repayment_record(
            loan=loan, amount=100_000, paid_on=date(2024, 5, 28), actor=manager, idempotency_key="b"
        )


def test_repayment_reverse_in_closed_month_refused(upk, manager, loan):
    rep = services.repayments.repayment_record(
        loan=loan, amount=100_000, paid_on=date(2024, 6, 10), actor=manager, idempotency_key="a"
    )
    services.periods.period_close(upk=upk, year=2024, month=6, actor=manager)
    with pytest.raises(LedgerError, match="Juni 2024 sudah ditutup; pembatalan"):
        services.repayments.repayment_reverse(repayment=rep, reversed_on=date(2024, 6, 30), reason="x", actor=manager)
    # Reversing it in July is allowed and leaves June's report untouched.
    june = selectors.loan_position(loan, as_of=date(2024, 6, 30))
    services.repayments.repayment_reverse(repayment=rep, reversed_on=date(2024, 7, 1), reason="Salah", actor=manager)
    assert selectors.loan_position(loan, as_of=date(2024, 6, 30)) == june


def test_monthly_package_submit_checks_and_closes(upk, manager, loan):
    services.repayments.repayment_record(
        loan=loan, amount=491_600, paid_on=date(2024, 6, 10), actor=manager, idempotency_key="a"
    )
    package = selectors.monthly_package(upk=upk, year=2024, month=6)
    assert package.checks_ok, [c for c in package.checks if not c.ok]
    assert package.lpp.outstanding == package.kolektibilitas.outstanding == 5_000_000 - 416_600
    submitted = services.periods.monthly_package_submit(upk=upk, year=2024, month=6, actor=manager)
    assert submitted.checks_ok and submitted.figures["lpp_outstanding"] == 5_000_000 - 416_600
    services.repayments.repayment_record(
        loan=loan, amount=491_600, paid_on=date(2024, 7, 10), actor=manager, idempotency_key="b"
    )
    july = selectors.monthly_package(upk=upk, year=2024, month=7)
    opening = [c for c in july.checks if "Saldo awal" in c.name][0]
    assert opening.ok
    assert MonthlyPackage.objects.count() == 1
    row = july.lpp.rows[0]
    assert (row.pokok_before, row.pokok_month, row.pokok_to_date) == (416_600, 416_600, 833_200)


def test_period_close_writes_month_end_cache_and_reopen_drops_it(upk, manager, staff, loan):
    from upk.models import LoanMonthEnd

    from .test_indicators import assert_paths_agree

    services.repayments.repayment_record(
        loan=loan, amount=100_000, paid_on=date(2024, 6, 10), actor=manager, idempotency_key="a"
    )
    services.periods.period_close(upk=upk, year=2024, month=6, actor=manager)
    row = LoanMonthEnd.objects.get(loan=loan, as_of=date(2024, 6, 30))
    assert (row.outstanding, row.n_arrears) == (5_000_000 - 25_000, 1)
    assert_paths_agree(upk, date(2024, 6, 30))
    services.periods.period_reopen(upk=upk, year=2024, month=6, actor=staff, reason="Koreksi")
    assert not LoanMonthEnd.objects.filter(as_of=date(2024, 6, 30)).exists()
    services.repayments.repayment_record(
        loan=loan, amount=391_600, paid_on=date(2024, 6, 28), actor=manager, idempotency_key="b"
    )
    assert_paths_agree(upk, date(2024, 6, 30))
    services.periods.period_close(upk=upk, year=2024, month=6, actor=manager)
    assert LoanMonthEnd.objects.get(loan=loan, as_of=date(2024, 6, 30)).n_arrears == 0
    assert_paths_agree(upk, date(2024, 6, 30))
