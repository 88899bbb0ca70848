"""Repayment form: one idempotency key per rendered form, so a double submit posts once."""

from __future__ import annotations

import re

from django.urls import reverse

from upk.models import JournalEntry, Repayment, Reversal
from upk.queries import today

from .factories_ui import fund, make_portfolio


def _key(body: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', body).group(1)


def test_repayment_form_double_submit_posts_once(client, manager, upk):
    fund(upk, manager)
    loan = make_portfolio(upk, manager, 1, today=today(), paid_up_to=None)[0]
    client.force_login(manager)
    url = reverse("upk:repayment", args=[loan.pk])
    page = client.get(url).content.decode()
    assert "data-once" in page
    data = {"idempotency_key": _key(page), "amount": "500000", "paid_on": today().isoformat(), "channel": "kas"}
    entries_before = JournalEntry.objects.filter(upk=upk).count()
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Repayment.objects.filter(loan=loan).count() == 1
    assert JournalEntry.objects.filter(upk=upk).count() == entries_before + 1


def test_repayment_form_new_render_gets_new_key(client, manager, upk):
    fund(upk, manager)
    loan = make_portfolio(upk, manager, 1, today=today(), paid_up_to=None)[0]
    client.force_login(manager)
    url = reverse("upk:repayment", args=[loan.pk])
    assert _key(client.get(url).content.decode()) != _key(client.get(url).content.decode())


def test_repayment_form_shows_domain_error_and_posts_nothing(client, manager, upk):
    fund(upk, manager)
    loan = make_portfolio(upk, manager, 1, today=today(), paid_up_to=None)[0]
    client.force_login(manager)
    url = reverse("upk:repayment", args=[loan.pk])
    page = client.get(url).content.decode()
    response = client.post(
        url, {"idempotency_key": _key(page), "amount": "999999999", "paid_on": today().isoformat(), "channel": "kas"}
    )
    assert response.status_code == 200
    assert "melebihi sisa kewajiban" in response.content.decode()
    assert Repayment.objects.filter(loan=loan).count() == 0


def test_repayment_form_member_split_must_sum(client, manager, upk):
    fund(upk, manager)
    loan = make_portfolio(upk, manager, 1, today=today(), paid_up_to=None)[0]
    lm = loan.loan_members.order_by("pk").first()
    client.force_login(manager)
    url = reverse("upk:repayment", args=[loan.pk])
    page = client.get(url).content.decode()
    response = client.post(
        url,
        {
            "idempotency_key": _key(page),
            "amount": "300000",
            "paid_on": today().isoformat(),
            "channel": "kas",
            f"lm_{lm.pk}": "100000",
        },
    )
    assert response.status_code == 200
    assert "tidak sama dengan jumlah bayar" in response.content.decode()
    assert Repayment.objects.filter(loan=loan).count() == 0


def test_reversal_form_requires_reason(client, manager, upk):
    fund(upk, manager)
    loan = make_portfolio(upk, manager, 1, today=today())[0]
    rep = Repayment.objects.get(loan=loan)
    client.force_login(manager)
    url = reverse("upk:reverse", args=[rep.pk])
    response = client.post(url, {"reversed_on": today().isoformat(), "reason": ""})
    assert response.status_code == 200
    assert not Reversal.objects.exists()
    response = client.post(url, {"reversed_on": today().isoformat(), "reason": "Salah ketik jumlah"})
    assert response.status_code == 302
    assert Reversal.objects.get().reason == "Salah ketik jumlah"


def test_loan_apply_view_shows_rule_errors(client, manager, upk):
    from .factories import KSMFactory, KSMMemberFactory, LoanProductFactory

    LoanProductFactory(upk=upk)
    ksm = KSMFactory(upk=upk)
    members = [KSMMemberFactory(ksm=ksm, gender="L") for _ in range(3)]
    client.force_login(manager)
    url = reverse("upk:loan_apply", args=[upk.pk])
    page = client.get(url, {"ksm": ksm.pk})
    product = page.context["form"].fields["product"].queryset.first()
    data = {"ksm": ksm.pk, "product": product.pk, "term_months": 12, "applied_on": today().isoformat()}
    data.update({f"m_{m.pk}": "2000000" for m in members})
    body = client.post(url, data).content.decode()
    assert "sedikitnya 5 orang" in body
    assert "melebihi plafon" in body
    assert "menabung" in body
    assert not ksm.loans.exists()
