"""upk_repayment_append (migration 0012): a repayment dated after every other
one of its loan, posted by one call to PostgreSQL, writes exactly what the
Python path writes for it; anything else is left to the Python path."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from upk import selectors, services
from upk.models import JournalEntry, LoanState, LoanStatus, Repayment
from upk.services import LedgerError

from .test_properties import _disburse, product_st
from .test_writes import _books

START = date(2024, 5, 10)


def _state(loan) -> tuple:
    s = LoanState.objects.get(loan=loan)
    return (
        s.valid_from, s.principal, s.pokok_all, s.schedule_from, s.due_dates, s.cum_due, s.cum_pokok,
        s.cum_nonzero, s.cum_paid, s.cum_arrears_pokok, s.cum_unsettled,
    )  # fmt: skip


def _outcome(loan) -> dict:
    loan.refresh_from_db()
    events = [(e.from_status, e.to_status, e.on_date, e.reason) for e in loan.status_events.order_by("pk")]
    return {**_books(loan), "state": _state(loan), "status": (loan.status, loan.closed_on), "events": events}


def _post(loan, manager, amount, on, key):
    try:
        return services.repayment_record(loan=loan, amount=amount, paid_on=on, actor=manager, idempotency_key=key).pk
    except LedgerError as exc:
        return exc.messages


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    product=product_st,
    amounts=st.lists(st.integers(1, 10), min_size=5, max_size=6),
    term=st.integers(1, 12),
    # (days after the previous payment, amount): on time, late (denda), early, more than owed.
    payments=st.lists(st.tuples(st.integers(0, 75), st.integers(1, 700_000)), min_size=1, max_size=10),
)
def test_repayment_append_writes_what_the_python_path_writes(upk, manager, product, amounts, term, payments):
    from .factories import LoanProductFactory

    with transaction.atomic():
        late_fee = Decimal(2_500) if product["late_fee_enabled"] else Decimal(0)
        prod = LoanProductFactory(upk=upk, late_fee_amount=late_fee, late_fee_grace_days=3, **product)
        principal = [a * 100_000 for a in amounts]
        in_db = _disburse(upk, manager, prod, principal, term, START)
        in_python = _disburse(upk, manager, prod, principal, term, START)
        clock = START
        for n, (days, amount) in enumerate(payments):
            clock += timedelta(days=days)
            posted = _post(in_db, manager, amount, clock, f"db-{n}")
            with mock.patch.object(services, "_repayment_append_in_database", return_value=None):
                refused = _post(in_python, manager, amount, clock, f"py-{n}")
            # The same refusal (an overpayment, a paid-off loan) or both posted.
            assert isinstance(posted, list) == isinstance(refused, list)
            if isinstance(posted, list):
                assert [m.replace(in_db.number, "#") for m in posted] == [
                    m.replace(in_python.number, "#") for m in refused
                ]
        assert _outcome(in_db) == _outcome(in_python)
        entries = JournalEntry.objects.filter(repayment__loan=in_db)
        assert {e.description for e in entries} <= {f"Angsuran {in_db.number} {in_db.ksm.name}"}
        assert selectors.ledger_drift(upk=upk) == []
        transaction.set_rollback(True)


def test_repayment_append_leaves_backdated_and_closed_month_payments_to_python(upk, manager, loan):
    services.repayment_record(loan=loan, amount=300_000, paid_on=date(2024, 7, 1), actor=manager, idempotency_key="a")
    with mock.patch.object(services, "_record_repayments_locked", wraps=services._record_repayments_locked) as python:
        services.repayment_record(
            loan=loan, amount=100_000, paid_on=date(2024, 7, 2), actor=manager, idempotency_key="b"
        )
        assert python.call_count == 0  # appended: the database posted it
        services.repayment_record(
            loan=loan, amount=100_000, paid_on=date(2024, 6, 20), actor=manager, idempotency_key="c"
        )
        assert python.call_count == 1  # backdated: replayed in Python
    services.period_close(upk=upk, year=2024, month=7, actor=manager)
    with pytest.raises(LedgerError, match="sudah ditutup"):
        services.repayment_record(
            loan=loan, amount=1_000, paid_on=date(2024, 7, 31), actor=manager, idempotency_key="d"
        )
    assert selectors.ledger_drift(upk=upk) == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_repayment_record_outside_a_transaction_is_one_statement(upk, manager, loan, django_assert_num_queries):
    """No caller's transaction: one statement (no BEGIN or COMMIT of ours);
    a repeated key returns the first repayment; the last payment pays the loan off."""
    assert connection.get_autocommit()
    first = services.repayment_record(
        loan=loan, amount=50_000, paid_on=date(2024, 6, 10), actor=manager, idempotency_key="one"
    )  # reads and caches the manager's scope and the UPK's accounts
    with django_assert_num_queries(1):
        second = services.repayment_record(
            loan=loan, amount=60_000, paid_on=date(2024, 6, 11), actor=manager, idempotency_key="two"
        )
    again = services.repayment_record(
        loan=loan, amount=60_000, paid_on=date(2024, 6, 11), actor=manager, idempotency_key="two"
    )
    assert again.pk == second.pk != first.pk
    assert Repayment.objects.filter(loan=loan).count() == 2
    with pytest.raises(LedgerError, match="sudah dipakai"):
        services.repayment_record(loan=loan, amount=1, paid_on=date(2024, 6, 11), actor=manager, idempotency_key="two")

    owed = sum(int(i.total - i.paid_pokok - i.paid_jasa - i.paid_bop) for i in loan.instalments.all())
    last = services.repayment_record(
        loan=loan, amount=owed, paid_on=date(2024, 6, 12), actor=manager, idempotency_key="all"
    )
    assert (last.loan.status, last.loan.closed_on) == (LoanStatus.PAID_OFF, date(2024, 6, 12))
    loan.refresh_from_db()
    assert (loan.status, loan.closed_on) == (LoanStatus.PAID_OFF, date(2024, 6, 12))
    event = loan.status_events.get(to_status=LoanStatus.PAID_OFF)
    assert (event.from_status, event.on_date, event.reason, event.actor) == ("active", last.paid_on, "Lunas", manager)
    assert last.receipt_number.startswith("KW-2024-")
    assert selectors.ledger_drift(upk=upk) == []
