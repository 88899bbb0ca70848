"""UPK rules with effective dates: a manager proposes, a staff admin approves
(maker-checker); the new rules take effect from the first open month, and no
figure of a closed month moves (indicators, kolektibilitas, reserve, package)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from upk import selectors, services
from upk.ledger.errors import LedgerError
from upk.models import ApprovalStatus, UpkRuleVersion

from .factories import make_active_loan, make_ksm

OCT = date(2026, 10, 31)


@pytest.fixture
def late_book(upk, manager, capital):
    """A loan disbursed 10 May 2026 that paid nothing: 5 instalments in
    arrears at the end of October (Kurang Lancar, at risk under the default
    rules), October closed."""
    ksm = make_ksm(upk, actor=manager, savings_from=date(2026, 1, 5))
    loan = make_active_loan(upk, manager, ksm=ksm, applied_on=date(2026, 5, 2), disbursed_on=date(2026, 5, 10))
    services.periods.period_close(upk=upk, year=2026, month=10, actor=manager)
    return loan


def _figures(upk, as_of: date) -> dict:
    ind, kol = selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=as_of)[upk.pk]
    detail = selectors.kolektibilitas(upk=upk, as_of=as_of)
    return {
        "indicators": {code: (v.value, v.band) for code, v in ind.values.items()},
        "buckets": [(b.loans, b.outstanding) for b in kol.buckets],
        "detail_buckets": [(b.loans, b.outstanding) for b in detail.buckets],
        "required_reserve": detail.required_reserve,
    }


def _package(upk) -> dict:
    package = selectors.monthly_package(upk=upk, year=2026, month=10)
    return {
        "indicators": {code: (v.value, v.band) for code, v in package.indicators.values.items()},
        "kol": [(b.loans, b.outstanding) for b in package.kolektibilitas.buckets],
        "lpp_buckets": [row.kol for row in package.lpp.rows],
    }


LENIENT = {"risk_instalments": 8, "kol_kl_from": 7, "kol_d_from": 8, "kol_m_from": 10}


def test_manager_rule_change_does_not_alter_a_closed_month(late_book, upk, manager, staff):
    before, package_before = _figures(upk, OCT), _package(upk)
    assert before["buckets"][2][0] == 1  # Kurang Lancar under the default rules
    assert before["indicators"]["lar"][0] == 100
    today_before = _figures(upk, timezone.localdate())

    services.settings.upk_settings_update(upk=upk, actor=manager, **LENIENT)
    version = UpkRuleVersion.objects.get(upk=upk)
    assert version.status == ApprovalStatus.PROPOSED
    assert version.effective_from == date(2026, 11, 1)  # the first open month
    # A proposal changes nothing, today included.
    assert _figures(upk, timezone.localdate()) == today_before

    with pytest.raises(PermissionDenied):
        services.settings.upk_rules_decide(version=version, approve=True, actor=manager)
    services.settings.upk_rules_decide(version=version, approve=True, actor=staff)
    version.refresh_from_db()
    assert (version.status, version.decided_by, version.proposed_by) == (ApprovalStatus.APPROVED, staff, manager)

    assert _figures(upk, OCT) == before
    assert _package(upk) == package_before
    after = _figures(upk, timezone.localdate())
    assert after["indicators"]["lar"][0] == 0  # 8 instalments in arrears needed to be at risk now (it has 6)
    assert after != today_before


def test_rule_proposal_needs_a_different_staff_admin(late_book, upk, staff):
    version = services.settings.upk_rules_propose(upk=upk, actor=staff, reason="Uji", risk_instalments=4)
    with pytest.raises(LedgerError, match="staf lain"):
        services.settings.upk_rules_decide(version=version, approve=True, actor=staff)


def test_rule_rejection_needs_a_reason_and_changes_nothing(late_book, upk, manager, staff):
    version = services.settings.upk_rules_propose(upk=upk, actor=manager, reason="Longgarkan", **LENIENT)
    with pytest.raises(LedgerError, match="Alasan penolakan"):
        services.settings.upk_rules_decide(version=version, approve=False, actor=staff)
    before = _figures(upk, timezone.localdate())
    services.settings.upk_rules_decide(version=version, approve=False, actor=staff, reason="Tidak sesuai pedoman")
    assert _figures(upk, timezone.localdate()) == before


def test_approval_after_a_later_close_takes_effect_after_it(late_book, upk, manager, staff):
    version = services.settings.upk_rules_propose(upk=upk, actor=manager, reason="Longgarkan", **LENIENT)
    services.periods.period_close(upk=upk, year=2026, month=11, actor=manager)
    nov = _figures(upk, date(2026, 11, 30))
    services.settings.upk_rules_decide(version=version, approve=True, actor=staff)
    version.refresh_from_db()
    assert version.effective_from == date(2026, 12, 1)
    assert _figures(upk, date(2026, 11, 30)) == nov


def test_rules_screen_proposes_and_staff_approves(client, late_book, upk, manager, staff):
    client.force_login(manager)
    url = reverse("upk:rules", args=[upk.pk])
    page = client.get(url)
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    data["risk_instalments"] = 6
    response = client.post(url, data)
    assert response.status_code == 302
    version = UpkRuleVersion.objects.get(upk=upk)
    assert version.status == ApprovalStatus.PROPOSED
    client.force_login(staff)
    body = client.get(url).content.decode()
    assert 'data-testid="rule-approve"' in body
    client.post(reverse("upk:rules_decide", args=[version.pk]), {"approve": "1"})
    version.refresh_from_db()
    assert version.status == ApprovalStatus.APPROVED


def _closed_month_screens(client, upk) -> dict:
    """What the screens and the API show for October 2026 (closed, submitted)."""
    reserve = client.get(reverse("upk:reserve", args=[upk.pk]) + "?as_of=2026-10-31")
    api = client.get("/api/upk-indikator/?period=2026-10").json()
    row = next(r for r in api["results"] if r["upk"] == upk.pk)
    return {
        "reserve_kol": [(b.code, b.loans, b.outstanding, b.rate, b.required) for b in reserve.context["kol"].buckets],
        "reserve_required": reserve.context["kol"].required_reserve,
        "reserve_proposal": reserve.context["kol"].proposed_adjustment,
        "api": {k: v for k, v in row.items() if k not in ("bkm_name", "kecamatan_name")},
        "package_unchanged": 'data-testid="package-unchanged"'
        in client.get(reverse("upk:package", args=[upk.pk]) + "?tahun=2026&bulan=10").content.decode(),
    }


def test_approved_rule_change_leaves_every_figure_of_a_submitted_month(client, upk, manager, staff, capital):
    """Kolektibilitas buckets, risk instalments and reserve rates all change
    (manager proposes, staff approve); October — submitted — keeps its
    indicators, kolektibilitas, reserve and package on every screen and in
    the API, while today's figures follow the new rules."""
    ksm = make_ksm(upk, actor=manager, savings_from=date(2026, 1, 5))
    make_active_loan(upk, manager, ksm=ksm, applied_on=date(2026, 5, 2), disbursed_on=date(2026, 5, 10))
    services.periods.monthly_package_submit(upk=upk, year=2026, month=10, actor=manager)
    client.force_login(staff)
    before = _closed_month_screens(client, upk)
    assert before["package_unchanged"]
    assert before["reserve_required"] > 0
    today_before = _figures(upk, timezone.localdate())
    october_before = _figures(upk, OCT)

    version = services.settings.upk_rules_propose(
        upk=upk, actor=manager, reason="Longgarkan", reserve_kl="1", reserve_d="2", reserve_m="5", **LENIENT
    )
    services.settings.upk_rules_decide(version=version, approve=True, actor=staff)

    assert _closed_month_screens(client, upk) == before
    assert _figures(upk, OCT) == october_before
    assert _figures(upk, timezone.localdate()) != today_before
