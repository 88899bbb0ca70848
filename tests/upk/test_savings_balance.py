"""One savings balance: the service's check, the KSM list and the running
balance of a KSM's savings page all sum the same rule (`ledger.savings`)."""

from __future__ import annotations

from datetime import date

from upk import queries, selectors, services


def test_savings_balance_is_the_same_everywhere(upk, manager, loan):
    ksm = loan.ksm  # four deposits of Rp 10.000 (January–April 2024)
    services.savings.savings_deposit(
        ksm=ksm, amount=500_000, date=date(2024, 6, 1), actor=manager, idempotency_key="dep"
    )
    services.savings.savings_withdraw(
        ksm=ksm, amount=15_000, date=date(2024, 6, 2), actor=manager, idempotency_key="wd"
    )
    kept = services.savings.savings_cover_arrears(
        loan=loan, amount=100_000, date=date(2024, 6, 20), decision="Rapat 1", actor=manager, idempotency_key="c1"
    )
    undone = services.savings.savings_cover_arrears(
        loan=loan, amount=50_000, date=date(2024, 6, 21), decision="Rapat 2", actor=manager, idempotency_key="c2"
    )
    services.repayments.repayment_reverse(
        repayment=undone.repayment, reversed_on=date(2024, 6, 22), reason="salah", actor=manager
    )
    expected = 40_000 + 500_000 - 15_000 - 100_000
    assert kept.repayment is not None
    assert selectors.savings_balance(ksm) == expected
    listed = {k.pk: int(k.savings_total) for k in queries.ksm_list_queryset(manager, upk)}
    assert listed[ksm.pk] == expected
    rows = queries.savings_ledger(ksm)
    assert [balance for _tx, balance in rows] == [10_000, 20_000, 30_000, 40_000, 540_000, 525_000, 425_000, 425_000]
    assert selectors.savings_balance(ksm, date(2024, 6, 2)) == 525_000
