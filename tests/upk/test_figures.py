"""Stored portfolio figures (upk/figures.py): read back while valid, recomputed after any write to
their inputs, kept across postings for closed months until a reopening."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction

from upk import figures, selectors, services
from upk.models import Account, Allocation, FiguresVersion, UpkFigures

from .test_indicators import INSTALMENT, SEP, portfolio  # noqa: F401 - the fixture

JUNE_END = date(2024, 6, 30)


def _live(upk_id, as_of):
    """The figures computed from the ledger, nothing stored read."""
    rules = selectors._settings([upk_id], as_of)
    raw = selectors._summary_raw_live([upk_id], as_of, rules)[upk_id]
    return selectors._summary_from_raw(upk_id, as_of, raw, rules[upk_id])


def _same(a, b):
    ind_a, kol_a = a
    ind_b, kol_b = b
    assert ind_a.figures == ind_b.figures
    assert {k: (v.value, v.band) for k, v in ind_a.values.items()} == {
        k: (v.value, v.band) for k, v in ind_b.values.items()
    }
    assert [(k.loans, k.outstanding, k.required) for k in kol_a.buckets] == [
        (k.loans, k.outstanding, k.required) for k in kol_b.buckets
    ]
    assert kol_a.booked_reserve == kol_b.booked_reserve


def test_portfolio_summary_many_stores_then_reads_back(upk, portfolio, django_assert_num_queries):  # noqa: F811
    first = selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=SEP)[upk.pk]
    row = UpkFigures.objects.get(upk_id=upk.pk, as_of=SEP)
    assert len(row.values) == len(selectors.RAW_FIELDS)
    assert row.version == FiguresVersion.objects.get(upk_id=upk.pk).version
    # Warm: the stored row and the rules in force, nothing else.
    with django_assert_num_queries(2):
        again = selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=SEP)[upk.pk]
    _same(first, again)
    _same(again, _live(upk.pk, SEP))


def test_repayment_makes_stored_figures_stale(upk, manager, portfolio):  # noqa: F811
    good, late, bad = portfolio
    before = selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=SEP)[upk.pk]
    services.repayments.repayment_record(
        loan=bad, amount=INSTALMENT, paid_on=date(2024, 9, 15), actor=manager, idempotency_key="late-pay"
    )
    after = selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=SEP)[upk.pk]
    assert after[0].figures.paid_on_due == before[0].figures.paid_on_due + INSTALMENT
    _same(after, _live(upk.pk, SEP))


def test_any_write_to_an_input_table_makes_stored_figures_stale(upk, portfolio):  # noqa: F811
    """Not only the services: the triggers see every write (here a raw update of allocations)."""
    selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=SEP)
    version = FiguresVersion.objects.get(upk_id=upk.pk).version
    Allocation.objects.filter(upk_id=upk.pk, component="pokok").update(amount=1)
    assert FiguresVersion.objects.get(upk_id=upk.pk).version > version
    stale = UpkFigures.objects.get(upk_id=upk.pk, as_of=SEP)
    _versions, found = figures.read([upk.pk], [SEP])
    assert stale.version == version and found == {}
    _same(selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=SEP)[upk.pk], _live(upk.pk, SEP))


def test_other_upks_figures_stay_stored_after_a_posting(upk, manager, portfolio, other_bkm):  # noqa: F811
    from .factories import make_active_loan

    other = other_bkm.units.get(unit_type="upk")
    services.settings.upk_setup(upk=other)
    manager.upk_units.add(other)
    make_active_loan(other, manager)
    selectors.portfolio_summary_many(upk_ids=[upk.pk, other.pk], as_of=SEP)
    good, _late, _bad = portfolio
    services.repayments.repayment_record(
        loan=good, amount=INSTALMENT, paid_on=date(2024, 9, 20), actor=manager, idempotency_key="extra"
    )
    _versions, found = figures.read([upk.pk, other.pk], [SEP])
    assert set(found) == {(other.pk, SEP)}


def test_closed_month_figures_survive_postings_until_reopened(upk, manager, staff, loan):
    services.repayments.repayment_record(
        loan=loan, amount=100_000, paid_on=date(2024, 6, 10), actor=manager, idempotency_key="a"
    )
    services.periods.period_close(upk=upk, year=2024, month=6, actor=manager)
    june = selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=JUNE_END)[upk.pk]
    assert UpkFigures.objects.get(upk_id=upk.pk, as_of=JUNE_END).closed
    services.repayments.repayment_record(
        loan=loan, amount=391_600, paid_on=date(2024, 7, 2), actor=manager, idempotency_key="b"
    )
    _versions, found = figures.read([upk.pk], [JUNE_END])
    assert list(found) == [(upk.pk, JUNE_END)]  # a July posting cannot change June
    _same(june, _live(upk.pk, JUNE_END))
    services.periods.period_reopen(upk=upk, year=2024, month=6, actor=staff, reason="Koreksi")
    assert not UpkFigures.objects.filter(upk_id=upk.pk, as_of=JUNE_END).exists()
    _same(selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=JUNE_END)[upk.pk], _live(upk.pk, JUNE_END))
    assert not UpkFigures.objects.get(upk_id=upk.pk, as_of=JUNE_END).closed


def test_store_skips_figures_computed_under_an_old_version(upk, portfolio):  # noqa: F811
    versions, _found = figures.read([upk.pk], [SEP])
    raw = selectors._summary_raw_live([upk.pk], SEP, selectors._settings([upk.pk], SEP))
    Allocation.objects.filter(upk_id=upk.pk).update(amount=1)  # a write after the computation
    assert figures.store({(upk.pk, SEP): raw[upk.pk]}, versions) == 0
    assert not UpkFigures.objects.filter(upk_id=upk.pk).exists()


def _version(upk):
    return FiguresVersion.objects.get(upk_id=upk.pk).version


def test_figures_version_rises_once_per_transaction(upk, portfolio):  # noqa: F811
    """An import writes thousands of statements in one transaction: the counter rises at its first
    write only (migration 0022), which is all other sessions can see."""
    version = _version(upk)  # the portfolio was written in this (the test's) transaction
    Allocation.objects.filter(upk_id=upk.pk, component="pokok").update(amount=1)
    Allocation.objects.filter(upk_id=upk.pk, component="jasa").update(amount=1)
    assert _version(upk) == version


def test_figures_stored_in_a_writing_transaction_go_stale_at_its_next_write(upk, portfolio):  # noqa: F811
    selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=SEP)  # stored in this transaction
    version = _version(upk)
    assert figures.read([upk.pk], [SEP])[1]
    Allocation.objects.filter(upk_id=upk.pk, component="pokok").update(amount=1)
    assert _version(upk) == version + 1
    assert figures.read([upk.pk], [SEP])[1] == {}
    _same(selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=SEP)[upk.pk], _live(upk.pk, SEP))


def test_figures_version_rise_rolled_back_with_its_savepoint(upk, portfolio):  # noqa: F811
    selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=SEP)  # clears this transaction's mark
    version = _version(upk)
    with pytest.raises(RuntimeError), transaction.atomic():
        Allocation.objects.filter(upk_id=upk.pk, component="pokok").update(amount=1)
        assert _version(upk) == version + 1
        raise RuntimeError
    assert _version(upk) == version
    Allocation.objects.filter(upk_id=upk.pk, component="jasa").update(amount=1)
    assert _version(upk) == version + 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # as tests/upk/test_concurrency.py
def test_figures_version_rises_in_every_committed_transaction(upk):
    """Outside a test's own transaction: each committed write raises the counter again."""
    version = _version(upk)
    for n in range(2):
        with transaction.atomic():
            Account.objects.filter(upk_id=upk.pk, code="51010").update(name=f"Biaya {n}")
            Account.objects.filter(upk_id=upk.pk, code="51010").update(name=f"Biaya {n}!")
    assert _version(upk) == version + 2
