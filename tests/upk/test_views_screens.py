"""Every UPK screen renders for its manager, and exports come out in both formats."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from upk.models import Repayment
from upk.queries import today

from .factories_ui import fund, make_portfolio


@pytest.fixture
def book(upk, manager):
    fund(upk, manager)
    loans = make_portfolio(upk, manager, 3, today=today())
    return loans


def _pages(upk, loan, rep):
    account = upk.accounts.get(role="kas")
    return [
        reverse("upk:list"),
        reverse("upk:home", args=[upk.pk]),
        reverse("upk:ksm_list", args=[upk.pk]),
        reverse("upk:ksm_create", args=[upk.pk]),
        reverse("upk:ksm_detail", args=[loan.ksm_id]),
        reverse("upk:member_add", args=[loan.ksm_id]),
        reverse("upk:savings", args=[loan.ksm_id]),
        reverse("upk:loan_list", args=[upk.pk]),
        reverse("upk:loan_apply", args=[upk.pk]),
        reverse("upk:loan_apply", args=[upk.pk]) + f"?ksm={loan.ksm_id}",
        reverse("upk:loan_card", args=[loan.pk]),
        reverse("upk:repayment", args=[loan.pk]),
        reverse("upk:reschedule", args=[loan.pk]),
        reverse("upk:writeoff", args=[loan.pk]),
        reverse("upk:reverse", args=[rep.pk]),
        reverse("upk:collection_sheet", args=[upk.pk]),
        reverse("upk:collection_sheet", args=[upk.pk]) + "?cetak=1",
        reverse("upk:cash_voucher", args=[upk.pk, "in"]),
        reverse("upk:cash_voucher", args=[upk.pk, "out"]),
        reverse("upk:capital", args=[upk.pk]),
        reverse("upk:reserve", args=[upk.pk]),
        reverse("upk:year_end", args=[upk.pk]),
        reverse("upk:periods", args=[upk.pk]),
        reverse("upk:package", args=[upk.pk]),
        reverse("upk:journal", args=[upk.pk]) + "?dari=2020-01-01",
        reverse("upk:cash_book", args=[upk.pk]) + "?dari=2020-01-01",
        reverse("upk:cash_book", args=[upk.pk]) + "?buku=bank",
        reverse("upk:general_ledger", args=[upk.pk, account.pk]),
        reverse("upk:trial_balance", args=[upk.pk]),
        reverse("upk:neraca", args=[upk.pk]),
        reverse("upk:laba_rugi", args=[upk.pk]),
    ]


def test_upk_screens_render_for_manager(client, manager, upk, book):
    rep = Repayment.objects.filter(loan=book[0]).first()
    client.force_login(manager)
    for url in _pages(upk, book[0], rep):
        response = client.get(url)
        assert response.status_code == 200, url


def test_upk_screens_render_for_staff(client, staff, upk, book):
    client.force_login(staff)
    for url in [
        reverse("upk:list"),
        reverse("upk:home", args=[upk.pk]),
        reverse("upk:loan_card", args=[book[0].pk]),
        reverse("upk:approvals"),
    ]:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "name",
    [
        "upk:ksm_list",
        "upk:loan_list",
        "upk:journal",
        "upk:cash_book",
        "upk:trial_balance",
        "upk:neraca",
        "upk:laba_rugi",
    ],
)
def test_exports_csv_and_xlsx(client, manager, upk, book, name):
    client.force_login(manager)
    url = reverse(name, args=[upk.pk])
    csv_response = client.get(url, {"format": "csv", "dari": "2020-01-01"})
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"].startswith("text/csv")
    assert len(csv_response.content.decode("utf-8-sig").splitlines()) >= 2
    xlsx_response = client.get(url, {"format": "xlsx", "dari": "2020-01-01"})
    assert xlsx_response.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx_response.content))
    assert wb.active.max_row >= 2


def test_upk_list_export_lists_visible_upks(client, staff, upk, book):
    client.force_login(staff)
    response = client.get(reverse("upk:list"), {"format": "csv"})
    body = response.content.decode("utf-8-sig")
    assert upk.name in body


def test_receipt_pdf_has_receipt_number(client, manager, upk, book):
    from pypdf import PdfReader

    rep = Repayment.objects.filter(loan=book[0]).first()
    client.force_login(manager)
    response = client.get(reverse("upk:receipt", args=[rep.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert rep.receipt_number in text
