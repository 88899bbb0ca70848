"""Guards on dates and on what the collection sheet asks: nothing is posted
dated after today (WIB) unless the UPK allows a few days ahead, and the sheet's
"Tagihan" clears the instalments it lists, late fee included."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from upk import selectors, services
from upk.ledger.errors import LedgerError
from upk.models import CollectionSheet, Instalment, Repayment, Reversal

from .factories import LoanProductFactory, make_active_loan


def _today() -> date:
    return timezone.localdate()


def _key(body: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', body).group(1)


def test_repayment_record_refuses_date_after_today(loan, manager):
    tomorrow = _today() + timedelta(days=1)
    with pytest.raises(LedgerError, match="belum tiba"):
        services.repayments.repayment_record(
            loan=loan, amount=491_600, paid_on=tomorrow, actor=manager, idempotency_key="fut"
        )
    assert not Repayment.objects.exists()


def test_repayment_record_accepts_today(loan, manager):
    rep = services.repayments.repayment_record(
        loan=loan, amount=491_600, paid_on=_today(), actor=manager, idempotency_key="now"
    )
    assert rep.paid_on == _today()


def test_repayment_record_allows_days_ahead_the_upk_set(loan, manager, upk):
    services.settings.upk_settings_update(upk=upk, actor=manager, posting_days_ahead=3)
    rep = services.repayments.repayment_record(
        loan=loan, amount=100_000, paid_on=_today() + timedelta(days=3), actor=manager, idempotency_key="ahead-3"
    )
    assert rep.pk
    with pytest.raises(LedgerError, match="terlalu jauh ke depan"):
        services.repayments.repayment_record(
            loan=loan, amount=100_000, paid_on=_today() + timedelta(days=4), actor=manager, idempotency_key="ahead-4"
        )


def test_upk_settings_update_refuses_more_than_a_week_ahead(upk, manager):
    with pytest.raises(LedgerError, match="paling banyak 7 hari"):
        services.settings.upk_settings_update(upk=upk, actor=manager, posting_days_ahead=30)


def test_collection_sheet_post_refuses_date_after_today(loan, manager, upk):
    with pytest.raises(LedgerError, match="belum tiba"):
        services.repayments.collection_sheet_post(
            upk=upk,
            date=_today() + timedelta(days=1),
            payments={loan.pk: 491_600},
            actor=manager,
            idempotency_key="sheet-future",
        )
    assert not CollectionSheet.objects.exists()
    assert not Repayment.objects.exists()


def test_collection_sheet_post_refuses_empty_sheet_after_today(upk, manager):
    with pytest.raises(LedgerError, match="belum tiba"):
        services.repayments.collection_sheet_post(
            upk=upk, date=_today() + timedelta(days=2), payments={}, actor=manager, idempotency_key="sheet-empty"
        )


def test_repayment_reverse_refuses_date_after_today(loan, manager):
    rep = services.repayments.repayment_record(
        loan=loan, amount=491_600, paid_on=date(2024, 6, 10), actor=manager, idempotency_key="to-reverse"
    )
    with pytest.raises(LedgerError, match="belum tiba"):
        services.repayments.repayment_reverse(
            repayment=rep, reversed_on=_today() + timedelta(days=1), reason="salah ketik", actor=manager
        )
    assert not Reversal.objects.exists()


def test_savings_deposit_refuses_date_after_today(loan, manager):
    with pytest.raises(LedgerError, match="belum tiba"):
        services.savings.savings_deposit(
            ksm=loan.ksm, amount=10_000, date=_today() + timedelta(days=1), actor=manager, idempotency_key="sav-fut"
        )


def test_repayment_form_refuses_date_after_today(client, loan, manager):
    client.force_login(manager)
    url = reverse("upk:repayment", args=[loan.pk])
    page = client.get(url).content.decode()
    tomorrow = _today() + timedelta(days=1)
    response = client.post(
        url, {"idempotency_key": _key(page), "amount": "491600", "paid_on": tomorrow.isoformat(), "channel": "kas"}
    )
    assert response.status_code == 200
    assert "belum tiba" in response.content.decode()
    assert not Repayment.objects.exists()


def test_repayment_reverse_form_refuses_date_after_today(client, loan, manager):
    rep = services.repayments.repayment_record(
        loan=loan, amount=491_600, paid_on=date(2024, 6, 10), actor=manager, idempotency_key="form-reverse"
    )
    client.force_login(manager)
    response = client.post(
        reverse("upk:reverse", args=[rep.pk]),
        {"reversed_on": (_today() + timedelta(days=1)).isoformat(), "reason": "salah ketik"},
    )
    assert response.status_code == 200
    assert "belum tiba" in response.content.decode()
    assert not Reversal.objects.exists()


def test_collection_sheet_form_refuses_date_after_today(client, loan, manager, upk):
    client.force_login(manager)
    url = reverse("upk:collection_sheet", args=[upk.pk])
    tomorrow = _today() + timedelta(days=1)
    page = client.get(url, {"tanggal": tomorrow.isoformat()})
    data = {"idempotency_key": _key(page.content.decode()), "date": tomorrow.isoformat()}
    data[f"amount-{loan.pk}"] = "491.600"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "belum tiba" in response.content.decode()
    assert not Repayment.objects.exists()


@pytest.fixture
def late_loan(upk, manager, capital):
    """The standard loan (instalment 491 600 due the 10th) with a Rp 10 000
    late fee after 3 days' grace."""
    product = LoanProductFactory(upk=upk, late_fee_enabled=True, late_fee_amount=Decimal(10_000), late_fee_grace_days=3)
    return make_active_loan(upk, manager, product=product)


def test_due_list_tagihan_includes_late_fee_and_clears_the_instalments(late_loan, manager, upk):
    on = date(2024, 7, 20)  # instalments 1 (10 June) and 2 (10 July) late, each past the grace days
    row = {r.loan.pk: r for r in selectors.due_list(upk=upk, on=on)}[late_loan.pk]
    assert row.denda == 20_000
    assert row.expected == 2 * 491_600 + 20_000
    assert row.n_arrears == 2
    services.repayments.collection_sheet_post(
        upk=upk, date=on, payments={late_loan.pk: row.expected}, actor=manager, idempotency_key="sheet-late"
    )
    position = selectors.loan_position(late_loan, as_of=on)
    assert position.n_arrears == 0
    assert position.arrears_amount == 0
    paid = Instalment.objects.filter(loan=late_loan, number__in=[1, 2]).order_by("number")
    assert [(int(i.paid_pokok + i.paid_jasa + i.paid_bop), int(i.paid_denda)) for i in paid] == [
        (491_600, 10_000),
        (491_600, 10_000),
    ]
    assert selectors.due_list(upk=upk, on=on) == []


def test_due_list_within_grace_has_no_late_fee(late_loan, upk):
    row = {r.loan.pk: r for r in selectors.due_list(upk=upk, on=date(2024, 6, 13))}[late_loan.pk]
    assert (row.expected, row.denda) == (491_600, 0)


def test_collection_sheet_says_tagihan_includes_late_fee(client, late_loan, manager, upk):
    client.force_login(manager)
    body = client.get(reverse("upk:collection_sheet", args=[upk.pk]), {"tanggal": "2024-07-20"}).content.decode()
    assert 'data-testid="row-denda"' in body
    assert "denda" in body.split('data-testid="row-denda"')[1].split("</small>")[0]
    assert 'data-testid="tagihan-note"' in body
