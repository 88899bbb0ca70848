"""Amounts typed the way the portal prints them are accepted on every UPK form (issue 10)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.forms.models import model_to_dict
from django.urls import reverse

from upk.models import Loan, LoanProduct, Repayment, SavingsTransaction
from upk.queries import today
from upk.services.registry import PRODUCT_TERMS

from .factories import make_ksm
from .factories_ui import fund, make_portfolio


def _key(body: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', body).group(1)


def _value(body: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', body).group(0)
    return re.search(r'value="([^"]*)"', tag).group(1)


def test_repayment_form_accepts_rp_and_grouped_amount(client, manager, upk):
    fund(upk, manager)
    loan = make_portfolio(upk, manager, 1, today=today(), paid_up_to=None)[0]
    client.force_login(manager)
    url = reverse("upk:repayment", args=[loan.pk])
    page = client.get(url).content.decode()
    data = {"idempotency_key": _key(page), "amount": "Rp 560.500", "paid_on": today().isoformat(), "channel": "kas"}
    assert client.post(url, data).status_code == 302
    assert Repayment.objects.get(loan=loan).amount == Decimal(560_500)


def test_repayment_form_prefills_the_arrears_as_printed(client, manager, upk):
    fund(upk, manager)
    loan = make_portfolio(upk, manager, 1, today=today(), paid_up_to=None)[0]
    client.force_login(manager)
    page = client.get(reverse("upk:repayment", args=[loan.pk])).content.decode()
    shown = _value(page, "amount")
    assert re.fullmatch(r"\d{1,3}(\.\d{3})+", shown), shown
    assert 'inputmode="numeric"' in page and 'type="number"' not in page


def test_repayment_form_refuses_sen_saying_what_was_typed(client, manager, upk):
    fund(upk, manager)
    loan = make_portfolio(upk, manager, 1, today=today(), paid_up_to=None)[0]
    client.force_login(manager)
    url = reverse("upk:repayment", args=[loan.pk])
    page = client.get(url).content.decode()
    data = {"idempotency_key": _key(page), "amount": "150.000,50", "paid_on": today().isoformat(), "channel": "kas"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "«150.000,50» bukan Rupiah bulat" in response.content.decode()
    assert not Repayment.objects.filter(loan=loan).exists()


def test_savings_form_accepts_grouped_amount(client, manager, upk):
    fund(upk, manager)
    ksm = make_ksm(upk, members=5, actor=manager)
    client.force_login(manager)
    url = reverse("upk:savings", args=[ksm.pk])
    page = client.get(url).content.decode()
    data = {
        "idempotency_key": _key(page),
        "kind": "deposit",
        "amount": "560.500",
        "date": today().isoformat(),
        "channel": "kas",
    }
    assert client.post(url, data).status_code == 302
    assert SavingsTransaction.objects.filter(ksm=ksm, amount=Decimal(560_500)).exists()


def test_loan_apply_form_accepts_grouped_member_amounts(client, manager, upk):
    fund(upk, manager)
    ksm = make_ksm(upk, members=5, actor=manager, savings_from=date(2024, 1, 5))
    product = LoanProduct.objects.create(upk=upk, name="Bergulir", jasa_rate=Decimal("1.5"))
    client.force_login(manager)
    url = reverse("upk:loan_apply", args=[upk.pk]) + f"?ksm={ksm.pk}"
    data = {"product": product.pk, "term_months": 12, "applied_on": date(2024, 5, 2).isoformat(), "purpose": "Warung"}
    for member in ksm.members.all():
        data[f"m_{member.pk}"] = "Rp 1.000.000"
    response = client.post(url, data)
    assert response.status_code == 302, re.findall(
        r"(?:invalid-feedback|alert-danger)[^>]*>(.*?)</", response.content.decode(), re.S
    )
    assert Loan.objects.get(ksm=ksm).principal == Decimal(5_000_000)


def test_product_form_accepts_rate_with_comma_and_grouped_fee(client, manager, upk):
    client.force_login(manager)
    data = {
        **{k: v for k, v in model_to_dict(LoanProduct(), fields=PRODUCT_TERMS).items() if v is not False},
        "name": "Pinjaman Koma",
        "jasa_rate": "1,5",
        "bop_rate": "0,25",
        "late_fee_enabled": "on",
        "late_fee_amount": "Rp 5.000",
    }
    response = client.post(reverse("upk:product_create", args=[upk.pk]), data)
    assert response.status_code == 302, re.findall(
        r"(?:invalid-feedback|alert-danger)[^>]*>(.*?)</", response.content.decode(), re.S
    )
    product = LoanProduct.objects.get(name="Pinjaman Koma")
    assert (product.jasa_rate, product.bop_rate, product.late_fee_amount) == (
        Decimal("1.5"),
        Decimal("0.25"),
        Decimal(5000),
    )
    page = client.get(reverse("upk:product_edit", args=[upk.pk, product.pk])).content.decode()
    assert _value(page, "jasa_rate") == "1,5" and _value(page, "late_fee_amount") == "5.000"
