"""Scope of every UPK screen, export, receipt and form.

A manager of UPK A gets 404 on UPK B's objects and pages (or 403 where the
page is a write), staff read all but cannot post, BKM members see summary
indicators only, NIKs are masked outside the holding UPK.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from upk import services
from upk.models import Repayment
from upk.queries import today

from .factories_ui import fund, make_portfolio


@pytest.fixture
def other_upk(other_bkm):
    unit = other_bkm.units.get(unit_type="upk")
    services.settings.upk_setup(upk=unit)
    return unit


@pytest.fixture
def other_manager(other_upk):
    user = UserFactory(role="upk_manager", username="manajer_b")
    user.upk_units.set([other_upk])
    return user


@pytest.fixture
def b_loan(other_upk, other_manager):
    fund(other_upk, other_manager)
    return make_portfolio(other_upk, other_manager, 1, today=today())[0]


def _b_urls(upk, loan):
    rep = Repayment.objects.filter(loan=loan).first()
    account = upk.accounts.get(role="kas")
    summary = [
        reverse("upk:home", args=[upk.pk]),
        reverse("upk:trial_balance", args=[upk.pk]),
        reverse("upk:trial_balance", args=[upk.pk]) + "?format=csv",
        reverse("upk:neraca", args=[upk.pk]),
        reverse("upk:neraca", args=[upk.pk]) + "?format=xlsx",
        reverse("upk:laba_rugi", args=[upk.pk]),
        reverse("upk:package", args=[upk.pk]),
        reverse("upk:periods", args=[upk.pk]),
        reverse("upk:reserve", args=[upk.pk]),
    ]
    borrowers = [
        reverse("upk:ksm_list", args=[upk.pk]),
        reverse("upk:ksm_list", args=[upk.pk]) + "?format=csv",
        reverse("upk:ksm_detail", args=[loan.ksm_id]),
        reverse("upk:loan_list", args=[upk.pk]),
        reverse("upk:loan_list", args=[upk.pk]) + "?format=xlsx",
        reverse("upk:loan_card", args=[loan.pk]),
        reverse("upk:receipt", args=[rep.pk]),
        reverse("upk:collection_sheet", args=[upk.pk]),
        reverse("upk:journal", args=[upk.pk]),
        reverse("upk:journal", args=[upk.pk]) + "?format=csv",
        reverse("upk:cash_book", args=[upk.pk]),
        reverse("upk:cash_book", args=[upk.pk]) + "?format=xlsx",
        reverse("upk:general_ledger", args=[upk.pk, account.pk]),
    ]
    writes = [
        reverse("upk:repayment", args=[loan.pk]),
        reverse("upk:savings_cover", args=[loan.pk]),
        reverse("upk:reverse", args=[rep.pk]),
        reverse("upk:member_add", args=[loan.ksm_id]),
        reverse("upk:savings", args=[loan.ksm_id]),
        reverse("upk:loan_decide", args=[loan.pk]),
        reverse("upk:loan_disburse", args=[loan.pk]),
        reverse("upk:reschedule", args=[loan.pk]),
        reverse("upk:writeoff", args=[loan.pk]),
        reverse("upk:recovery", args=[loan.pk]),
        reverse("upk:ksm_create", args=[upk.pk]),
        reverse("upk:loan_apply", args=[upk.pk]),
        reverse("upk:cash_voucher", args=[upk.pk, "in"]),
        reverse("upk:capital", args=[upk.pk]),
        reverse("upk:year_end", args=[upk.pk]),
    ]
    return summary, borrowers, writes


def test_manager_of_a_gets_404_on_every_page_of_b(client, manager, upk, other_upk, b_loan):
    client.force_login(manager)
    summary, borrowers, writes = _b_urls(other_upk, b_loan)
    for url in summary + borrowers + writes:
        assert client.get(url).status_code == 404, url
    for url in writes:
        assert client.post(url, {"amount": "1000"}).status_code == 404, url


def test_manager_of_a_cannot_post_b_collection_sheet(client, manager, other_upk, b_loan):
    client.force_login(manager)
    response = client.post(
        reverse("upk:collection_sheet", args=[other_upk.pk]), {"idempotency_key": "x", f"amount-{b_loan.pk}": "1000"}
    )
    assert response.status_code == 404
    assert Repayment.objects.filter(loan=b_loan).count() == 1


def test_upk_list_shows_only_own_upk_to_manager(client, manager, upk, other_upk, b_loan):
    client.force_login(manager)
    body = client.get(reverse("upk:list")).content.decode()
    assert upk.name in body
    assert other_upk.name not in body
    csv_body = client.get(reverse("upk:list"), {"format": "csv"}).content.decode("utf-8-sig")
    assert other_upk.name not in csv_body


def test_staff_reads_all_but_cannot_post(client, staff_viewer, other_upk, b_loan):
    client.force_login(staff_viewer)
    summary, borrowers, writes = _b_urls(other_upk, b_loan)
    for url in summary + borrowers:
        assert client.get(url).status_code == 200, url
    for url in writes:
        assert client.get(url).status_code == 403, url
    response = client.post(
        reverse("upk:repayment", args=[b_loan.pk]),
        {"idempotency_key": "k1", "amount": "1000", "paid_on": today().isoformat(), "channel": "kas"},
    )
    assert response.status_code == 403
    assert Repayment.objects.filter(loan=b_loan).count() == 1


def test_staff_sees_masked_nik(client, staff_viewer, other_upk, b_loan):
    member = b_loan.ksm.members.first()
    client.force_login(staff_viewer)
    body = client.get(reverse("upk:ksm_detail", args=[b_loan.ksm_id])).content.decode()
    assert member.nik not in body
    assert member.nik[:4] + "••" in body


def test_holding_manager_sees_full_nik(client, other_manager, b_loan):
    member = b_loan.ksm.members.first()
    client.force_login(other_manager)
    body = client.get(reverse("upk:ksm_detail", args=[b_loan.ksm_id])).content.decode()
    assert member.nik in body


def test_bkm_member_sees_summary_not_borrowers(client, other_bkm, other_upk, b_loan):
    member_user = UserFactory(role="bkm_member", bkm=other_bkm, username="anggota_b")
    client.force_login(member_user)
    summary, borrowers, writes = _b_urls(other_upk, b_loan)
    home = client.get(reverse("upk:home", args=[other_upk.pk]))
    assert home.status_code == 200
    body = home.content.decode()
    assert b_loan.ksm.name not in body
    assert b_loan.number not in body
    for url in borrowers:
        assert client.get(url).status_code in (403, 404), url
    for url in writes:
        assert client.get(url).status_code in (403, 404), url


def test_bkm_member_of_other_bkm_gets_404(client, bkm, other_upk, b_loan):
    member_user = UserFactory(role="bkm_member", bkm=bkm, username="anggota_a")
    client.force_login(member_user)
    assert client.get(reverse("upk:home", args=[other_upk.pk])).status_code == 404


def test_reopen_is_staff_admin_only(client, manager, staff, upk):
    client.force_login(manager)
    response = client.post(
        reverse("upk:periods", args=[upk.pk]),
        {"action": "reopen", "reopen-year": "2024", "reopen-month": "1", "reopen-reason": "x"},
    )
    assert response.status_code == 403


def test_approvals_page_hidden_from_managers(client, manager):
    client.force_login(manager)
    assert client.get(reverse("upk:approvals")).status_code == 404
