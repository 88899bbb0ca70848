"""Tanggung renteng screen: by UPK decision the KSM's savings pay a loan's
arrears — posted once, by the UPK's manager only, refused input changes nothing."""

from __future__ import annotations

import re

from django.urls import reverse

from tests.factories import UserFactory
from upk import selectors, services
from upk.models import JournalEntry, Repayment, SavingsKind, SavingsTransaction
from upk.queries import today

from .factories_ui import fund, make_portfolio


def _key(body: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', body).group(1)


def _loan_in_arrears(upk, manager):
    fund(upk, manager)
    loan = make_portfolio(upk, manager, 1, today=today())[0]
    assert selectors.loan_position(loan, as_of=today()).arrears_amount > 0
    return loan


def _data(key: str, amount: str, **extra: str) -> dict[str, str]:
    return {
        "idempotency_key": key,
        "amount": amount,
        "date": today().isoformat(),
        "decision": "Keputusan rapat UPK no. 7/2024: tanggung renteng",
        "confirm": "on",
        **extra,
    }


def test_savings_cover_posts_once_and_lowers_arrears_and_savings(client, manager, upk):
    loan = _loan_in_arrears(upk, manager)
    balance = selectors.savings_balance(loan.ksm)
    arrears = selectors.loan_position(loan, as_of=today()).arrears_amount
    client.force_login(manager)
    card = client.get(reverse("upk:loan_card", args=[loan.pk])).content.decode()
    url = reverse("upk:savings_cover", args=[loan.pk])
    assert url in card
    assert url in client.get(reverse("upk:ksm_detail", args=[loan.ksm_id])).content.decode()
    page = client.get(url)
    body = page.content.decode()
    assert "data-once" in body
    assert page.context["balance"] == balance == 40_000
    data = _data(_key(body), "30000")
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    covers = SavingsTransaction.objects.filter(ksm=loan.ksm, kind=SavingsKind.ARREARS_COVER)
    assert covers.count() == 1
    cover = covers.get()
    assert cover.decision.startswith("Keputusan rapat UPK")
    assert cover.repayment.channel == "savings"
    assert Repayment.objects.filter(loan=loan).count() == 2  # the portfolio's first payment + this one
    assert selectors.savings_balance(loan.ksm) == balance - 30_000
    assert selectors.loan_position(loan, as_of=today()).arrears_amount == arrears - 30_000
    assert selectors.ledger_drift(upk=upk) == []


def test_savings_cover_refused_for_staff_bkm_member_and_other_manager(client, manager, staff, upk, bkm):
    loan = _loan_in_arrears(upk, manager)
    url = reverse("upk:savings_cover", args=[loan.pk])
    other = UserFactory(role="upk_manager", username="manajer_lain")
    bkm_member = UserFactory(role="bkm_member", bkm=bkm, username="anggota_bkm")
    viewer = UserFactory(role="staff_viewer", username="peninjau_upk")
    entries = JournalEntry.objects.count()
    for user, codes in ((staff, {403}), (viewer, {403}), (bkm_member, {403, 404}), (other, {404})):
        client.force_login(user)
        assert client.get(url).status_code in codes, user.username
        assert client.post(url, _data(f"k-{user.pk}", "10000")).status_code in codes, user.username
        card = client.get(reverse("upk:loan_card", args=[loan.pk])).content.decode()
        assert url not in card
    assert not SavingsTransaction.objects.filter(kind=SavingsKind.ARREARS_COVER).exists()
    assert JournalEntry.objects.count() == entries


def test_savings_cover_bad_input_shows_message_and_changes_nothing(client, manager, upk):
    loan = _loan_in_arrears(upk, manager)
    client.force_login(manager)
    url = reverse("upk:savings_cover", args=[loan.pk])
    key = _key(client.get(url).content.decode())
    entries = JournalEntry.objects.count()
    cases = [
        (_data(key, "50000"), "__all__", "Saldo tabungan tidak cukup"),  # balance is Rp 40.000
        (_data(key, "10000", decision=""), "decision", ""),
        ({k: v for k, v in _data(key, "10000").items() if k != "confirm"}, "confirm", "Centang konfirmasi"),
        (_data(key, "10000", date="2020-01-01"), "__all__", ""),  # before the loan was disbursed
    ]
    for data, field, message in cases:
        response = client.post(url, data)
        assert response.status_code == 200
        assert field in response.context["form"].errors, data
        assert message in response.content.decode()
    assert not SavingsTransaction.objects.filter(kind=SavingsKind.ARREARS_COVER).exists()
    assert Repayment.objects.filter(loan=loan).count() == 1
    assert JournalEntry.objects.count() == entries
    assert selectors.savings_balance(loan.ksm) == 40_000


def test_savings_cover_more_than_owed_is_refused(client, manager, upk):
    loan = _loan_in_arrears(upk, manager)
    arrears = selectors.loan_position(loan, as_of=today()).arrears_amount
    services.savings.savings_deposit(
        ksm=loan.ksm, amount=arrears * 2, date=today(), actor=manager, idempotency_key="big-deposit"
    )
    client.force_login(manager)
    url = reverse("upk:savings_cover", args=[loan.pk])
    key = _key(client.get(url).content.decode())
    response = client.post(url, _data(key, str(arrears + 1)))
    assert response.status_code == 200
    assert "melebihi tunggakan" in response.content.decode()
    assert not SavingsTransaction.objects.filter(kind=SavingsKind.ARREARS_COVER).exists()
