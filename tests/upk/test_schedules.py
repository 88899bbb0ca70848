"""Schedules: exact sums, rounding, member splits (engine and loan_disburse)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from upk.ledger import engine
from upk.ledger.engine import Terms, build_schedule, largest_remainder, split_members, spread
from upk.models import Instalment, MemberInstalment


def test_build_schedule_flat_example_from_reference():
    # Asahan example (reference §1.3): 5 000 000 over 24 months at 1.5 % flat.
    lines = build_schedule(Terms(5_000_000, 24, Decimal("1.5"), rounding_unit=1), date(2024, 2, 10))
    assert len(lines) == 24
    assert lines[0].pokok == 208_333 and lines[0].jasa == 75_000
    assert sum(line.pokok for line in lines) == 5_000_000
    assert sum(line.jasa for line in lines) == 1_800_000


def test_build_schedule_rounding_unit_puts_remainder_on_last():
    lines = build_schedule(Terms(1_000_000, 3, Decimal("1.5"), rounding_unit=1000), date(2024, 2, 10))
    assert [line.pokok for line in lines] == [333_000, 333_000, 334_000]
    assert [line.jasa for line in lines] == [15_000, 15_000, 15_000]
    assert all(line.pokok % 1000 == 0 for line in lines[:-1])


def test_build_schedule_never_negative_last_instalment():
    # Half-up rounding of 4 500 → 5 000 would overshoot; floor keeps the last ≥ 0.
    lines = build_schedule(Terms(108_000, 24, Decimal("1.5"), rounding_unit=1000), date(2024, 2, 10))
    assert all(line.pokok >= 0 for line in lines)
    assert sum(line.pokok for line in lines) == 108_000


def test_build_schedule_declining_balance():
    lines = build_schedule(Terms(1_200_000, 12, Decimal("2"), jasa_method="declining"), date(2024, 2, 10))
    assert lines[0].jasa == 24_000  # 2 % of 1 200 000
    assert lines[1].jasa == 22_000  # 2 % of 1 100 000
    assert lines[-1].jasa == 2_000
    assert sum(line.pokok for line in lines) == 1_200_000


def test_build_schedule_weekly_has_four_instalments_per_month():
    lines = build_schedule(Terms(400_000, 3, Decimal("1.5"), frequency="weekly"), date(2024, 2, 7))
    assert len(lines) == 12
    assert (lines[1].due_date - lines[0].due_date).days == 7
    assert sum(line.jasa for line in lines) == 18_000


def test_build_schedule_bop_component():
    lines = build_schedule(Terms(1_000_000, 10, Decimal("1.45"), bop_rate=Decimal("0.05")), date(2024, 2, 7))
    assert sum(line.bop for line in lines) == 5_000
    assert sum(line.jasa for line in lines) == 145_000


def test_add_months_clamps_to_month_end():
    assert engine.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert engine.add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)


def test_largest_remainder_sums_exactly():
    assert largest_remainder(100, [1, 1, 1]) == [34, 33, 33]
    assert sum(largest_remainder(1_000_001, [3, 5, 7, 11])) == 1_000_001
    assert largest_remainder(-10, [1, 2]) == [-3, -7]


def test_spread_remainder_on_last():
    assert spread(1000, 3, 100) == [300, 300, 400]


def test_split_members_closes_each_member_principal():
    lines = build_schedule(Terms(2_500_000, 7, Decimal("1.5"), rounding_unit=100), date(2024, 2, 7))
    principals = [1_000_000, 700_000, 800_000]
    shares = split_members(lines, principals)
    for line, row in zip(lines, shares, strict=True):
        assert sum(p for p, _, _ in row) == line.pokok
        assert sum(j for _, j, _ in row) == line.jasa
    for m, principal in enumerate(principals):
        assert sum(row[m][0] for row in shares) == principal


@pytest.mark.django_db
def test_loan_disburse_stores_group_and_member_schedule(loan):
    instalments = list(Instalment.objects.filter(loan=loan).order_by("number"))
    assert len(instalments) == 12
    assert sum(i.pokok for i in instalments) == loan.principal
    assert sum(i.jasa for i in instalments) == Decimal(5_000_000 * 15 // 1000 * 12)
    assert instalments[0].due_date == date(2024, 6, 10)
    for inst in instalments:
        shares = MemberInstalment.objects.filter(instalment=inst)
        assert sum(s.pokok for s in shares) == inst.pokok
        assert sum(s.jasa for s in shares) == inst.jasa
        assert inst.total == inst.pokok + inst.jasa + inst.bop


def test_loan_disburse_weekly_declining_product(upk, manager, capital):
    from .factories import LoanProductFactory, make_active_loan

    product = LoanProductFactory(upk=upk, frequency="weekly", jasa_method="declining", rounding_unit=500)
    loan = make_active_loan(upk, manager, product=product, term=3)
    instalments = list(loan.instalments.order_by("number"))
    assert len(instalments) == 12
    assert instalments[0].due_date == date(2024, 5, 17)
    assert (instalments[1].due_date - instalments[0].due_date).days == 7
    assert sum(i.pokok for i in instalments) == loan.principal
    assert instalments[0].jasa > instalments[-1].jasa
