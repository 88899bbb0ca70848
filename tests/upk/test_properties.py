"""Property-based tests (hypothesis) of the money rules.

Pure engine properties run many examples (no database); the ledger property
drives the real services on PostgreSQL through random sequences of
disbursements, payments, reversals, backdated payments and month closings
and checks the books after every step. Example counts are kept modest so the
suite stays fast on two cores.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from upk import selectors, services
from upk.ledger import books, engine
from upk.ledger.errors import LedgerError
from upk.models import Allocation, Instalment, JournalLine, Loan

from .factories import LoanProductFactory, make_ksm
from .test_indicators import assert_paths_agree, assert_states_match_rebuild, state_loans_agreeing

terms_st = st.builds(
    engine.Terms,
    principal=st.integers(1, 50_000_000),
    term_months=st.integers(1, 24),
    jasa_rate=st.decimals(min_value=0, max_value=5, places=2),
    jasa_method=st.sampled_from(["flat", "declining"]),
    bop_rate=st.sampled_from([Decimal(0), Decimal("0.05"), Decimal("0.1")]),
    frequency=st.sampled_from(["monthly", "weekly"]),
    rounding_unit=st.sampled_from([1, 100, 500, 1000]),
)
FIRST_DUE = date(2024, 2, 29)


@settings(max_examples=200, deadline=None)
@given(terms=terms_st)
def test_build_schedule_sums_exactly(terms):
    lines = engine.build_schedule(terms, FIRST_DUE)
    assert len(lines) == terms.n_instalments
    assert sum(line.pokok for line in lines) == terms.principal
    assert all(line.pokok >= 0 and line.jasa >= 0 and line.bop >= 0 for line in lines)
    if terms.jasa_method == "flat":
        expected = engine.half_up(Decimal(terms.principal) * terms.jasa_rate / 100 * terms.term_months)
        assert sum(line.jasa for line in lines) == expected
    assert [line.due_date for line in lines] == sorted(line.due_date for line in lines)


@settings(max_examples=150, deadline=None)
@given(terms=terms_st, weights=st.lists(st.integers(1, 3_000_000), min_size=1, max_size=12))
def test_split_members_sums_to_group(terms, weights):
    lines = engine.build_schedule(terms, FIRST_DUE)
    shares = engine.split_members(lines, weights)
    for line, row in zip(lines, shares, strict=True):
        assert sum(p for p, _, _ in row) == line.pokok
        assert sum(j for _, j, _ in row) == line.jasa
        assert sum(b for _, _, b in row) == line.bop
        assert all(p >= 0 and j >= 0 and b >= 0 for p, j, b in row)


@settings(max_examples=150, deadline=None)
@given(total=st.integers(-(10**12), 10**12), weights=st.lists(st.integers(0, 10**9), min_size=1, max_size=20))
def test_largest_remainder_exact(total, weights):
    if sum(weights) == 0:
        weights[0] = 1
    parts = engine.largest_remainder(total, weights)
    assert sum(parts) == total
    for part, w in zip(parts, weights, strict=True):
        exact = Decimal(total) * w / sum(weights)
        assert abs(Decimal(part) - exact) < 1


@st.composite
def payments_st(draw, lines):
    owed = sum(line.total for line in lines)
    payments = []
    for key in range(draw(st.integers(0, 12))):
        day = draw(st.integers(0, 800))
        amount = draw(st.integers(1, max(1, owed // 4)))
        payments.append(engine.Payment(key, FIRST_DUE - timedelta(days=20) + timedelta(days=day), amount))
    return payments


@settings(max_examples=150, deadline=None)
@given(data=st.data(), terms=terms_st, late_fee=st.sampled_from([0, 0, 2_500]))
def test_allocate_conserves_money_and_is_deterministic(data, terms, late_fee):
    lines = engine.build_schedule(terms, FIRST_DUE)
    payments = data.draw(payments_st(lines))
    try:
        pieces, states = engine.allocate(lines, payments, late_fee=late_fee)
    except engine.EngineError:
        return  # an overpayment is refused as a whole
    for pay in payments:
        assert sum(p.amount for p in pieces[pay.key]) == pay.amount
        assert all(p.amount > 0 for p in pieces[pay.key])
    for state in states:
        for comp in ("pokok", "jasa", "bop"):
            assert 0 <= state.paid[comp] <= getattr(state, comp)
        assert state.paid["denda"] <= late_fee
    # Each instalment with something to pay is settled by exactly one piece
    # once fully paid, never before, and never twice: what the as-of reports
    # count (Allocation.settles). Fully paid instalments need not be a prefix
    # of the schedule (a prepayment pays later instalments' pokok before
    # earlier ones' jasa; a later instalment may have no jasa at all).
    settled = Counter(p.instalment for own in pieces.values() for p in own if p.settles)
    for state, line in zip(states, lines, strict=True):
        assert settled[state.number] == (1 if state.fully_paid and line.total > 0 else 0)
    shuffled = list(payments)
    random.Random(len(payments)).shuffle(shuffled)
    assert engine.allocate(lines, shuffled, late_fee=late_fee)[0] == pieces


@settings(max_examples=150, deadline=None)
@given(data=st.data(), terms=terms_st, late_fee=st.sampled_from([0, 0, 2_500]), grace=st.sampled_from([0, 7]))
def test_allocate_over_paid_state_equals_full_replay(data, terms, late_fee, grace):
    """The posting fast path: a payment dated after every other one,
    allocated over the state the others left, gets the pieces a replay of all
    of them gives it, and leaves the same state."""
    lines = engine.build_schedule(terms, FIRST_DUE)
    payments = sorted(data.draw(payments_st(lines)), key=lambda p: (p.paid_on, p.key))
    assume(payments)
    last = payments[-1]
    try:
        pieces, states = engine.allocate(lines, payments, late_fee=late_fee, grace_days=grace)
        _before, earlier = engine.allocate(lines, payments[:-1], late_fee=late_fee, grace_days=grace)
    except engine.EngineError:
        return
    paid = [dict(s.paid) for s in earlier]
    fast, fast_states = engine.allocate(lines, [last], late_fee=late_fee, grace_days=grace, paid=paid)
    assert fast[last.key] == pieces[last.key]
    assert [s.paid for s in fast_states] == [s.paid for s in states]
    assert [s.paid for s in earlier] == paid  # the given state is not changed in place


# --- The ledger on PostgreSQL ----------------------------------------------------------

product_st = st.fixed_dictionaries(
    {
        "jasa_rate": st.sampled_from([Decimal("1.5"), Decimal("0"), Decimal("2.25")]),
        "jasa_method": st.sampled_from(["flat", "declining"]),
        "bop_rate": st.sampled_from([Decimal(0), Decimal("0.05")]),
        "frequency": st.sampled_from(["monthly", "monthly", "weekly"]),
        "rounding_unit": st.sampled_from([1, 100, 500, 1000]),
        "late_fee_enabled": st.booleans(),
    }
)

op_st = st.one_of(
    st.tuples(st.just("pay"), st.integers(1, 600_000), st.integers(0, 40), st.integers(0, 2)),
    st.tuples(st.just("backdated"), st.integers(1, 400_000), st.integers(1, 60), st.integers(0, 2)),
    st.tuples(st.just("reverse"), st.integers(0, 20), st.integers(0, 10), st.integers(0, 2)),
    st.tuples(st.just("sheet"), st.integers(1, 300_000), st.integers(0, 20), st.just(0)),
    st.tuples(st.just("close"), st.just(0), st.just(0), st.just(0)),
)


def _check_books(upk, loans, as_of):
    # Every journal entry balances and the trial balance sums to zero.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT entry_id FROM upk_journalline WHERE upk_id = %s GROUP BY entry_id HAVING SUM(debit) <> SUM(credit)",
            [upk.pk],
        )
        assert cursor.fetchall() == []
    assert selectors.trial_balance(upk=upk, as_of=as_of).balanced
    assert selectors.neraca(upk=upk, as_of=as_of).balanced
    for loan in loans:
        # Money allocated equals money received (live repayments).
        live = loan.repayments.filter(is_reversed=False)
        current = Allocation.objects.filter(loan=loan, effective_to__isnull=True, repayment__is_reversed=False)
        assert sum(int(a.amount) for a in current) == sum(int(r.amount) for r in live)
        # Replaying the loan gives the stored allocations.
        loan = Loan.objects.get(pk=loan.pk)
        result = books.replay_loan(loan)
        stored = defaultdict(list)
        for a in current.select_related("instalment"):
            stored[a.repayment_id].append((a.instalment.number, a.component, int(a.amount)))
        for key, pieces in result.pieces.items():
            assert sorted(stored[key]) == sorted((p.instalment, p.component, p.amount) for p in pieces)
        # Outstanding never negative.
        position = selectors.loan_position(loan, as_of=as_of)
        assert 0 <= position.outstanding <= int(loan.principal)
        assert position.arrears_amount >= 0
    # Journal = allocations = caches; the two portfolio paths agree.
    assert selectors.ledger_drift(upk=upk) == []
    assert_paths_agree(upk, as_of)
    assert_states_match_rebuild([loan.pk for loan in loans])


def _dates_of_interest(loans, clock):
    """Every date on which some allocation starts or ends or an instalment
    falls due, the day before each, and the current date."""
    ids = [loan.pk for loan in loans]
    dates = {clock}
    for a in Allocation.objects.filter(loan_id__in=ids).values("effective_from", "effective_to"):
        dates.update(d for d in (a["effective_from"], a["effective_to"]) if d)
    dates.update(Instalment.objects.filter(loan_id__in=ids).values_list("due_date", flat=True))
    dates |= {d - timedelta(days=1) for d in dates}
    return sorted(dates)


@pytest.mark.django_db
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    product=product_st,
    loans=st.lists(
        st.tuples(st.lists(st.integers(1, 10), min_size=5, max_size=7), st.integers(1, 24)), min_size=1, max_size=3
    ),
    ops=st.lists(op_st, max_size=12),
)
def test_ledger_random_sequences_keep_books_exact(upk, manager, product, loans, ops):
    with transaction.atomic():
        _run_sequence(upk, manager, product, loans, ops)
        transaction.set_rollback(True)


def _disburse(upk, manager, prod, amounts, term, on):
    ksm = make_ksm(upk, members=len(amounts), actor=manager)
    members = list(ksm.members.order_by("pk"))
    app = services.loans.loan_apply(
        ksm=ksm,
        product=prod,
        applied_on=on,
        member_amounts=dict(zip(members, amounts, strict=True)),
        term_months=term,
        actor=manager,
    )
    services.loans.loan_decide(loan=app.loan, approve=True, decided_on=on, actor=manager)
    loan = services.loans.loan_disburse(loan=app.loan, disbursed_on=on, actor=manager)
    assert sum(i.pokok for i in loan.instalments.all()) == loan.principal
    return loan


def _run_sequence(upk, manager, product, loan_specs, ops):
    prod = LoanProductFactory(upk=upk, late_fee_amount=Decimal(2_000) if product["late_fee_enabled"] else 0, **product)
    start = date(2024, 5, 10)
    loans = [
        _disburse(upk, manager, prod, [a * 100_000 for a in amounts], term, start + timedelta(days=7 * k))
        for k, (amounts, term) in enumerate(loan_specs)
    ]
    clock = start + timedelta(days=7 * (len(loans) - 1))
    snapshots = {}
    for n, (kind, a, b, idx) in enumerate(ops):
        loan = loans[idx % len(loans)]
        try:
            if kind == "pay":
                clock += timedelta(days=b)
                services.repayments.repayment_record(
                    loan=loan, amount=a, paid_on=clock, actor=manager, idempotency_key=f"p{n}"
                )
            elif kind == "backdated":
                on = max(loan.disbursed_on, clock - timedelta(days=b))
                services.repayments.repayment_record(
                    loan=loan, amount=a, paid_on=on, actor=manager, idempotency_key=f"p{n}"
                )
            elif kind == "sheet":
                clock += timedelta(days=b)
                services.repayments.collection_sheet_post(
                    upk=upk, date=clock, payments={x.pk: a for x in loans}, actor=manager, idempotency_key=f"s{n}"
                )
            elif kind == "reverse":
                live = list(loan.repayments.filter(is_reversed=False).order_by("pk"))
                if not live:
                    continue
                rep = live[a % len(live)]
                clock = max(clock, rep.paid_on) + timedelta(days=b)
                services.repayments.repayment_reverse(repayment=rep, reversed_on=clock, reason="uji", actor=manager)
            elif kind == "close":
                y, m = clock.year, clock.month
                y, m = (y - 1, 12) if m == 1 else (y, m - 1)
                if (y, m) < (2024, 5):
                    continue
                services.periods.period_close(upk=upk, year=y, month=m, actor=manager)
                end = selectors.month_end(y, m)
                snapshots[end] = _snapshot(upk, loans, end)
                assert_paths_agree(upk, end)  # the month-end cache against the live per-loan path
        except LedgerError:
            pass  # refused (overpayment, closed month …): nothing may have changed
        _check_books(upk, loans, clock)
    for end, snap in snapshots.items():
        assert _snapshot(upk, loans, end) == snap, f"report as of {end} changed after later postings"
    # The per-loan state (valid from its last change) and the aggregate built
    # on it agree with the allocations at every date where something changed.
    for as_of in _dates_of_interest(loans, clock):
        state_loans_agreeing(upk, as_of)
        with connection.cursor() as cursor:
            found = []
            for build in (selectors._portfolio_alloc_sql, selectors._portfolio_state_sql):
                cursor.execute(*build([upk.pk], as_of))
                found.append(cursor.fetchall())
        assert found[0] == found[1], as_of


def _snapshot(upk, loans, as_of):
    positions = [selectors.loan_position(loan, as_of=as_of) for loan in loans]
    tb = selectors.trial_balance(upk=upk, as_of=as_of)
    lines = JournalLine.objects.filter(upk=upk, date__lte=as_of).count()
    ind = selectors.indicators(upk=upk, as_of=as_of)
    return (
        positions,
        [(r.account.code, r.debit, r.credit) for r in tb.rows],
        lines,
        {k: v.value for k, v in ind.values.items()},
    )
