"""Application rules, decision and disbursement, transition table."""

from __future__ import annotations

from datetime import date

import pytest

from upk import services
from upk.ledger.errors import LedgerError
from upk.models import JournalLine, LoanStatus, LoanStatusEvent

from .factories import LoanProductFactory, make_active_loan, make_ksm


def _apply(upk, manager, ksm, amounts, **kw):
    members = list(ksm.members.order_by("pk"))
    return services.loans.loan_apply(
        ksm=ksm,
        product=kw.pop("product", None) or LoanProductFactory(upk=upk),
        applied_on=kw.pop("applied_on", date(2024, 5, 2)),
        member_amounts=dict(zip(members, amounts, strict=False)),
        term_months=kw.pop("term_months", 12),
        actor=manager,
        **kw,
    )


def test_loan_apply_refuses_fewer_than_min_members(upk, manager):
    ksm = make_ksm(upk, members=4, actor=manager)
    with pytest.raises(LedgerError, match="sedikitnya 5 orang"):
        _apply(upk, manager, ksm, [500_000] * 4)


def test_loan_apply_warns_when_few_women(upk, manager):
    ksm = make_ksm(upk, members=5, women=1, actor=manager)
    app = _apply(upk, manager, ksm, [500_000] * 5)
    assert app.warnings and "perempuan" in app.warnings[0]
    assert app.loan.warnings == app.warnings


def test_loan_apply_requires_three_months_savings(upk, manager):
    ksm = make_ksm(upk, members=5, savings_from=None, actor=manager)
    services.savings.savings_deposit(ksm=ksm, amount=10_000, date=date(2024, 4, 5), actor=manager, idempotency_key="s1")
    with pytest.raises(LedgerError, match="menabung sedikitnya 3 bulan"):
        _apply(upk, manager, ksm, [500_000] * 5)


def test_loan_apply_refuses_amount_over_first_loan_ceiling(upk, manager):
    ksm = make_ksm(upk, actor=manager)
    with pytest.raises(LedgerError, match="melebihi plafon Rp 1.000.000"):
        _apply(upk, manager, ksm, [1_500_000, 500_000, 500_000, 500_000, 500_000])


def test_loan_apply_lists_every_error_and_changes_nothing(upk, manager):
    ksm = make_ksm(upk, members=4, savings_from=None, actor=manager)
    with pytest.raises(LedgerError) as exc:
        _apply(upk, manager, ksm, [2_000_000] * 4, term_months=30)
    assert len(exc.value.messages) >= 4
    assert not ksm.loans.exists()


def test_loan_apply_historical_skips_application_rules_not_data_checks(upk, manager):
    """The import's path: members, savings and ceilings as decided back then."""
    ksm = make_ksm(upk, members=4, savings_from=None, actor=manager)
    with pytest.raises(LedgerError) as exc:
        _apply(upk, manager, ksm, [2_000_000, -1, 0, 0], historical=True, term_months=30)
    assert len(exc.value.messages) == 2  # term outside the product, negative amount
    assert not ksm.loans.exists()
    app = _apply(upk, manager, ksm, [2_000_000] * 4, historical=True)
    assert app.loan.principal == 8_000_000
    with pytest.raises(LedgerError, match="masih memiliki pinjaman"):
        _apply(upk, manager, ksm, [100_000] * 4, historical=True)


def test_loan_apply_historical_takes_retired_products_and_their_terms(upk, manager):
    retired = LoanProductFactory(upk=upk, min_term=3, max_term=12, is_active=False)
    ksm = make_ksm(upk, actor=manager)
    with pytest.raises(LedgerError, match="Produk pinjaman tidak tersedia"):
        _apply(upk, manager, ksm, [500_000] * 5, product=retired, term_months=18)
    app = _apply(upk, manager, ksm, [500_000] * 5, product=retired, term_months=18, historical=True)
    assert app.loan.term_months == 18
    current = LoanProductFactory(upk=upk, min_term=3, max_term=12)
    with pytest.raises(LedgerError, match="Jangka waktu harus 3–12 bulan"):
        _apply(upk, manager, make_ksm(upk, actor=manager), [500_000] * 5, product=current, term_months=18)


def test_loan_decide_reject_needs_reason(upk, manager):
    app = _apply(upk, manager, make_ksm(upk, actor=manager), [500_000] * 5)
    with pytest.raises(LedgerError, match="Alasan penolakan"):
        services.loans.loan_decide(loan=app.loan, approve=False, decided_on=date(2024, 5, 3), actor=manager)
    loan = services.loans.loan_decide(
        loan=app.loan, approve=False, decided_on=date(2024, 5, 3), actor=manager, reason="Usaha belum berjalan"
    )
    assert loan.status == LoanStatus.REJECTED
    event = LoanStatusEvent.objects.filter(loan=loan).last()
    assert (event.from_status, event.to_status, event.reason, event.actor) == (
        "applied",
        "rejected",
        "Usaha belum berjalan",
        manager,
    )


def test_loan_disburse_refuses_unapproved_loan(upk, manager):
    app = _apply(upk, manager, make_ksm(upk, actor=manager), [500_000] * 5)
    with pytest.raises(LedgerError, match="sudah disetujui"):
        services.loans.loan_disburse(loan=app.loan, disbursed_on=date(2024, 5, 10), actor=manager)


def test_loan_disburse_posts_loan_against_cash(upk, manager, capital):
    loan = make_active_loan(upk, manager, via="bank")
    lines = JournalLine.objects.filter(entry__kind="disbursement", loan=loan)
    assert {(line.account.role, line.debit, line.credit) for line in lines} == {
        ("loans", 5_000_000, 0),
        ("bank", 0, 5_000_000),
    }


def test_loan_apply_refuses_second_running_loan(upk, manager, capital):
    loan = make_active_loan(upk, manager)
    with pytest.raises(LedgerError, match="masih memiliki pinjaman"):
        _apply(upk, manager, loan.ksm, [500_000] * 5)


def test_loan_transition_table_refuses_illegal_change(upk, manager, capital):
    loan = make_active_loan(upk, manager)
    with pytest.raises(LedgerError, match="tidak dapat berubah"):
        services.loans.loan_decide(loan=loan, approve=True, decided_on=date(2024, 6, 1), actor=manager)
