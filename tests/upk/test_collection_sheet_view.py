"""Collection sheet screen: lists every loan due with what is expected; posts
all typed payments at once or none, naming the bad row."""

from __future__ import annotations

import re

from django.urls import reverse

from upk import selectors
from upk.models import CollectionSheet, Repayment, RepaymentMember
from upk.queries import today

from .factories_ui import fund, make_portfolio


def _key(body: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', body).group(1)


def _open_sheet(client, manager, upk, n: int):
    """A funded UPK with `n` loans due today, the manager on its sheet: the
    loans, the sheet's URL, the page and the form data to fill in."""
    fund(upk, manager)
    loans = make_portfolio(upk, manager, n, today=today())
    client.force_login(manager)
    url = reverse("upk:collection_sheet", args=[upk.pk])
    page = client.get(url)
    data = {"idempotency_key": _key(page.content.decode()), "date": today().isoformat()}
    return loans, url, page, data


def _rows(response) -> dict:
    """The sheet's rows by loan pk."""
    return {t["row"].loan.pk: t for t in response.context["table"]}


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
    loans, url, page, data = _open_sheet(client, manager, upk, 3)
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
    loans, url, _page, data = _open_sheet(client, manager, upk, 3)
    data[f"amount-{loans[0].pk}"] = "100000"
    data[f"amount-{loans[1].pk}"] = "999999999"  # more than the loan owes
    data[f"amount-{loans[2].pk}"] = "abc"
    response = client.post(url, data)
    assert response.status_code == 200
    assert Repayment.objects.filter(collection_sheet__isnull=False).count() == 0
    table = _rows(response)
    assert table[loans[2].pk]["errors"]
    assert table[loans[2].pk]["value"] == "abc"
    # Fix the letters; the too-large amount is now named by the service.
    data[f"amount-{loans[2].pk}"] = "1000"
    response = client.post(url, data)
    assert response.status_code == 200
    table = _rows(response)
    assert any("melebihi" in e for e in table[loans[1].pk]["errors"])
    assert not table[loans[0].pk]["errors"]
    assert Repayment.objects.filter(collection_sheet__isnull=False).count() == 0
    assert CollectionSheet.objects.count() == 0


def test_collection_sheet_member_split_stores_member_parts(client, manager, upk):
    loans, url, page, data = _open_sheet(client, manager, upk, 2)
    body = page.content.decode()
    split_loan, plain_loan = loans
    members = list(split_loan.loan_members.order_by("pk"))
    # The member inputs are not on the sheet: opening "Bagi per anggota" fetches them (htmx).
    assert "split-input" not in body
    split_url = reverse("upk:collection_split", args=[upk.pk, split_loan.pk])
    assert f'hx-get="{split_url}"' in body
    fragment = client.get(split_url).content.decode()
    for lm in members:
        assert f'name="split-{split_loan.pk}-{lm.pk}"' in fragment
    data[f"amount-{split_loan.pk}"] = "300.000"
    data[f"split-{split_loan.pk}-{members[0].pk}"] = "200.000"
    data[f"split-{split_loan.pk}-{members[1].pk}"] = "100000"
    data[f"split-{split_loan.pk}-{members[2].pk}"] = ""
    data[f"amount-{plain_loan.pk}"] = "50000"
    data[f"split-{plain_loan.pk}-{plain_loan.loan_members.first().pk}"] = ""  # all empty: no split
    response = client.post(url, data)
    assert response.status_code == 302
    rep = Repayment.objects.get(loan=split_loan, collection_sheet__isnull=False)
    assert {p.loan_member_id: int(p.amount) for p in RepaymentMember.objects.filter(repayment=rep)} == {
        members[0].pk: 200_000,
        members[1].pk: 100_000,
    }
    plain = Repayment.objects.get(loan=plain_loan, collection_sheet__isnull=False)
    assert not RepaymentMember.objects.filter(repayment=plain).exists()
    assert selectors.ledger_drift(upk=upk) == []


def test_collection_sheet_split_not_summing_names_ksm_and_posts_nothing(client, manager, upk):
    loans, url, _page, data = _open_sheet(client, manager, upk, 2)
    bad_loan, good_loan = loans
    lm = bad_loan.loan_members.order_by("pk").first()
    data[f"amount-{bad_loan.pk}"] = "300000"
    data[f"split-{bad_loan.pk}-{lm.pk}"] = "250000"
    data[f"amount-{good_loan.pk}"] = "100000"
    response = client.post(url, data)
    assert response.status_code == 200
    table = _rows(response)
    message = " ".join(table[bad_loan.pk]["errors"])
    assert bad_loan.ksm.name in message
    assert "tidak sama dengan jumlah bayar" in message
    assert not table[good_loan.pk]["errors"]
    assert table[bad_loan.pk]["split_open"]  # the typed parts come back, opened
    assert "250000" in response.content.decode()
    assert CollectionSheet.objects.count() == 0
    assert Repayment.objects.filter(collection_sheet__isnull=False).count() == 0
    assert not RepaymentMember.objects.exists()


def test_collection_sheet_split_without_amount_names_ksm(client, manager, upk):
    (loan,), url, _page, data = _open_sheet(client, manager, upk, 1)
    lm = loan.loan_members.order_by("pk").first()
    data[f"amount-{loan.pk}"] = ""
    data[f"split-{loan.pk}-{lm.pk}"] = "1000"
    response = client.post(url, data)
    assert response.status_code == 200
    table = _rows(response)
    assert loan.ksm.name in " ".join(table[loan.pk]["errors"])
    assert CollectionSheet.objects.count() == 0


def test_collection_sheet_refuses_sen_instead_of_reading_them_as_rupiah(client, manager, upk):
    loans, url, _page, data = _open_sheet(client, manager, upk, 2)
    data[f"amount-{loans[0].pk}"] = "150.000"
    data[f"amount-{loans[1].pk}"] = "150.000,50"  # not 15.000.050
    response = client.post(url, data)
    assert response.status_code == 200
    table = _rows(response)
    assert table[loans[1].pk]["errors"] == ["«150.000,50» bukan Rupiah bulat. Tulis tanpa sen, mis. 1.500.000."]
    assert not table[loans[0].pk]["errors"]
    assert Repayment.objects.count() == Repayment.objects.filter(collection_sheet__isnull=True).count()
    assert CollectionSheet.objects.count() == 0


def test_collection_sheet_ignores_fields_named_with_other_digits(client, manager, upk):
    """`amount-²` passed `str.isdigit()` and broke `int()`: a 500 before core.params.is_number."""
    loans, url, _page, data = _open_sheet(client, manager, upk, 1)
    before = Repayment.objects.count()
    response = client.post(url, {**data, "amount-²": "1000", f"split-{loans[0].pk}-²": "5"})
    assert response.status_code == 200
    assert "Belum ada pembayaran yang diisi." in response.content.decode()
    assert Repayment.objects.count() == before and not CollectionSheet.objects.exists()
