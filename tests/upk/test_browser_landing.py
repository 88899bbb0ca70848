"""A UPK manager on a 390 px phone: landing page → arrears → repayment typed as printed ("Rp 560.500")."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import browser_login, screenshot
from tests.factories import UserFactory
from upk import services
from upk.models import Repayment
from upk.queries import today

from .factories_ui import fund, make_portfolio


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_phone_landing_to_repayment_typed_as_printed(page, bkm):
    upk = bkm.units.get(unit_type="upk")
    services.settings.upk_setup(upk=upk)
    manager = UserFactory(role="upk_manager", username="manajer_hp")
    manager.upk_units.set([upk])
    fund(upk, manager)
    loan = make_portfolio(upk, manager, 2, today=today(), months_ago=4, paid_up_to=1)[0]

    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, "manajer_hp")
    page.goto(page.base_url + "/")
    page.wait_for_selector("[data-testid=landing-upk]")
    assert page.get_by_test_id("start-collection-sheet").is_visible()
    assert page.get_by_test_id("due-today-total").inner_text().startswith("Rp ")
    # Nothing on the landing page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "upk-landing-phone")

    page.locator(f"[data-testid=arrears] tr[data-loan='{loan.number}']").get_by_role("link", name=loan.number).click()
    page.wait_for_url(f"**/upk/pinjaman/{loan.pk}/")
    page.goto(f"{page.base_url}/upk/pinjaman/{loan.pk}/bayar/")
    amount = page.locator("input[name=amount]")
    assert amount.get_attribute("type") == "text" and amount.get_attribute("inputmode") == "numeric"
    prefilled = amount.input_value()
    assert "." in prefilled and prefilled.replace(".", "").isdigit()
    amount.fill("Rp 560.500")
    screenshot(page, "upk-repayment-phone")
    page.get_by_role("button", name="Simpan pembayaran").click()
    page.wait_for_url(lambda url: "/bayar/" not in url)
    assert Repayment.objects.filter(loan=loan, amount=Decimal(560_500)).count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_phone_landing_starts_the_collection_sheet_typed_as_printed(page, bkm):
    upk = bkm.units.get(unit_type="upk")
    services.settings.upk_setup(upk=upk)
    manager = UserFactory(role="upk_manager", username="manajer_tagih")
    manager.upk_units.set([upk])
    fund(upk, manager)
    loan = make_portfolio(upk, manager, 1, today=today(), months_ago=3, paid_up_to=1)[0]

    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, "manajer_tagih")
    page.goto(page.base_url + "/")
    page.get_by_test_id("start-collection-sheet").click()
    page.wait_for_selector("[data-testid=collection-sheet]")
    page.locator(f"tr[data-loan='{loan.number}'] input").first.fill("560.500")
    page.get_by_test_id("submit-sheet").click()
    page.wait_for_selector("[data-testid=sheet-result]")
    screenshot(page, "upk-collection-sheet-from-landing")
    assert Repayment.objects.filter(loan=loan, amount=Decimal(560_500)).count() == 1
