"""Portfolios for the screen tests, built through the services (never raw rows)."""

from __future__ import annotations

from datetime import date

from upk import services
from upk.ledger import engine

from .factories import LoanProductFactory, make_active_loan, make_ksm


def fund(upk, actor, *, amount: int = 500_000_000, on: date = date(2024, 1, 2)) -> None:
    account = upk.accounts.get(role="capital_kotaku")
    services.cash.capital_receive(
        upk=upk,
        account=account,
        amount=amount,
        date=on,
        description="Modal BLM KOTAKU",
        actor=actor,
        idempotency_key=f"fund-{upk.pk}-{on}",
        channel="kas",
    )


def make_portfolio(upk, actor, n: int, *, today: date, months_ago: int = 4, paid_up_to: int | None = 1):
    """`n` loans disbursed `months_ago` months before `today` (so several
    instalments are due), each paid for its first `paid_up_to` instalments —
    the rest are in arrears. Returns the loans."""
    product = LoanProductFactory(upk=upk)
    disbursed = engine.add_months(today, -months_ago)
    applied = disbursed
    savings_from = engine.add_months(applied, -4).replace(day=5)
    loans = []
    for i in range(n):
        ksm = make_ksm(upk, members=5, actor=actor, savings_from=savings_from)
        loan = make_active_loan(
            upk,
            actor,
            amounts=(1_000_000,) * 5,
            term=12,
            product=product,
            applied_on=applied,
            disbursed_on=disbursed,
            ksm=ksm,
        )
        if paid_up_to:
            inst = loan.instalments.order_by("number")[:paid_up_to]
            total = sum(int(x.total) for x in inst)
            services.repayments.repayment_record(
                loan=loan,
                amount=total,
                paid_on=inst[len(inst) - 1].due_date,
                actor=actor,
                idempotency_key=f"pf-{loan.pk}-{i}",
            )
        loans.append(loan)
    return loans
