"""Reversals: opposite entries linked to the original, allocations recomputed."""

from __future__ import annotations

from datetime import date

import pytest

from upk import selectors, services
from upk.ledger.errors import LedgerError
from upk.models import Allocation, JournalLine


def _pay(loan, manager, amount, on, key):
    return services.repayments.repayment_record(
        loan=loan, amount=amount, paid_on=on, actor=manager, idempotency_key=key
    )


def _current(rep):
    return sorted(
        (a.instalment.number, a.component, int(a.amount))
        for a in Allocation.objects.filter(repayment=rep, effective_to__isnull=True)
    )


def test_repayment_reverse_requires_reason(loan, manager):
    rep = _pay(loan, manager, 100_000, date(2024, 6, 10), "a")
    with pytest.raises(LedgerError, match="Alasan pembatalan"):
        services.repayments.repayment_reverse(repayment=rep, reversed_on=date(2024, 6, 11), reason=" ", actor=manager)


def test_repayment_reverse_posts_opposite_entry(loan, manager, upk):
    rep = _pay(loan, manager, 100_000, date(2024, 6, 10), "a")
    reversal = services.repayments.repayment_reverse(
        repayment=rep, reversed_on=date(2024, 6, 11), reason="Salah ketik", actor=manager
    )
    entry = reversal.journal_entry
    assert entry.reverses_id == rep.journal_entry_id
    lines = {(line.account.role, int(line.debit), int(line.credit)) for line in entry.lines.all()}
    assert lines == {("kas", 0, 100_000), ("jasa_income", 75_000, 0), ("loans", 25_000, 0)}
    rep.refresh_from_db()
    assert rep.is_reversed
    # Nothing was deleted: the original entry and its allocations remain.
    assert Allocation.objects.filter(repayment=rep).count() == 2
    assert _current(rep) == []
    with pytest.raises(LedgerError, match="sudah dibatalkan"):
        services.repayments.repayment_reverse(
            repayment=rep, reversed_on=date(2024, 6, 12), reason="lagi", actor=manager
        )


def test_repayment_reverse_recomputes_later_allocations(loan, manager, upk):
    first = _pay(loan, manager, 491_600, date(2024, 6, 10), "a")
    second = _pay(loan, manager, 491_600, date(2024, 7, 10), "b")
    assert _current(second)[0][0] == 2
    services.repayments.repayment_reverse(
        repayment=first, reversed_on=date(2024, 7, 15), reason="Uang palsu", actor=manager
    )
    assert _current(second) == [(1, "jasa", 75_000), (1, "pokok", 416_600)]
    # As of 12 July the report still shows both payments as they stood then.
    before = selectors.loan_position(loan, as_of=date(2024, 7, 12))
    assert before.n_arrears == 0 and before.paid_pokok == 2 * 416_600
    after = selectors.loan_position(loan, as_of=date(2024, 7, 15))
    assert after.n_arrears == 1 and after.paid_pokok == 416_600
    assert selectors.ledger_drift(upk=upk) == []


def test_repayment_reverse_reopens_paid_off_loan(loan, manager):
    rep = _pay(loan, manager, 5_900_000, date(2024, 6, 10), "a")
    loan.refresh_from_db()
    assert loan.status == "paid_off"
    services.repayments.repayment_reverse(repayment=rep, reversed_on=date(2024, 6, 10), reason="Batal", actor=manager)
    loan.refresh_from_db()
    assert loan.status == "active" and loan.closed_on is None


def test_repayment_reverse_same_day_leaves_no_trace_in_reports(loan, manager, upk):
    rep = _pay(loan, manager, 100_000, date(2024, 6, 10), "a")
    services.repayments.repayment_reverse(repayment=rep, reversed_on=date(2024, 6, 10), reason="Batal", actor=manager)
    pos = selectors.loan_position(loan, as_of=date(2024, 6, 10))
    assert pos.paid_pokok == 0 and pos.paid_jasa == 0
    kas = JournalLine.objects.filter(account__role="kas", loan=loan, date=date(2024, 6, 10))
    assert sum(line.debit - line.credit for line in kas) == 0
