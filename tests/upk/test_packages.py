"""Submitted means frozen: a submitted monthly package is shown from its
stored snapshot; after a staff reopening changed the month the page shows the
snapshot, the recalculation and the difference; a resubmission supersedes the
earlier package visibly (upk/packages.py, services.periods.monthly_package_submit)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from upk import packages, selectors, services
from upk.models import MonthlyPackage

from .factories import make_active_loan, make_ksm


@pytest.fixture
def october(upk, manager, capital):
    """A loan disbursed 10 May 2026 that paid nothing; October's package submitted."""
    ksm = make_ksm(upk, actor=manager, savings_from=date(2026, 1, 5))
    loan = make_active_loan(upk, manager, ksm=ksm, applied_on=date(2026, 5, 2), disbursed_on=date(2026, 5, 10))
    package = services.periods.monthly_package_submit(upk=upk, year=2026, month=10, actor=manager)
    return loan, package


def _reopen_and_pay(upk, loan, manager, staff, amount=400_000):
    services.periods.period_reopen(upk=upk, year=2026, month=10, actor=staff, reason="Setoran Oktober terlewat")
    services.repayments.repayment_record(
        loan=loan, amount=amount, paid_on=date(2026, 10, 20), actor=manager, idempotency_key="telat-okt"
    )


def _url(upk):
    return reverse("upk:package", args=[upk.pk]) + "?tahun=2026&bulan=10"


def test_monthly_package_submit_stores_the_lpp_rows_in_the_snapshot(october):
    loan, package = october
    rows = package.figures["lpp_rows"]
    assert [r["number"] for r in rows] == [loan.number]
    assert rows[0]["outstanding"] == package.figures["lpp_outstanding"] == loan.principal
    assert package.supersedes is None


def test_package_page_of_an_unchanged_month_is_the_snapshot(client, october, upk, manager):
    _loan, package = october
    client.force_login(manager)
    body = client.get(_url(upk)).content.decode()
    assert 'data-testid="package-snapshot"' in body
    assert 'data-testid="package-unchanged"' in body
    assert 'data-testid="package-differences"' not in body
    assert "Kirim ke Bappedalitbang" not in body  # the month is closed by the submission


def test_package_page_shows_snapshot_recalculation_and_difference_after_a_reopening(
    client, october, upk, manager, staff
):
    loan, package = october
    submitted_lar = package.figures["indicators"]["lar"]["value"]
    _reopen_and_pay(upk, loan, manager, staff)

    frozen = packages.submitted_package(upk=upk, year=2026, month=10)
    assert frozen is not None and frozen.package == package
    assert frozen.snapshot == package.figures  # never recomputed
    labels = {d.label: d for d in frozen.differences}
    saldo = labels["Saldo pinjaman (LPP)"]
    assert saldo.submitted == loan.principal
    assert saldo.now == selectors.monthly_package(upk=upk, year=2026, month=10).lpp.outstanding
    assert saldo.change < 0
    assert frozen.month_open and len(frozen.reopenings) == 1

    client.force_login(staff)
    body = client.get(_url(upk)).content.decode()
    snapshot_part, _sep, recalculated_part = body.partition('data-testid="package-recalculated"')
    assert 'data-testid="package-snapshot"' in snapshot_part
    assert 'data-testid="package-differences"' in snapshot_part
    assert "Saldo pinjaman (LPP)" in snapshot_part
    assert 'data-testid="package-reopened"' in snapshot_part
    assert recalculated_part  # the recalculation follows the snapshot
    # The snapshot's figure is what was submitted, not today's.
    assert MonthlyPackage.objects.get(pk=package.pk).figures["indicators"]["lar"]["value"] == submitted_lar


def test_resubmission_supersedes_the_earlier_package_visibly(client, october, upk, manager, staff):
    loan, first = october
    _reopen_and_pay(upk, loan, manager, staff)
    client.force_login(manager)
    body = client.get(_url(upk)).content.decode()
    assert "Kirim ulang (menggantikan paket" in body  # reopened: the manager may submit again

    response = client.post(_url(upk), {"year": 2026, "month": 10})
    assert response.status_code == 302
    second = MonthlyPackage.objects.exclude(pk=first.pk).get(upk=upk, year=2026, month=10)
    assert second.supersedes == first
    first.refresh_from_db()
    assert first.superseded_by == second
    assert first.figures["lpp_outstanding"] == loan.principal  # the earlier snapshot stays as it was
    assert second.figures["lpp_outstanding"] < loan.principal

    body = client.get(_url(upk)).content.decode()
    assert 'data-testid="package-supersedes"' in body and "menggantikan paket" in body
    assert 'data-testid="package-superseded"' in body and "digantikan" in body
    assert 'data-testid="package-unchanged"' in body  # the page now shows the new snapshot
    periods_page = client.get(reverse("upk:periods", args=[upk.pk])).content.decode()
    assert "digantikan" in periods_page


def test_package_differences_lists_only_what_changed():
    before = {"lpp_outstanding": 100, "indicators": {"lar": {"value": "16.67", "band": "kurang_sehat"}}}
    after = {"lpp_outstanding": 100, "indicators": {"lar": {"value": "4.17", "band": "sehat"}}}
    rows = packages.package_differences(before, after)
    assert [(d.label, d.submitted, d.now) for d in rows] == [
        ("LAR", Decimal("16.67"), Decimal("4.17")),
        ("LAR: tingkat", "Kurang Sehat", "Sehat"),
    ]
    assert packages.package_differences(before, before) == []


def test_bulanan_upk_pdf_prints_the_snapshot_and_the_difference(october, upk, manager, staff):
    from django.template.loader import render_to_string

    from core.money import format_rupiah
    from reports.builders import bulanan_upk

    loan, package = october
    _reopen_and_pay(upk, loan, manager, staff)
    context = bulanan_upk.build(params={"upk": upk.pk, "period": "2026-10"}, progress=lambda *_a: None)
    assert context["lpp_outstanding"] == package.figures["lpp_outstanding"] == loan.principal
    assert [(v.code, v.band) for v in context["indicators"]] == [
        (code, package.figures["indicators"][code]["band"]) for code in package.figures["indicators"]
    ]
    assert context["kol"].required_reserve == package.figures["required_reserve"]
    assert not context["show_books"]  # the trial balance moved: the snapshot's is printed, not today's neraca
    html = render_to_string(bulanan_upk.TEMPLATE, context)
    assert 'data-testid="pdf-snapshot"' in html
    assert "Perbedaan dengan perhitungan ulang" in html and "Saldo pinjaman (LPP)" in html
    assert format_rupiah(loan.principal) in html

    services.periods.monthly_package_submit(upk=upk, year=2026, month=10, actor=manager)
    context = bulanan_upk.build(params={"upk": upk.pk, "period": "2026-10"}, progress=lambda *_a: None)
    status = dict(context["parameter_rows"])["Status pengiriman"]
    assert "menggantikan paket" in status
    assert context["show_books"] and not context["frozen"].changed
