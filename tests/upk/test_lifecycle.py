"""Savings, reschedule, write-off and recovery."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from upk import selectors, services
from upk.ledger.errors import LedgerError
from upk.models import Schedule

from .test_indicators import assert_paths_agree


def _pay(loan, manager, amount, on, key):
    return services.repayments.repayment_record(
        loan=loan, amount=amount, paid_on=on, actor=manager, idempotency_key=key
    )


def test_savings_deposit_and_withdraw_keep_running_balance(upk, manager, loan):
    ksm = loan.ksm
    start = selectors.savings_balance(ksm)
    services.savings.savings_deposit(ksm=ksm, amount=50_000, date=date(2024, 6, 1), actor=manager, idempotency_key="d1")
    services.savings.savings_deposit(ksm=ksm, amount=50_000, date=date(2024, 6, 1), actor=manager, idempotency_key="d1")
    assert selectors.savings_balance(ksm) == start + 50_000
    services.savings.savings_withdraw(
        ksm=ksm, amount=20_000, date=date(2024, 6, 2), actor=manager, idempotency_key="w1"
    )
    assert selectors.savings_balance(ksm) == start + 30_000
    with pytest.raises(LedgerError, match="tidak cukup"):
        services.savings.savings_withdraw(
            ksm=ksm, amount=10**9, date=date(2024, 6, 3), actor=manager, idempotency_key="w2"
        )
    bs = selectors.neraca(upk=upk, as_of=date(2024, 6, 30))
    assert bs.balance_of("savings") == start + 30_000


def test_savings_cover_arrears_pays_loan_from_savings(upk, manager, loan):
    ksm = loan.ksm
    services.savings.savings_deposit(
        ksm=ksm, amount=500_000, date=date(2024, 6, 1), actor=manager, idempotency_key="d1"
    )
    balance = selectors.savings_balance(ksm)
    with pytest.raises(LedgerError, match="melebihi tunggakan"):
        services.savings.savings_cover_arrears(
            loan=loan, amount=100_000, date=date(2024, 6, 5), decision="Rapat", actor=manager, idempotency_key="c0"
        )
    tx = services.savings.savings_cover_arrears(
        loan=loan,
        amount=100_000,
        date=date(2024, 7, 20),
        decision="Rapat KSM 20/7",
        actor=manager,
        idempotency_key="c1",
    )
    assert selectors.savings_balance(ksm) == balance - 100_000
    assert tx.repayment.channel == "savings"
    lines = {(line.account.role, int(line.debit), int(line.credit)) for line in tx.journal_entry.lines.all()}
    assert ("savings", 100_000, 0) in lines
    services.repayments.repayment_reverse(
        repayment=tx.repayment, reversed_on=date(2024, 7, 21), reason="Batal", actor=manager
    )
    assert selectors.savings_balance(ksm) == balance
    assert selectors.neraca(upk=upk, as_of=date(2024, 7, 31)).balance_of("savings") == balance


def test_reschedule_keeps_old_schedule_and_needs_staff(upk, manager, staff, loan):
    _pay(loan, manager, 491_600, date(2024, 6, 10), "a")
    proposal = services.loans.loan_reschedule(
        loan=loan, effective_on=date(2024, 9, 15), term_months=10, reason="Usaha terdampak banjir", actor=manager
    )
    with pytest.raises(PermissionDenied):
        services.loans.reschedule_approve(reschedule=proposal, actor=manager)
    services.loans.reschedule_approve(reschedule=proposal, actor=staff)
    loan.refresh_from_db()
    assert loan.status == "rescheduled"
    old, new = Schedule.objects.filter(loan=loan).order_by("version")
    assert old.effective_to == date(2024, 9, 15) and new.effective_to is None
    assert new.principal == 5_000_000 - 416_600
    first = new.instalments.order_by("number").first()
    # Two overdue instalments' jasa (Jul, Aug, Sep) are carried to the first new instalment.
    assert first.jasa == 3 * 75_000 + (5_000_000 - 416_600) * 15 // 1000 // 100 * 100
    pos = selectors.loan_position(loan, as_of=date(2024, 9, 30))
    assert pos.n_arrears == 0 and pos.outstanding == 5_000_000 - 416_600
    # As of before the reschedule the old schedule's arrears still show.
    assert selectors.loan_position(loan, as_of=date(2024, 9, 14)).n_arrears == 3
    with pytest.raises(LedgerError, match="Tanggal bayar sebelum"):
        _pay(loan, manager, 1000, date(2024, 9, 1), "b")
    _pay(loan, manager, int(first.total), date(2024, 10, 15), "c")
    assert selectors.ledger_drift(upk=upk) == []
    for as_of in (date(2024, 9, 14), date(2024, 9, 15), date(2024, 10, 20), date(2025, 3, 31)):
        assert_paths_agree(upk, as_of)


def test_writeoff_and_recovery(upk, manager, staff, loan):
    _pay(loan, manager, 491_600, date(2024, 6, 10), "a")
    proposal = services.loans.writeoff_propose(
        loan=loan, proposed_on=date(2025, 4, 30), reason="Macet 10 bulan", actor=manager
    )
    done = services.loans.writeoff_approve(write_off=proposal, actor=staff)
    assert done.amount == 5_000_000 - 416_600
    loan.refresh_from_db()
    assert loan.status == "written_off"
    assert selectors.neraca(upk=upk, as_of=date(2025, 4, 30)).balance_of("loans") == 0
    assert selectors.loan_positions(upk_ids=[upk.pk], as_of=date(2025, 4, 30)) == {}
    assert loan.pk in selectors.loan_positions(upk_ids=[upk.pk], as_of=date(2025, 4, 29))
    with pytest.raises(LedgerError, match="pemulihan"):
        _pay(loan, manager, 1000, date(2025, 5, 2), "b")
    services.loans.recovery_record(
        loan=loan, amount=250_000, received_on=date(2025, 5, 2), actor=manager, idempotency_key="r1"
    )
    services.loans.recovery_record(
        loan=loan, amount=250_000, received_on=date(2025, 5, 2), actor=manager, idempotency_key="r1"
    )
    pl = selectors.laba_rugi(upk=upk, date_from=date(2025, 1, 1), date_to=date(2025, 5, 31))
    assert pl.income.total == 250_000
    with pytest.raises(LedgerError, match="melebihi sisa pokok"):
        services.loans.recovery_record(
            loan=loan, amount=10**8, received_on=date(2025, 5, 3), actor=manager, idempotency_key="r2"
        )
    assert selectors.ledger_drift(upk=upk) == []


def test_writeoff_reject_needs_reason(upk, manager, staff, loan):
    proposal = services.loans.writeoff_propose(loan=loan, proposed_on=date(2025, 4, 30), reason="Macet", actor=manager)
    with pytest.raises(LedgerError, match="Alasan"):
        services.loans.writeoff_decide(write_off=proposal, approve=False, actor=staff)
    services.loans.writeoff_decide(write_off=proposal, approve=False, actor=staff, reason="Masih bisa ditagih")
    loan.refresh_from_db()
    assert loan.status == "active"
