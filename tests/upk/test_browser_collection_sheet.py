"""A UPK manager collects payments on today's collection sheet from a phone."""

from __future__ import annotations

import re

import pytest

from tests.conftest import browser_login, screenshot
from tests.factories import UserFactory
from upk import selectors, services
from upk.queries import today

from .factories_ui import fund, make_portfolio


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_collection_sheet_short_payment_changes_arrears_and_kolektibilitas(page, bkm):
    upk = bkm.units.get(unit_type="upk")
    services.settings.upk_setup(upk=upk)
    manager = UserFactory(role="upk_manager", username="manajer_lapangan")
    manager.upk_units.set([upk])
    fund(upk, manager)
    # Disbursed 3 months ago, first instalment paid: 2 instalments in arrears each (DPK).
    loans = make_portfolio(upk, manager, 4, today=today(), months_ago=3, paid_up_to=1)
    short = loans[1]
    before = selectors.kolektibilitas(upk=upk, as_of=today())
    assert before.buckets[1].loans == 4

    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, "manajer_lapangan")
    page.goto(f"{page.base_url}/upk/{upk.pk}/")
    assert page.get_by_test_id("kol-dpk-loans").inner_text() == "4"
    page.get_by_test_id("open-collection-sheet").click()
    page.wait_for_selector("[data-testid=collection-sheet]")

    for loan in loans:
        row = page.locator(f"tr[data-loan='{loan.number}']")
        if loan.pk == short.pk:
            row.locator("input").fill("150000")
        else:
            row.get_by_role("button", name="Penuh").click()
    assert page.locator("[data-sheet-total]").inner_text().startswith("Rp ")
    screenshot(page, "upk-collection-sheet")
    page.get_by_test_id("submit-sheet").click()
    page.wait_for_selector("[data-testid=sheet-result]")

    short_row = page.locator(f"[data-testid=sheet-result] tr[data-loan='{short.number}']")
    assert short_row.get_by_test_id("arrears-after").inner_text() != "Rp 0"
    assert int(short_row.get_by_test_id("n-arrears-after").inner_text()) >= 1
    for loan in loans:
        if loan.pk != short.pk:
            row = page.locator(f"[data-testid=sheet-result] tr[data-loan='{loan.number}']")
            assert row.get_by_test_id("arrears-after").inner_text() == "Rp 0"
    assert page.get_by_test_id("kol-dpk-loans").inner_text() == "1"
    assert page.get_by_test_id("kol-lancar-loans").inner_text() == "3"
    screenshot(page, "upk-collection-sheet-posted")

    # The loan card shows the short-paid loan still in arrears.
    page.goto(f"{page.base_url}/upk/pinjaman/{short.pk}/")
    assert re.match(r"^[1-9]", page.get_by_test_id("loan-n-arrears").inner_text())
    after = selectors.kolektibilitas(upk=upk, as_of=today())
    assert after.buckets[1].loans == 1
    assert after.buckets[0].loans == 3


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_collection_sheet_member_split_on_phone(page, bkm):
    upk = bkm.units.get(unit_type="upk")
    services.settings.upk_setup(upk=upk)
    manager = UserFactory(role="upk_manager", username="manajer_bagi")
    manager.upk_units.set([upk])
    fund(upk, manager)
    loan = make_portfolio(upk, manager, 1, today=today(), months_ago=3, paid_up_to=1)[0]
    members = list(loan.loan_members.order_by("pk"))

    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, "manajer_bagi")
    page.goto(f"{page.base_url}/upk/{upk.pk}/penagihan/")
    page.locator(f"tr[data-loan='{loan.number}'] input").fill("200000")
    split = page.locator(f"tr[data-split-for='{loan.number}']")
    split.get_by_text("Bagi per anggota").click()
    split.locator(f"#split-{loan.pk}-{members[0].pk}").fill("150000")
    total = split.locator("[data-split-sum]")
    assert total.inner_text() == "Rp 150.000 / Rp 200.000"
    assert "text-danger" in (total.get_attribute("class") or "")
    split.locator(f"#split-{loan.pk}-{members[1].pk}").fill("50000")
    assert "text-success" in (total.get_attribute("class") or "")
    page.get_by_test_id("submit-sheet").click()
    page.wait_for_selector("[data-testid=sheet-result]")
    rep = loan.repayments.get(collection_sheet__isnull=False)
    assert sorted(int(p.amount) for p in rep.member_parts.all()) == [50_000, 150_000]
