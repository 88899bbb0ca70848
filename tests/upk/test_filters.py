"""UPK lists: the FilterSet's set is what page 1, page 2 (the rendered link) and the export carry."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from tests.links import csv_rows, link_href
from upk.filters import JournalFilterSet, KSMFilterSet, LoanFilterSet
from upk.models import KSM, JournalEntry, Loan
from upk.queries import today

from .factories import KSMFactory
from .factories_ui import fund, make_portfolio

pytestmark = pytest.mark.django_db


def _pages(client, url: str) -> str:
    page1 = client.get(url).content.decode()
    page2 = client.get(link_href(url, page1, "Berikutnya")).content.decode()
    return page1 + page2


def test_ksm_list_filter_page_two_and_export_agree(client, manager, upk):
    for _ in range(27):
        KSMFactory(upk=upk)
    for name in ("Kelompok Mawar", "Kelompok Melati"):
        KSMFactory(upk=upk, name=name)
    client.force_login(manager)
    url = reverse("upk:ksm_list", args=[upk.pk]) + "?q=maju"
    expected = set(KSMFilterSet({"q": "maju"}, queryset=KSM.objects.filter(upk=upk)).qs.values_list("code", flat=True))
    assert len(expected) == 27
    both = _pages(client, url)
    assert {c for c in expected if f"<td>{c}</td>" in both} == expected
    assert "Kelompok Mawar" not in both
    page1 = client.get(url).content.decode()
    rows = csv_rows(client.get(link_href(url, page1, "CSV")))
    assert {r[0] for r in rows[1:]} == expected


def test_loan_list_filter_page_two_and_export_agree(client, manager, upk):
    fund(upk, manager)
    loans = make_portfolio(upk, manager, 28, today=today())
    KSM.objects.filter(pk=loans[0].ksm_id).update(name="Kelompok Lain")
    client.force_login(manager)
    url = reverse("upk:loan_list", args=[upk.pk]) + "?q=maju&status=active"
    expected = set(
        LoanFilterSet({"q": "maju", "status": "active"}, queryset=Loan.objects.filter(upk=upk)).qs.values_list(
            "number", flat=True
        )
    )
    assert len(expected) == 27 and loans[0].number not in expected
    both = _pages(client, url)
    assert {n for n in expected if f">{n}</a>" in both} == expected
    assert f">{loans[0].number}</a>" not in both
    page1 = client.get(url).content.decode()
    rows = csv_rows(client.get(link_href(url, page1, "CSV")))
    assert {r[0] for r in rows[1:]} == expected
    # Another status: nothing, and the export says the same.
    empty = client.get(reverse("upk:loan_list", args=[upk.pk]), {"status": "written_off", "format": "csv"})
    assert csv_rows(empty)[1:] == []


def test_journal_filter_page_two_and_export_agree(client, manager, upk):
    fund(upk, manager)
    make_portfolio(upk, manager, 8, today=today())
    client.force_login(manager)
    period = {"dari": "2000-01-01", "sampai": today().isoformat()}
    url = (
        reverse("upk:journal", args=[upk.pk])
        + f"?dari={period['dari']}&sampai={period['sampai']}&jenis=savings_deposit"
    )
    expected = set(
        JournalFilterSet({"jenis": "savings_deposit"}, queryset=JournalEntry.objects.filter(upk=upk)).qs.values_list(
            "number", flat=True
        )
    )
    assert len(expected) == 32  # 4 deposits for each of the 8 KSMs
    both = _pages(client, url)
    assert {n for n in expected if f"<td>{n}</td>" in both} == expected
    page1 = client.get(url).content.decode()
    rows = csv_rows(client.get(link_href(url, page1, "CSV")))
    assert {r[0] for r in rows[1:]} == {str(n) for n in expected}
    assert {r[2] for r in rows[1:]} == {"Setoran tabungan KSM"}


def test_journal_query_count_is_flat_with_filter(client, manager, upk, django_assert_max_num_queries):
    fund(upk, manager)
    make_portfolio(upk, manager, 3, today=today())
    client.force_login(manager)
    url = reverse("upk:journal", args=[upk.pk])
    params = {"dari": date(2000, 1, 1).isoformat(), "jenis": "savings_deposit"}
    client.get(url, params)
    with django_assert_max_num_queries(14):
        assert client.get(url, params).status_code == 200
    make_portfolio(upk, manager, 10, today=today())
    with django_assert_max_num_queries(14):
        assert client.get(url, params).status_code == 200
