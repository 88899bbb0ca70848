"""Kolektibilitas, reserve and indicators as of a date."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection

from upk import selectors, services
from upk.ledger import states
from upk.models import Account

from .factories import make_active_loan

INSTALMENT = 491_600  # 416 600 pokok + 75 000 jasa
POKOK = 416_600
SEP = date(2024, 9, 30)  # four instalments due (10 Jun … 10 Sep)


def _pay_n(loan, manager, n, tag):
    for i in range(n):
        services.repayments.repayment_record(
            loan=loan, amount=INSTALMENT, paid_on=date(2024, 6 + i, 10), actor=manager, idempotency_key=f"{tag}-{i}"
        )


@pytest.fixture
def portfolio(upk, manager, capital):
    good, late, bad = (make_active_loan(upk, manager) for _ in range(3))
    _pay_n(good, manager, 4, "good")
    _pay_n(late, manager, 2, "late")
    services.cash.cash_voucher_record(
        upk=upk,
        direction="out",
        account=Account.objects.get(upk=upk, code="51010"),
        amount=300_000,
        date=date(2024, 9, 1),
        description="Insentif",
        actor=manager,
        idempotency_key="cost",
    )
    return good, late, bad


def _pct(a, b):
    return (Decimal(a) * 100 / Decimal(b)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_loan_positions_arrears_as_of(portfolio):
    good, late, bad = portfolio
    pos = selectors.loan_positions(upk_ids=[good.upk_id], as_of=SEP)
    assert [pos[x.pk].n_arrears for x in portfolio] == [0, 2, 4]
    assert pos[bad.pk].arrears_amount == 4 * INSTALMENT
    assert pos[late.pk].outstanding == 5_000_000 - 2 * POKOK


def test_kolektibilitas_buckets_and_reserve(upk, manager, portfolio):
    kol = selectors.kolektibilitas(upk=upk, as_of=SEP)
    by_code = {b.code: b for b in kol.buckets}
    assert by_code["lancar"].outstanding == 5_000_000 - 4 * POKOK
    assert by_code["dpk"].outstanding == 5_000_000 - 2 * POKOK
    assert by_code["kl"].outstanding == 5_000_000
    assert by_code["m"].loans == 0
    expected = sum(
        int((Decimal(b.outstanding) * rate / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        for b, rate in zip(kol.buckets, [Decimal("0.5"), Decimal("0.5"), 10, 50, 100], strict=True)
    )
    assert kol.required_reserve == expected
    assert kol.booked_reserve == 0 and kol.proposed_adjustment == expected
    services.cash.reserve_adjust(upk=upk, date=SEP, actor=manager, idempotency_key="cad-sep")
    after = selectors.kolektibilitas(upk=upk, as_of=SEP)
    assert after.booked_reserve == expected and after.proposed_adjustment == 0
    assert selectors.neraca(upk=upk, as_of=SEP).balanced


def test_indicators_values_and_bands(upk, portfolio):
    ind = selectors.indicators(upk=upk, as_of=SEP)
    outstanding = (5_000_000 - 4 * POKOK) + (5_000_000 - 2 * POKOK) + 5_000_000
    assert ind["par"].value == _pct(5_000_000, outstanding)
    assert ind["par"].band == "tidak_sehat"
    assert ind["lar"].value == _pct(1, 3)
    assert ind["rr"].value == _pct(outstanding - 4 * POKOK, outstanding)
    assert ind["rr"].band == "kurang_sehat"
    assert ind["collection_rate"].value == _pct(6 * INSTALMENT, 12 * INSTALMENT)
    assert ind["ccr"].value == _pct(6 * 75_000, 300_000)
    assert ind["ccr"].band == "sehat"
    assert ind["roi"].value == _pct(Decimal(6 * 75_000 - 300_000) * 12 / 9, 100_000_000)
    assert ind["roi"].band == "kurang_sehat"


def test_indicators_band_thresholds_are_configurable(upk, portfolio):
    rules = upk.upk_settings
    rules.par_good, rules.par_fair = Decimal(50), Decimal(60)
    rules.save()
    assert selectors.indicators(upk=upk, as_of=SEP)["par"].band == "sehat"


def test_reports_as_of_past_month_unchanged_after_later_postings(upk, manager, portfolio):
    good, late, bad = portfolio
    before_ind = selectors.indicators(upk=upk, as_of=SEP)
    before_kol = selectors.kolektibilitas(upk=upk, as_of=SEP)
    before_tb = selectors.trial_balance(upk=upk, as_of=SEP)
    before_lpp = selectors.lpp(upk=upk, year=2024, month=9)
    # October: payments, a reversal of a September payment, a backdated October payment.
    services.repayments.repayment_record(
        loan=bad, amount=3 * INSTALMENT, paid_on=date(2024, 10, 12), actor=manager, idempotency_key="o1"
    )
    sept = late.repayments.order_by("-paid_on").first()
    services.repayments.repayment_reverse(repayment=sept, reversed_on=date(2024, 10, 14), reason="Salah", actor=manager)
    services.repayments.repayment_record(
        loan=good, amount=INSTALMENT, paid_on=date(2024, 10, 2), actor=manager, idempotency_key="o2"
    )
    services.cash.reserve_adjust(upk=upk, date=date(2024, 10, 31), actor=manager, idempotency_key="cad-oct")
    after_ind = selectors.indicators(upk=upk, as_of=SEP)
    assert {k: v.value for k, v in after_ind.values.items()} == {k: v.value for k, v in before_ind.values.items()}
    after_kol = selectors.kolektibilitas(upk=upk, as_of=SEP)
    assert [(b.loans, b.outstanding) for b in after_kol.buckets] == [
        (b.loans, b.outstanding) for b in before_kol.buckets
    ]
    assert after_kol.booked_reserve == before_kol.booked_reserve
    assert [(r.account.code, r.debit, r.credit) for r in selectors.trial_balance(upk=upk, as_of=SEP).rows] == [
        (r.account.code, r.debit, r.credit) for r in before_tb.rows
    ]
    assert selectors.lpp(upk=upk, year=2024, month=9).rows == before_lpp.rows
    # October itself did change.
    assert selectors.indicators(upk=upk, as_of=date(2024, 10, 31))["par"].value != before_ind["par"].value


def test_portfolio_summary_many_query_count_does_not_grow(
    upk, manager, portfolio, other_bkm, django_assert_max_num_queries
):
    other = other_bkm.units.get(unit_type="upk")
    services.settings.upk_setup(upk=other)
    manager.upk_units.add(other)
    make_active_loan(other, manager)
    # Cold (nothing stored): stored-figures look-up, settings, month-end cache look-up, account totals,
    # aggregate, store (+ its savepoint inside the test's transaction).
    with django_assert_max_num_queries(8):
        result = selectors.portfolio_summary_many(upk_ids=[upk.pk, other.pk], as_of=SEP)
    ind, kol = result[upk.pk]
    assert ind["par"].value == selectors.indicators(upk=upk, as_of=SEP)["par"].value
    assert kol.outstanding == selectors.kolektibilitas(upk=upk, as_of=SEP).outstanding
    assert result[other.pk][1].buckets[-1].loans == 0


def test_portfolio_summary_many_query_count_does_not_grow_with_loans(
    upk, manager, django_assert_num_queries, django_assert_max_num_queries
):
    """Same statements for 1 loan as for 6, and for loans read from the state
    as for loans changed after the date (read from the allocations): stored
    figures look-up, settings, month-end cache look-up (month ends only),
    account totals, aggregate, store (+ savepoint). The payments make the
    stored figures stale, so the second round computes again."""
    make_active_loan(upk, manager)
    dates = (date(2024, 6, 9), SEP)
    counts = {}
    for as_of in dates:
        with django_assert_max_num_queries(8) as captured:
            selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=as_of)
        counts[as_of] = len(captured.captured_queries)
    loans = [make_active_loan(upk, manager) for _ in range(5)]
    for n, loan in enumerate(loans):
        _pay_n(loan, manager, n, f"q{n}")
    for as_of in dates:  # 2024-06-09: before the payments (allocation path); SEP: after (state)
        with django_assert_num_queries(counts[as_of]):
            selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=as_of)


def test_arrears_list_orders_worst_first(upk, portfolio):
    rows = selectors.arrears_list(upk=upk, as_of=SEP)
    assert [r.n_arrears for r in rows] == [4, 2]


def test_sql_aggregate_agrees_with_per_loan_path(upk, manager, staff, portfolio):
    good, late, bad = portfolio
    dates = [date(2024, 6, 9), date(2024, 7, 31), SEP, date(2025, 12, 31)]
    for as_of in dates:
        assert_paths_agree(upk, as_of)
    # Backdated payment, reversal, reschedule, write-off, recovery, month close:
    # the state path must agree before, between and after each of them.
    services.repayments.repayment_record(
        loan=late, amount=INSTALMENT, paid_on=date(2024, 10, 20), actor=manager, idempotency_key="b1"
    )
    services.repayments.repayment_record(
        loan=late, amount=INSTALMENT, paid_on=date(2024, 10, 5), actor=manager, idempotency_key="b2"
    )
    first = good.repayments.order_by("paid_on").first()
    services.repayments.repayment_reverse(
        repayment=first, reversed_on=date(2024, 10, 25), reason="Salah", actor=manager
    )
    proposal = services.loans.loan_reschedule(
        loan=bad, effective_on=date(2024, 10, 15), term_months=6, reason="Banjir", actor=manager
    )
    services.loans.reschedule_approve(reschedule=proposal, actor=staff)
    services.repayments.repayment_record(
        loan=bad, amount=INSTALMENT, paid_on=date(2024, 11, 20), actor=manager, idempotency_key="b3"
    )
    services.periods.period_close(upk=upk, year=2024, month=10, actor=manager)
    write_off = services.loans.writeoff_propose(loan=late, proposed_on=date(2024, 12, 5), reason="Macet", actor=manager)
    services.loans.writeoff_approve(write_off=write_off, actor=staff)
    services.loans.recovery_record(
        loan=late, amount=100_000, received_on=date(2024, 12, 20), actor=manager, idempotency_key="rec"
    )
    dates += [
        date(2024, 10, 4),
        date(2024, 10, 5),
        date(2024, 10, 10),
        date(2024, 10, 14),
        date(2024, 10, 15),
        date(2024, 10, 19),
        date(2024, 10, 20),
        date(2024, 10, 24),
        date(2024, 10, 25),
        date(2024, 10, 31),
        date(2024, 11, 20),
        date(2024, 12, 4),
        date(2024, 12, 5),
        date(2025, 12, 31),
    ]
    for as_of in dates:
        assert_paths_agree(upk, as_of)
    # The latest dates are served by the state for every loan on the books.
    assert state_loans_agreeing(upk, date(2025, 12, 31)) == 2
    assert_states_match_rebuild()


def assert_paths_agree(upk, as_of):
    """The database aggregate (dashboards) and the per-loan path (reports) must
    give the same figures and buckets; on PostgreSQL the state-based aggregate
    also equals the aggregate over the allocations, loan by loan."""
    ind, kol_sql = selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=as_of)[upk.pk]
    python_figures = selectors.portfolio_figures_many(upk_ids=[upk.pk], as_of=as_of)[upk.pk]
    assert ind.figures == python_figures
    kol = selectors.kolektibilitas(upk=upk, as_of=as_of)
    assert [(b.loans, b.outstanding, b.required) for b in kol_sql.buckets] == [
        (b.loans, b.outstanding, b.required) for b in kol.buckets
    ]
    assert kol_sql.booked_reserve == kol.booked_reserve
    if connection.vendor == "postgresql":
        rows = []
        for build in (selectors._portfolio_alloc_sql, selectors._portfolio_state_sql):
            with connection.cursor() as cursor:
                cursor.execute(*build([upk.pk], as_of))
                rows.append(cursor.fetchall())
        assert rows[0] == rows[1]
        state_loans_agreeing(upk, as_of)


def state_loans_agreeing(upk, as_of) -> int:
    """Every loan whose state is valid on `as_of` has, read from the state,
    the position `loan_positions` computes from the allocations. Returns how
    many loans were checked."""
    positions = selectors.loan_positions(upk_ids=[upk.pk], as_of=as_of)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT loan_id, principal - pokok_all, COALESCE(cum_unsettled[k], 0), COALESCE(cum_due[k], 0),
                   COALESCE(cum_paid[k], 0), COALESCE(cum_arrears_pokok[k], 0)
              FROM (SELECT *, width_bucket(%s::date, due_dates) AS k FROM upk_loanstate
                     WHERE upk_id = %s AND valid_from <= %s
                       AND (written_off_on IS NULL OR written_off_on > %s)) s
            """,
            [as_of, upk.pk, as_of, as_of],
        )
        from_state = {row[0]: tuple(int(v) for v in row[1:]) for row in cursor.fetchall()}
    for loan_id, figures in from_state.items():
        p = positions[loan_id]
        assert figures == (p.outstanding, p.n_arrears, p.due_total, p.paid_on_due, p.arrears_pokok), (loan_id, as_of)
    return len(from_state)


def assert_states_match_rebuild(loan_ids=None):
    """The states kept by the services equal a recomputation from the
    allocations; the kept valid_from may only be later (never earlier)."""
    kept = {r.loan_id: r for r in states.stored(loan_ids=loan_ids)}
    fresh = {r.loan_id: r for r in states.compute(loan_ids=loan_ids)}
    assert kept.keys() == fresh.keys()
    for loan_id, row in fresh.items():
        assert kept[loan_id].valid_from >= row.valid_from
        assert replace(kept[loan_id], valid_from=row.valid_from) == row


def test_connections_run_without_jit(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit')")
        assert cursor.fetchone() == ("off",)


@pytest.mark.django_db(transaction=True)
def test_tune_aggregate_sets_parallel_costs_for_the_transaction_only():
    from django.db import transaction

    settings = "SELECT current_setting('parallel_setup_cost'), current_setting('parallel_tuple_cost')"
    with connection.cursor() as cursor:
        cursor.execute(settings)
        defaults = cursor.fetchone()
    with transaction.atomic(), connection.cursor() as cursor:
        selectors._tune_aggregate(cursor)
        cursor.execute(settings)
        assert cursor.fetchone() == ("100", "0.01")
    with connection.cursor() as cursor:
        cursor.execute(settings)
        assert cursor.fetchone() == defaults != ("off", "100", "0.01")
