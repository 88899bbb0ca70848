"""Stored portfolio figures (upk/figures.py): read back while valid, recomputed after any write to
their inputs, kept across postings for closed months until a reopening."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import transaction

from core import versions
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
    assert _version(upk) > version
    assert figures.read([upk.pk], [SEP])[1] == {}
    _same(selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=SEP)[upk.pk], _live(upk.pk, SEP))


def test_figures_version_rise_rolled_back_with_its_savepoint(upk, portfolio):  # noqa: F811
    selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=SEP)  # clears this transaction's mark
    version = _version(upk)
    with pytest.raises(RuntimeError), transaction.atomic():
        Allocation.objects.filter(upk_id=upk.pk, component="pokok").update(amount=1)
        rolled_back = _version(upk)
        assert rolled_back > version
        raise RuntimeError
    assert _version(upk) == version
    Allocation.objects.filter(upk_id=upk.pk, component="jasa").update(amount=1)
    assert _version(upk) > rolled_back  # a sequence: the rolled-back number is never given again


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # as tests/upk/test_concurrency.py
def test_figures_version_rises_in_every_committed_transaction(upk):
    """Outside a test's own transaction: each committed write raises the counter again."""
    versions = [_version(upk)]
    for n in range(2):
        with transaction.atomic():
            Account.objects.filter(upk_id=upk.pk, code="51010").update(name=f"Biaya {n}")
            Account.objects.filter(upk_id=upk.pk, code="51010").update(name=f"Biaya {n}!")
        versions.append(_version(upk))
    assert versions == sorted(set(versions))


def test_prune_deletes_past_days_but_keeps_month_ends_and_today(upk, portfolio):  # noqa: F811
    past_day, month_end, today = date(2024, 9, 10), date(2024, 8, 31), date(2024, 9, 20)
    selectors.portfolio_summary_dates(upk_ids=[upk.pk], dates=[past_day, month_end, today])
    assert figures.prune(before=today) == 1
    assert sorted(UpkFigures.objects.filter(upk_id=upk.pk).values_list("as_of", flat=True)) == [month_end, today]
    # A pruned date asked for again is recomputed, the same figures as the ledger's.
    _same(selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=past_day)[upk.pk], _live(upk.pk, past_day))


def test_figures_nightly_prunes_then_stores_today_and_the_last_month_end(upk, portfolio):  # noqa: F811
    from django.utils import timezone

    from upk import tasks

    today = timezone.localdate()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    yesterday_not_month_end = last_month_end - timedelta(days=1)
    selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=yesterday_not_month_end)
    assert tasks.figures_nightly() == {"pruned": 1, "upks": 1}
    stored = set(UpkFigures.objects.filter(upk_id=upk.pk).values_list("as_of", flat=True))
    assert stored == {today, last_month_end}
    versions, found = figures.read([upk.pk], [today, last_month_end])
    assert set(found) == {(upk.pk, today), (upk.pk, last_month_end)}  # valid: the next reader reads them


def test_figures_nightly_periodic_task_is_scheduled(db):
    import importlib

    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    if not PeriodicTask.objects.filter(task="upk.tasks.figures_nightly").exists():  # flushed by a worker test
        importlib.import_module("upk.migrations.0022_figures_nightly_task").forwards(apps, None)
    task = PeriodicTask.objects.get(task="upk.tasks.figures_nightly")
    assert task.enabled and task.crontab.hour == "0" and str(task.crontab.timezone) == "Asia/Jakarta"


def _versions(*upk_ids):
    from bkm.models import Unit

    return dict(figures.with_versions(Unit.objects.filter(pk__in=upk_ids)).values_list("pk", "figures_version"))


def test_derived_computes_again_only_the_upk_whose_figures_changed(upk, manager, portfolio, other_bkm):  # noqa: F811
    other = other_bkm.units.get(unit_type="upk")
    services.settings.upk_setup(upk=other)
    computed = []

    def outstanding(ids):
        computed.append(sorted(ids))
        return {
            i: s[0].figures.outstanding for i, s in selectors.portfolio_summary_many(upk_ids=ids, as_of=SEP).items()
        }

    first = figures.derived("test-outstanding", _versions(upk.pk, other.pk), outstanding)
    assert figures.derived("test-outstanding", _versions(upk.pk, other.pk), outstanding) == first
    assert computed == [sorted([upk.pk, other.pk])]  # the second read computed nothing
    good, _late, _bad = portfolio
    services.repayments.repayment_record(
        loan=good, amount=INSTALMENT, paid_on=date(2024, 9, 20), actor=manager, idempotency_key="derived"
    )
    again = figures.derived("test-outstanding", _versions(upk.pk, other.pk), outstanding)
    assert computed[1:] == [[upk.pk]]
    assert again[upk.pk] == _live(upk.pk, SEP)[0].figures.outstanding < first[upk.pk]
    assert again[other.pk] == first[other.pk]
    versions.forget()
    figures.derived("test-outstanding", _versions(upk.pk, other.pk), outstanding)
    assert computed[2:] == [sorted([upk.pk, other.pk])]


def test_kept_computes_again_after_a_posting_a_change_of_its_rows_or_a_new_generation(
    upk,
    manager,
    portfolio,  # noqa: F811
):
    """`figures.kept`: one UPK's result under its figures version and the hash of the rows it shows
    that no version covers (`rows`); computed again after a posting (inside this test's transaction too:
    the version read re-arms the rise), after a change of those rows, and after `core.versions.forget`."""
    from upk.models import KSM

    computed = []

    def compute():
        computed.append(1)
        return len(computed)

    ksms = (KSM.objects.filter(upk=upk),)
    assert figures.kept("test-kept", upk.pk, compute, rows=ksms) == 1
    assert figures.kept("test-kept", upk.pk, compute, rows=ksms) == 1  # kept
    good, _late, _bad = portfolio
    services.repayments.repayment_record(
        loan=good, amount=INSTALMENT, paid_on=date(2024, 9, 20), actor=manager, idempotency_key="kept-1"
    )
    assert figures.kept("test-kept", upk.pk, compute, rows=ksms) == 2
    services.repayments.repayment_record(
        loan=good, amount=INSTALMENT, paid_on=date(2024, 9, 21), actor=manager, idempotency_key="kept-2"
    )
    assert figures.kept("test-kept", upk.pk, compute, rows=ksms) == 3  # the same transaction's next write
    KSM.objects.filter(pk=good.ksm_id).update(name="Nama lain")  # no version covers KSMs
    assert figures.kept("test-kept", upk.pk, compute, rows=ksms) == 4
    assert figures.kept("test-kept", upk.pk, compute) == 5  # without the rows: another stamp
    versions.forget()
    assert figures.kept("test-kept", upk.pk, compute) == 6
    assert figures.kept("test-kept", upk.pk, compute) == 6


# Committed writes, as in production: inside one test transaction that has written, every read of the
# figures clears the version rows' `bumped_in` mark (figures.read), which changes their `xmin` and so the
# token, and every read would compute again.
@pytest.mark.django_db(transaction=True)
def test_derived_whole_is_computed_again_after_a_posting_or_a_move_of_any_input_upk(
    upk,
    manager,
    portfolio,  # noqa: F811
    other_bkm,
):
    from bkm.models import Kecamatan, Unit

    other = other_bkm.units.get(unit_type="upk")
    services.settings.upk_setup(upk=other)
    units = Unit.objects.filter(pk__in=[upk.pk, other.pk])
    computed = []

    def total():
        computed.append(1)
        return sum(
            s[0].figures.outstanding
            for s in selectors.portfolio_summary_many(upk_ids=[upk.pk, other.pk], as_of=SEP).values()
        )

    def read():
        digest = figures.versions_digest(units, "bkm__kelurahan__kecamatan__name")
        return figures.derived_whole("test-total", digest, total)

    first = read()
    assert read() == first and len(computed) == 1  # nothing changed: read back
    good, _late, _bad = portfolio
    services.repayments.repayment_record(
        loan=good, amount=INSTALMENT, paid_on=date(2024, 9, 20), actor=manager, idempotency_key="whole"
    )
    assert read() < first and len(computed) == 2  # a posting to one UPK: computed again
    assert read() and len(computed) == 2
    # A field named in the digest (the kecamatan the aggregate groups by) changed: computed again.
    Kecamatan.objects.filter(pk=other_bkm.kelurahan.kecamatan_id).update(name="Kecamatan Baru")
    read()
    assert len(computed) == 3
    # A UPK more or less among the inputs: another digest.
    assert figures.versions_digest(units.filter(pk=upk.pk)) != figures.versions_digest(units)


def test_derived_result_of_a_rolled_back_write_is_never_reused(upk, manager, portfolio):  # noqa: F811
    """The cache is not rolled back with the database: the next write after a rolled-back one must not
    find the result computed under the rolled-back version (versions come from a sequence: never reused)."""
    from django.db import transaction

    def outstanding(ids):
        return {
            i: s[0].figures.outstanding for i, s in selectors.portfolio_summary_many(upk_ids=ids, as_of=SEP).items()
        }

    class Rollback(Exception):
        pass

    good, late, _bad = portfolio
    before = figures.derived("test-rollback", _versions(upk.pk), outstanding)[upk.pk]
    try:
        with transaction.atomic():
            services.repayments.repayment_record(
                loan=good, amount=INSTALMENT, paid_on=date(2024, 9, 20), actor=manager, idempotency_key="gone"
            )
            rolled_back = _versions(upk.pk)
            inside = figures.derived("test-rollback", rolled_back, outstanding)[upk.pk]
            assert inside == _live(upk.pk, SEP)[0].figures.outstanding != before
            raise Rollback
    except Rollback:
        pass
    services.repayments.repayment_record(
        loan=late, amount=2 * INSTALMENT, paid_on=date(2024, 9, 20), actor=manager, idempotency_key="kept"
    )
    now = _versions(upk.pk)
    assert int(now[upk.pk]) > int(rolled_back[upk.pk])  # not the rolled-back number again
    assert figures.derived("test-rollback", now, outstanding)[upk.pk] == _live(upk.pk, SEP)[0].figures.outstanding


def test_portfolio_summary_many_with_the_rules_given_reads_the_stored_row_only(
    upk,
    portfolio,  # noqa: F811
    django_assert_num_queries,
):
    read = selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=SEP)[upk.pk]
    rules = selectors.rules_on(upk_ids=[upk.pk], as_of=SEP)
    with django_assert_num_queries(1):
        given = selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=SEP, rules=rules)[upk.pk]
    assert given[0].values == read[0].values and given[1] == read[1]
