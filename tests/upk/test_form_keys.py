"""Form keys (idempotency) are issued by the server for one user and one UPK: a key replayed by another
user or sent to another UPK is refused and posts nothing; the stored key names the UPK and the actor."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import BKMFactory, UserFactory
from upk import services
from upk.ledger.errors import LedgerError
from upk.ledger.idempotency import form_key_issue, form_key_open
from upk.models import CollectionSheet, JournalEntry, Repayment
from upk.queries import today

from .factories_ui import fund, make_portfolio

REFUSED = "Formulir ini tidak berlaku untuk Anda atau UPK ini"


def _key(body: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', body).group(1)


@pytest.fixture
def colleague(upk):
    """A second manager of the same UPK."""
    user = UserFactory(role="upk_manager", username="manajer_kedua")
    user.upk_units.set([upk])
    return user


@pytest.fixture
def other_upk(db):
    unit = BKMFactory().units.get(unit_type="upk")
    services.settings.upk_setup(upk=unit)
    return unit


def test_form_key_issue_is_random_and_signed(manager, upk):
    keys = {form_key_issue(actor_id=manager.pk, upk_id=upk.pk) for _ in range(50)}
    assert len(keys) == 50
    nonce, _sep, signature = next(iter(keys)).partition(":")
    assert len(nonce) == 24 and len(signature) >= 40  # 18 random bytes, HMAC-SHA256


def test_form_key_open_gives_a_key_bound_to_the_actor(manager, upk):
    token = form_key_issue(actor_id=manager.pk, upk_id=upk.pk)
    key = form_key_open(token, actor_id=manager.pk, upk_id=upk.pk)
    assert key == f"a{manager.pk}-{token.partition(':')[0]}"


@pytest.mark.parametrize("where", ["another actor", "another upk", "made up", "tampered", "empty"])
def test_form_key_open_refuses_keys_not_issued_to_this_actor_and_upk(manager, colleague, upk, other_upk, where):
    token = form_key_issue(actor_id=manager.pk, upk_id=upk.pk)
    actor_id, upk_id = manager.pk, upk.pk
    if where == "another actor":
        actor_id = colleague.pk
    elif where == "another upk":
        upk_id = other_upk.pk
    elif where == "made up":
        token = "0123456789abcdef0123456789abcdef"
    elif where == "tampered":
        token = "A" + token[1:] if token[0] != "A" else "B" + token[1:]
    else:
        token = ""
    with pytest.raises(LedgerError, match=REFUSED):
        form_key_open(token, actor_id=actor_id, upk_id=upk_id)


def test_repayment_form_key_replayed_by_another_manager_posts_nothing(client, manager, colleague, upk):
    fund(upk, manager)
    loan = make_portfolio(upk, manager, 1, today=today(), paid_up_to=None)[0]
    url = reverse("upk:repayment", args=[loan.pk])
    client.force_login(manager)
    data = {
        "idempotency_key": _key(client.get(url).content.decode()),
        "amount": "500000",
        "paid_on": today().isoformat(),
        "channel": "kas",
    }
    assert client.post(url, data).status_code == 302
    first = Repayment.objects.get(loan=loan)
    assert first.idempotency_key.startswith(f"{upk.pk}:a{manager.pk}-")
    # The colleague sends the manager's form (its key) again: refused, not "recorded" with the manager's receipt.
    client.force_login(colleague)
    response = client.post(url, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert REFUSED in body
    assert Repayment.objects.filter(loan=loan).count() == 1
    # The page shown again carries a key of the colleague's own: sending it posts the colleague's payment.
    fresh = _key(body)
    assert fresh != data["idempotency_key"]
    assert client.post(url, {**data, "idempotency_key": fresh}).status_code == 302
    assert Repayment.objects.filter(loan=loan).count() == 2
    assert Repayment.objects.exclude(pk=first.pk).get().idempotency_key.startswith(f"{upk.pk}:a{colleague.pk}-")


def test_cash_voucher_form_key_sent_to_another_upk_posts_nothing(client, manager, upk, other_upk):
    manager.upk_units.add(other_upk)  # a manager of both UPKs
    fund(upk, manager)
    fund(other_upk, manager)
    client.force_login(manager)
    here = reverse("upk:cash_voucher", args=[upk.pk, "out"])
    there = reverse("upk:cash_voucher", args=[other_upk.pk, "out"])
    key = _key(client.get(here).content.decode())
    page = client.get(there)
    account = page.context["form"].fields["account"].queryset.first()
    entries = JournalEntry.objects.filter(upk=other_upk).count()
    data = {
        "idempotency_key": key,
        "account": account.pk,
        "amount": "10000",
        "date": today().isoformat(),
        "description": "ATK",
        "channel": "kas",
    }
    response = client.post(there, data)
    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert JournalEntry.objects.filter(upk=other_upk).count() == entries


def test_collection_sheet_key_replayed_by_another_manager_posts_nothing(client, manager, colleague, upk):
    fund(upk, manager)
    loans = make_portfolio(upk, manager, 2, today=today())
    url = reverse("upk:collection_sheet", args=[upk.pk])
    client.force_login(manager)
    data = {
        "idempotency_key": _key(client.get(url).content.decode()),
        "date": today().isoformat(),
        f"amount-{loans[0].pk}": "10000",
    }
    assert client.post(url, data).status_code == 302
    sheet = CollectionSheet.objects.get(upk=upk)
    client.force_login(colleague)
    response = client.post(url, data)
    assert response.status_code == 200  # not the manager's sheet as "posted"
    body = response.content.decode()
    assert REFUSED in body
    assert list(CollectionSheet.objects.filter(upk=upk)) == [sheet]
    assert _key(body) != data["idempotency_key"]
    # The manager's own double submit still answers with the sheet it posted.
    client.force_login(manager)
    again = client.post(url, data)
    assert again.status_code == 302 and again["Location"].endswith(f"/{sheet.pk}/")
    assert CollectionSheet.objects.filter(upk=upk).count() == 1
