"""Collection sheet screen: lists every loan due with what is expected; posts
all typed payments at once or none, naming the bad row."""

from __future__ import annotations

import re

from django.urls import reverse

from upk import selectors
from upk.models import CollectionSheet, Repayment
from upk.queries import today

from .factories_ui import fund, make_portfolio


def _key(body: str) -> str:
    return re.search(r'name="idempotency_key" value="([0-9a-f]+)"', body).group(1)


def test_collection_sheet_lists_every_due_loan_with_expected(client, manager, upk):
    fund(upk, manager)
    loans = make_portfolio(upk, manager, 3, today=today())
    client.force_login(manager)
    response = client.get(reverse("upk:collection_sheet", args=[upk.pk]))
    body = response.content.decode()
    rows = {t["row"].loan.pk: t["row"].expected for t in response.context["table"]}
    assert set(rows) == {loan.pk for loan in loans}
    for loan in loans:
        assert f'name="amount-{loan.pk}"' in body
        assert rows[loan.pk] == selectors.loan_position(loan, as_of=today()).arrears_amount > 0


def test_collection_sheet_print_blank_has_no_inputs(client, manager, upk):
    fund(upk, manager)
    make_portfolio(upk, manager, 2, today=today())
    client.force_login(manager)
    body = client.get(reverse("upk:collection_sheet", args=[upk.pk]), {"cetak": "1"}).content.decode()
    assert "amount-" not in body
    assert "Paraf" in body


def test_collection_sheet_posts_all_once(client, manager, upk):
    fund(upk, manager)
    loans = make_portfolio(upk, manager, 3, today=today())
    client.force_login(manager)
    url = reverse("upk:collection_sheet", args=[upk.pk])
    page = client.get(url)
    data = {"idempotency_key": _key(page.content.decode()), "date": today().isoformat()}
    expected = {t["row"].loan.pk: t["row"].expected for t in page.context["table"]}
    for loan in loans:
        data[f"amount-{loan.pk}"] = str(expected[loan.pk])
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert CollectionSheet.objects.filter(upk=upk).count() == 1
    assert Repayment.objects.filter(collection_sheet__isnull=False).count() == 3
    for loan in loans:
        assert selectors.loan_position(loan, as_of=today()).n_arrears == 0
    done = client.get(first["Location"])
    assert done.status_code == 200
    assert "kolektibilitas" in done.content.decode()


def test_collection_sheet_bad_row_posts_nothing_and_names_row(client, manager, upk):
    fund(upk, manager)
    loans = make_portfolio(upk, manager, 3, today=today())
    client.force_login(manager)
    url = reverse("upk:collection_sheet", args=[upk.pk])
    page = client.get(url)
    data = {"idempotency_key": _key(page.content.decode()), "date": today().isoformat()}
    data[f"amount-{loans[0].pk}"] = "100000"
    data[f"amount-{loans[1].pk}"] = "999999999"  # more than the loan owes
    data[f"amount-{loans[2].pk}"] = "abc"
    response = client.post(url, data)
    assert response.status_code == 200
    assert Repayment.objects.filter(collection_sheet__isnull=False).count() == 0
    table = {t["row"].loan.pk: t for t in response.context["table"]}
    assert table[loans[2].pk]["errors"]
    assert table[loans[2].pk]["value"] == "abc"
    # Fix the letters; the too-large amount is now named by the service.
    data[f"amount-{loans[2].pk}"] = "1000"
    response = client.post(url, data)
    assert response.status_code == 200
    table = {t["row"].loan.pk: t for t in response.context["table"]}
    assert any("melebihi" in e for e in table[loans[1].pk]["errors"])
    assert not table[loans[0].pk]["errors"]
    assert Repayment.objects.filter(collection_sheet__isnull=False).count() == 0
    assert CollectionSheet.objects.count() == 0
