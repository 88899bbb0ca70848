"""Real threads with their own database connections posting on one loan."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection

from upk import selectors, services
from upk.ledger import locks
from upk.models import Allocation, Repayment

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _run_threads(n, target):
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []
    results: list = []

    def worker(i):
        try:
            barrier.wait()
            results.append(target(i))
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results, errors


def test_repayment_record_parallel_postings_lose_nothing(upk, manager, loan):
    amounts = [100_000, 150_000, 200_000, 250_000, 300_000, 350_000]

    def post(i):
        return services.repayments.repayment_record(
            loan=loan, amount=amounts[i], paid_on=date(2024, 6, 10 + i), actor=manager, idempotency_key=f"par-{i}"
        ).pk

    results, errors = _run_threads(len(amounts), post)
    assert errors == []
    assert Repayment.objects.filter(loan=loan).count() == len(amounts)
    current = Allocation.objects.filter(loan=loan, effective_to__isnull=True)
    assert sum(int(a.amount) for a in current) == sum(amounts)
    assert selectors.ledger_drift(upk=upk) == []
    receipts = list(Repayment.objects.values_list("receipt_number", flat=True))
    assert len(set(receipts)) == len(receipts)
    assert selectors.trial_balance(upk=upk, as_of=date(2024, 12, 31)).balanced


def test_repayment_record_parallel_double_submit_posts_once(upk, manager, loan):
    def post(i):
        return services.repayments.repayment_record(
            loan=loan, amount=200_000, paid_on=date(2024, 6, 10), actor=manager, idempotency_key="same-form"
        ).pk

    results, errors = _run_threads(4, post)
    assert errors == []
    assert len(set(results)) == 1
    assert Repayment.objects.count() == 1


def test_collection_sheet_and_single_posting_in_parallel(upk, manager, capital):
    from .factories import make_active_loan

    loans = [make_active_loan(upk, manager) for _ in range(3)]

    def post(i):
        if i == 0:
            return services.repayments.collection_sheet_post(
                upk=upk,
                date=date(2024, 6, 10),
                payments={x.pk: 491_600 for x in loans},
                actor=manager,
                idempotency_key="sheet",
            ).pk
        return services.repayments.repayment_record(
            loan=loans[i], amount=100_000, paid_on=date(2024, 6, 11), actor=manager, idempotency_key=f"single-{i}"
        ).pk

    results, errors = _run_threads(3, post)
    assert errors == []
    assert Repayment.objects.count() == 5
    assert selectors.ledger_drift(upk=upk) == []


def test_lock_loans_refuses_outside_a_transaction(loan):
    from django.db.transaction import TransactionManagementError

    with pytest.raises(TransactionManagementError):
        locks.lock_loans([loan.pk])
