"""A UPK manager at a KSM meeting on a 360 px phone, every step a tap (issue 14).

Menu (the navbar's toggler) -> the UPK -> today's collection sheet -> one KSM's payment split per
member (inputs fetched when asked for) -> the others paid in full -> the result -> a kuitansi with
the amount in words -> the chair's WhatsApp number set -> the kuitansi sent by WhatsApp (a wa.me
link with the text and the receipt link) -> the chair opens that link without a login -> logout.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import browser_login, screenshot
from tests.factories import UserFactory
from tests.upk.factories_ui import fund, make_portfolio
from upk import receipts, services
from upk.models import Repayment, RepaymentMember
from upk.queries import today

PHONE = {"width": 360, "height": 740}


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_collects_splits_and_sends_receipt_by_whatsapp(phone, bkm, _playwright_browser):
    page = phone
    page.set_viewport_size(PHONE)
    upk = bkm.units.get(unit_type="upk")
    services.settings.upk_setup(upk=upk)
    manager = UserFactory(role="upk_manager", username="manajer_rakumpit")
    manager.upk_units.set([upk])
    fund(upk, manager)
    split_loan, other = make_portfolio(upk, manager, 2, today=today(), months_ago=3, paid_up_to=1)
    members = list(split_loan.loan_members.order_by("pk"))

    browser_login(page, "manajer_rakumpit")
    _fits(page)
    # The main menu opens from its toggler (no Bootstrap bundle: static/js/ui.js).
    toggler = page.locator(".navbar-toggler")
    toggler.tap()
    page.locator("#mainnav.show").wait_for()
    assert toggler.get_attribute("aria-expanded") == "true"
    toggler.tap()

    page.get_by_test_id("start-collection-sheet").tap()
    sheet = page.get_by_test_id("collection-sheet")
    sheet.wait_for()
    _fits(page)
    assert sheet.locator("input.split-input").count() == 0
    split = sheet.locator(f"tr[data-split-for='{split_loan.number}']")
    split.get_by_text("Bagi per anggota").tap()
    split.locator(f"#split-{split_loan.pk}-{members[0].pk}").fill("300.000")  # fetched on demand
    split.locator(f"#split-{split_loan.pk}-{members[1].pk}").fill("200000")
    sheet.locator(f"tr[data-loan='{split_loan.number}'] input.amount-input").fill("500.000")
    assert "text-success" in (split.locator("[data-split-sum]").get_attribute("class") or "")
    sheet.locator(f"tr[data-loan='{other.number}']").get_by_role("button", name="Penuh").tap()
    _fits(page)
    screenshot(page, "journey-field-sheet")
    page.get_by_test_id("submit-sheet").tap()
    result = page.get_by_test_id("sheet-result")
    result.wait_for()
    _fits(page)

    rep = Repayment.objects.get(loan=split_loan, collection_sheet__isnull=False)
    assert sorted(int(p.amount) for p in RepaymentMember.objects.filter(repayment=rep)) == [200_000, 300_000]
    row = result.locator(f"tr[data-loan='{split_loan.number}']")
    assert row.get_by_test_id("wa-receipt").get_attribute("href").startswith("https://wa.me/?text=")
    row.get_by_role("link", name=rep.receipt_number).tap()
    words = page.get_by_test_id("receipt-words")
    words.wait_for()
    assert words.inner_text() == "# Lima ratus ribu rupiah #"
    assert page.get_by_test_id("receipt-instalments").inner_text().startswith("2")
    _fits(page)

    # No number for the chair yet: set it from the receipt, come back.
    page.get_by_role("link", name="Ubah kontak ketua").tap()
    page.get_by_label("Nama ketua KSM").fill("Ibu Sari")
    page.get_by_label("Nomor WhatsApp ketua").fill("0812-3456-7890")
    page.get_by_role("button", name="Simpan").tap()
    page.get_by_test_id("ksm-chair").wait_for()
    assert "6281234567890" in page.get_by_test_id("ksm-chair").inner_text()
    page.go_back()
    page.go_back()
    page.reload()
    wa = page.get_by_test_id("wa-receipt").get_attribute("href")
    assert wa.startswith("https://wa.me/6281234567890?text=")
    text = parse_qs(urlsplit(wa).query)["text"][0]
    assert rep.receipt_number in text and "lima ratus ribu rupiah" in text
    share = page.get_by_test_id("share-link").get_attribute("href")
    assert share in text
    screenshot(page, "journey-field-receipt")

    # The chair, on another phone and without a login, opens the link from WhatsApp.
    chair = _playwright_browser.new_context(viewport=PHONE, locale="id-ID", is_mobile=True, has_touch=True)
    try:
        chair_page = chair.new_page()
        chair_page.goto(page.base_url + urlsplit(share).path)  # the link names PORTAL_BASE_URL
        assert chair_page.get_by_test_id("receipt-amount").inner_text() == "Rp 500.000"
        assert chair_page.get_by_test_id("receipt-words").inner_text() == f"# {receipts.rupiah_words(500_000)} #"
        assert chair_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        chair.close()

    # The user menu is a dropdown (ui.js): it opens, and logging out works.
    page.locator(".navbar-toggler").tap()
    page.get_by_test_id("user-menu").tap()
    page.get_by_test_id("logout").tap()
    page.wait_for_url("**/akun/masuk/**")
