"""A UPK manager on a 390 px phone, every step a tap on what the page renders (issue 10, item 2).

Landing page -> the UPK's arrears worklist -> today's collection sheet, amounts typed the way the portal
prints them ("560.500", "Rp 560.500") -> the receipts of the posted sheet -> one receipt's page -> its PDF.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from pypdf import PdfReader

from tests.conftest import browser_login, screenshot
from tests.factories import UserFactory
from tests.upk.factories_ui import fund, make_portfolio
from upk import services
from upk.models import Repayment
from upk.queries import today


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_journey_on_phone_collects_amounts_typed_as_printed(phone, bkm, tmp_path):
    page = phone
    upk = bkm.units.get(unit_type="upk")
    services.settings.upk_setup(upk=upk)
    manager = UserFactory(role="upk_manager", username="manajer_hp")
    manager.upk_units.set([upk])
    fund(upk, manager)
    # Disbursed three months ago, the first instalment paid: both loans in arrears, on today's sheet.
    first, second = make_portfolio(upk, manager, 2, today=today(), months_ago=3, paid_up_to=1)

    browser_login(page, "manajer_hp")
    landing = page.get_by_test_id("landing-upk")
    landing.wait_for()
    assert page.get_by_test_id("due-today-total").inner_text().startswith("Rp ")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # The due list: the UPK's arrears worklist, both loans in it with formatted amounts.
    landing.get_by_role("link", name="Buka halaman UPK").tap()
    page.wait_for_url(f"**/upk/{upk.pk}/")
    arrears = page.get_by_test_id("arrears")
    for loan in (first, second):
        assert arrears.locator(f"tr[data-loan='{loan.number}'] td").nth(3).inner_text().startswith("Rp ")
    page.get_by_test_id("open-collection-sheet").tap()
    sheet = page.get_by_test_id("collection-sheet")
    sheet.wait_for()

    sheet.locator(f"tr[data-loan='{first.number}'] input").fill("560.500")
    sheet.locator(f"tr[data-loan='{second.number}'] input").fill("Rp 560.500")
    assert page.locator("[data-sheet-total]").inner_text() == "Rp 1.121.000"
    screenshot(page, "journey-manager-sheet")
    page.get_by_test_id("submit-sheet").tap()
    result = page.get_by_test_id("sheet-result")
    result.wait_for()

    # The receipts: one per loan, numbered as stored, amounts as printed.
    for loan in (first, second):
        rep = Repayment.objects.get(loan=loan, collection_sheet__isnull=False)
        assert rep.amount == Decimal(560_500)
        row = result.locator(f"tr[data-loan='{loan.number}']")
        assert row.locator("td").nth(1).inner_text() == rep.receipt_number
        # The receipt number reads on one line (not broken at its hyphens on the phone).
        assert row.get_by_role("link", name=rep.receipt_number).evaluate("a => a.getClientRects().length") == 1
        assert row.locator("td").nth(2).inner_text() == "Rp 560.500"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "journey-manager")

    receipt = Repayment.objects.get(loan=first, collection_sheet__isnull=False)
    # The phone's browser opens the PDF itself (inline) and keeps no body for that navigation: the
    # bytes are fetched again from the very URL it opened, with its session.
    # The receipt number opens the kuitansi page (issue 14); its PDF is one tap further.
    result.get_by_role("link", name=receipt.receipt_number).tap()
    page.get_by_test_id("receipt-words").wait_for()
    with page.expect_response(lambda r: "/kuitansi.pdf" in r.url) as answer:
        page.get_by_role("link", name="Unduh PDF").tap()
    assert answer.value.status == 200
    assert answer.value.headers["content-type"] == "application/pdf"
    target = tmp_path / "kuitansi.pdf"
    target.write_bytes(page.context.request.get(answer.value.url).body())
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(target).pages).split())
    assert receipt.receipt_number in text
    assert "Rp 560.500" in text
