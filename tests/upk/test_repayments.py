"""Repayments: allocation order, overpayment, idempotency, backdating, collection sheets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from upk import selectors, services
from upk.ledger.errors import LedgerError
from upk.models import Allocation, CollectionSheet, JournalEntry, Repayment

from .factories import LoanProductFactory, make_active_loan

# The standard loan: 5 × 1 000 000, 12 months, 1.5 % flat → 416 600 pokok +
# 75 000 jasa per month (rounded to Rp 100; last pokok 417 400), due the 10th.


def _pay(loan, manager, amount, on, key=None, **kw):
    return services.repayments.repayment_record(
        loan=loan, amount=amount, paid_on=on, actor=manager, idempotency_key=key or f"k-{on}-{amount}", **kw
    )


def _current(rep):
    return sorted(
        (a.instalment.number, a.component, int(a.amount))
        for a in Allocation.objects.filter(repayment=rep, effective_to__isnull=True)
    )


def test_repayment_record_allocates_jasa_then_pokok(loan, manager):
    rep = _pay(loan, manager, 491_600, date(2024, 6, 10))
    assert _current(rep) == [(1, "jasa", 75_000), (1, "pokok", 416_600)]
    assert rep.receipt_number.startswith("KW-2024-")


def test_repayment_record_short_payment_pays_jasa_first(loan, manager):
    rep = _pay(loan, manager, 100_000, date(2024, 6, 10))
    assert _current(rep) == [(1, "jasa", 75_000), (1, "pokok", 25_000)]
    pos = selectors.loan_position(loan, as_of=date(2024, 6, 30))
    assert pos.n_arrears == 1
    assert pos.arrears_amount == 491_600 - 100_000


def test_repayment_record_oldest_instalment_first(loan, manager):
    rep = _pay(loan, manager, 600_000, date(2024, 7, 12))  # two instalments due
    assert _current(rep) == [(1, "jasa", 75_000), (1, "pokok", 416_600), (2, "jasa", 75_000), (2, "pokok", 33_400)]


def test_repayment_record_overpayment_goes_to_next_pokok(loan, manager):
    rep = _pay(loan, manager, 1_000_000, date(2024, 6, 10))
    assert _current(rep) == [(1, "jasa", 75_000), (1, "pokok", 416_600), (2, "pokok", 416_600), (3, "pokok", 91_800)]


def test_repayment_record_refuses_more_than_owed(loan, manager):
    with pytest.raises(LedgerError, match="melebihi sisa kewajiban"):
        _pay(loan, manager, 5_900_001, date(2024, 6, 10))
    assert not Repayment.objects.exists()


def test_repayment_record_full_payoff_marks_loan_paid_off(loan, manager):
    _pay(loan, manager, 5_900_000, date(2024, 6, 10))
    loan.refresh_from_db()
    assert loan.status == "paid_off" and loan.closed_on == date(2024, 6, 10)
    with pytest.raises(LedgerError, match="tidak aktif"):
        _pay(loan, manager, 1, date(2024, 6, 11))


def test_repayment_record_journal_matches_allocation(loan, manager):
    rep = _pay(loan, manager, 100_000, date(2024, 6, 10))
    lines = {(line.account.role, int(line.debit), int(line.credit)) for line in rep.journal_entry.lines.all()}
    assert lines == {("kas", 100_000, 0), ("jasa_income", 0, 75_000), ("loans", 0, 25_000)}


def test_repayment_record_double_submit_posts_once(loan, manager):
    first = _pay(loan, manager, 200_000, date(2024, 6, 10), key="form-1")
    second = _pay(loan, manager, 200_000, date(2024, 6, 10), key="form-1")
    assert first.pk == second.pk
    assert Repayment.objects.count() == 1
    assert JournalEntry.objects.filter(kind="repayment").count() == 1


def test_repayment_record_same_key_other_payment_is_refused(loan, manager):
    _pay(loan, manager, 200_000, date(2024, 6, 10), key="form-1")
    with pytest.raises(LedgerError, match="sudah dipakai"):
        _pay(loan, manager, 300_000, date(2024, 6, 10), key="form-1")


def test_repayment_record_refuses_fraction_and_zero(loan, manager):
    with pytest.raises(LedgerError, match="Rupiah bulat"):
        _pay(loan, manager, Decimal("100.5"), date(2024, 6, 10))
    with pytest.raises(LedgerError, match="lebih dari nol"):
        _pay(loan, manager, 0, date(2024, 6, 10))


def test_repayment_record_member_split_must_sum(loan, manager):
    members = list(loan.loan_members.order_by("pk"))
    with pytest.raises(LedgerError, match="tidak sama"):
        _pay(loan, manager, 100_000, date(2024, 6, 10), member_split={members[0]: 50_000})
    rep = _pay(loan, manager, 100_000, date(2024, 6, 10), member_split={members[0]: 60_000, members[1]: 40_000})
    assert sorted(int(p.amount) for p in rep.member_parts.all()) == [40_000, 60_000]
    positions = selectors.member_positions(loan, as_of=date(2024, 6, 10))
    assert positions[0].paid == 60_000 and positions[2].paid == 0
    assert sum(p.due for p in positions) == 491_600


def test_repayment_record_backdated_replays_later_payments(loan, manager):
    later = _pay(loan, manager, 491_600, date(2024, 7, 10), key="later")
    # Paid on 10 July, it settled instalment 1 and nothing of 2.
    assert _current(later) == [(1, "jasa", 75_000), (1, "pokok", 416_600)]
    _pay(loan, manager, 491_600, date(2024, 6, 10), key="earlier")
    assert _current(later) == [(2, "jasa", 75_000), (2, "pokok", 416_600)]
    # The old split stays on record, closed at the backdated date.
    assert Allocation.objects.filter(repayment=later, effective_to=date(2024, 6, 10)).count() == 2
    assert selectors.ledger_drift(upk=loan.upk) == []


def test_repayment_record_late_fee_paid_first(upk, manager, capital):
    product = LoanProductFactory(upk=upk, late_fee_enabled=True, late_fee_amount=5_000, late_fee_grace_days=3)
    loan = make_active_loan(upk, manager, product=product)
    on_time = _pay(loan, manager, 100_000, date(2024, 6, 12), key="a")  # within grace
    assert "denda" not in {c for _, c, _ in _current(on_time)}
    late = _pay(loan, manager, 100_000, date(2024, 6, 20), key="b")
    assert _current(late)[0] == (1, "denda", 5_000)
    lines = {line.account.role: int(line.credit) for line in late.journal_entry.lines.all() if line.credit}
    assert lines["denda_income"] == 5_000


def test_collection_sheet_post_posts_all_in_one_go(upk, manager, capital):
    loans = [make_active_loan(upk, manager) for _ in range(3)]
    due = selectors.due_list(upk=upk, on=date(2024, 6, 10))
    assert [row.expected for row in due] == [491_600] * 3
    sheet = services.repayments.collection_sheet_post(
        upk=upk,
        date=date(2024, 6, 10),
        payments=[
            {"loan": loans[0], "amount": 491_600},
            {"loan": loans[1], "amount": 200_000},
            {"loan": loans[2], "amount": 0},
        ],
        actor=manager,
        idempotency_key="sheet-1",
    )
    assert sheet.repayments.count() == 2 and sheet.total == 691_600
    again = services.repayments.collection_sheet_post(
        upk=upk, date=date(2024, 6, 10), payments={loans[0].pk: 491_600}, actor=manager, idempotency_key="sheet-1"
    )
    assert again.pk == sheet.pk and Repayment.objects.count() == 2


def test_collection_sheet_post_one_bad_row_posts_nothing(upk, manager, capital):
    loans = [make_active_loan(upk, manager) for _ in range(2)]
    with pytest.raises(LedgerError) as exc:
        services.repayments.collection_sheet_post(
            upk=upk,
            date=date(2024, 6, 10),
            payments={loans[0].pk: 491_600, loans[1].pk: 99_000_000},
            actor=manager,
            idempotency_key="sheet-2",
        )
    assert loans[1].ksm.name in exc.value.messages[0]
    assert not Repayment.objects.exists() and not CollectionSheet.objects.exists()
    assert not JournalEntry.objects.filter(kind="repayment").exists()


def test_collection_sheet_post_query_count_does_not_grow_with_loans(upk, manager, capital):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    loans = [make_active_loan(upk, manager) for _ in range(6)]
    counts = []
    for n, day in ((2, 10), (6, 11)):
        with CaptureQueriesContext(connection) as ctx:
            services.repayments.collection_sheet_post(
                upk=upk,
                date=date(2024, 6, day),
                payments={loan.pk: 50_000 for loan in loans[:n]},
                actor=manager,
                idempotency_key=f"sheet-{n}",
            )
        counts.append(len(ctx))
    assert counts[0] == counts[1]
    assert Repayment.objects.count() == 8
    assert selectors.ledger_drift(upk=upk) == []


def test_loan_card_shows_current_allocations_and_history(loan, manager, django_assert_max_num_queries):
    _pay(loan, manager, 491_600, date(2024, 7, 10), key="later")
    _pay(loan, manager, 491_600, date(2024, 6, 10), key="earlier")
    with django_assert_max_num_queries(6):
        card = selectors.loan_card(loan)
        later = [r for r in card.repayments if r.paid_on == date(2024, 7, 10)][0]
        assert {a.instalment.number for a in later.current_allocations} == {2}
    assert len(card.schedules) == 1 and len(card.schedules[0].instalments.all()) == 12
    assert [e.to_status for e in card.events] == ["applied", "approved", "active"]
