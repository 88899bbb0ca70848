"""The per-loan current state (upk/states.py, PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from upk import selectors, services
from upk.ledger import states

from .factories import LoanProductFactory, make_active_loan, make_ksm
from .test_indicators import INSTALMENT, POKOK, assert_paths_agree, assert_states_match_rebuild


def test_state_written_at_disbursement(upk, manager):
    loan = make_active_loan(upk, manager)
    (row,) = states.stored(loan_ids=[loan.pk])
    assert row.valid_from == row.schedule_from == date(2024, 5, 10)
    assert row.pokok_all == 0 and row.principal == 5_000_000
    assert len(row.due_dates) == 12 and row.cum_due[0] == INSTALMENT and row.cum_pokok[-1] == 5_000_000
    assert row.cum_paid == [0] * 12
    assert row.cum_unsettled == list(range(1, 13))


def test_state_follows_payments_and_backdated_payments(upk, manager):
    loan = make_active_loan(upk, manager)
    for n, on in enumerate((date(2024, 6, 10), date(2024, 7, 20))):
        services.repayments.repayment_record(
            loan=loan, amount=INSTALMENT, paid_on=on, actor=manager, idempotency_key=f"s{n}"
        )
    (row,) = states.stored(loan_ids=[loan.pk])
    assert row.valid_from == date(2024, 7, 20)
    assert row.pokok_all == 2 * POKOK
    assert row.cum_unsettled[:3] == [0, 0, 1]
    # A backdated payment re-allocates the later one: valid_from does not move back.
    services.repayments.repayment_record(
        loan=loan, amount=1_000, paid_on=date(2024, 6, 1), actor=manager, idempotency_key="b"
    )
    (row,) = states.stored(loan_ids=[loan.pk])
    assert row.valid_from == date(2024, 7, 20)
    assert_states_match_rebuild([loan.pk])


def test_state_write_off_date_is_copied(upk, manager, staff):
    loan = make_active_loan(upk, manager)
    proposal = services.loans.writeoff_propose(loan=loan, proposed_on=date(2025, 4, 30), reason="Macet", actor=manager)
    services.loans.writeoff_approve(write_off=proposal, actor=staff)
    (row,) = states.stored(loan_ids=[loan.pk])
    assert row.written_off_on == date(2025, 4, 30)
    assert selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=date(2025, 5, 1))[upk.pk][1].outstanding == 0


def test_ledger_drift_reports_a_wrong_state_and_rebuild_repairs_it(upk, manager):
    loan = make_active_loan(upk, manager)
    services.repayments.repayment_record(
        loan=loan, amount=INSTALMENT, paid_on=date(2024, 6, 10), actor=manager, idempotency_key="p"
    )
    assert selectors.ledger_drift(upk=upk) == []
    ind = selectors.indicators(upk=upk, as_of=date(2024, 9, 30))
    assert ind.figures.outstanding == 5_000_000 - POKOK
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE upk_loanstate SET pokok_all = 0, valid_from = '2030-01-01' WHERE loan_id = %s", [loan.pk]
        )
    assert selectors.ledger_drift(upk=upk) == [f"loan state {loan.pk} differs from its allocations"]
    assert states.rebuild(loan_ids=[loan.pk]) == 1
    assert selectors.ledger_drift(upk=upk) == []
    (row,) = states.stored(loan_ids=[loan.pk])
    assert row.valid_from == date(2024, 6, 10)  # a rebuild sets valid_from (it may move back)
    assert selectors.indicators(upk=upk, as_of=date(2024, 9, 30)).figures == ind.figures


def test_db_refuses_to_delete_a_state(upk, manager):
    loan = make_active_loan(upk, manager)
    with (
        pytest.raises((IntegrityError, InternalError), match="tidak boleh dihapus"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM upk_loanstate WHERE loan_id = %s", [loan.pk])


def test_db_refuses_a_schedule_without_state(upk, manager):
    ksm = make_ksm(upk, members=5, actor=manager)
    app = services.loans.loan_apply(
        ksm=ksm,
        product=LoanProductFactory(upk=upk),
        applied_on=date(2024, 5, 2),
        member_amounts=dict.fromkeys(ksm.members.all(), 1_000_000),
        term_months=12,
        actor=manager,
    )
    with (
        pytest.raises((IntegrityError, InternalError), match="tanpa status pinjaman"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # The check is deferred to commit; made immediate to see it inside the test's transaction.
        cursor.execute("SET CONSTRAINTS upk_schedule_has_state IMMEDIATE")
        cursor.execute(
            "INSERT INTO upk_schedule (loan_id, version, effective_from, principal, reason, created_at) "
            "VALUES (%s, 1, '2024-05-10', 5000000, '', now())",
            [app.loan.pk],
        )


def test_ksm_with_two_loans_is_counted_once(upk, manager):
    first = make_active_loan(upk, manager)
    (row,) = states.stored(loan_ids=[first.pk])
    assert not row.shared_ksm
    payoff = services.repayments.repayment_record(
        loan=first, amount=5_900_000, paid_on=date(2024, 6, 10), actor=manager, idempotency_key="lunas"
    )
    second = make_active_loan(upk, manager, ksm=first.ksm, applied_on=date(2024, 6, 20), disbursed_on=date(2024, 7, 1))
    assert [r.shared_ksm for r in states.stored(loan_ids=[first.pk, second.pk])] == [True, True]
    make_active_loan(upk, manager)
    # Reversing the pay-off puts both loans of the KSM on the books at once.
    services.repayments.repayment_reverse(
        repayment=payoff, reversed_on=date(2024, 7, 5), reason="Cek kosong", actor=manager
    )
    assert_states_match_rebuild([first.pk, second.pk])
    for as_of in (date(2024, 6, 30), date(2024, 7, 4), date(2024, 9, 30)):
        assert_paths_agree(upk, as_of)
    figures = selectors.indicators(upk=upk, as_of=date(2024, 9, 30)).figures
    assert figures.outstanding == 3 * 5_000_000
    assert figures.active_ksm == 2
