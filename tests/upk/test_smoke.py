from datetime import date

from upk import selectors


def test_loan_disburse_creates_schedule_and_entry(loan, upk):
    assert loan.status == "active"
    assert loan.schedules.count() == 1
    tb = selectors.trial_balance(upk=upk, as_of=date(2024, 12, 31))
    assert tb.balanced
