import re

import pytest
from playwright.sync_api import expect

from bkm.models import BKM, Kelurahan
from tests.conftest import browser_login, screenshot
from tests.factories import UserFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_filters_opens_bkm_and_adds_board_member_after_nik_error(page):
    staff = UserFactory(username="staf", role="staff_admin", first_name="Sri", last_name="Wahyuni")
    jekan = BKM.objects.create(name="BKM Isen Mulang Menteng", kelurahan=Kelurahan.objects.get(name="Menteng"))
    BKM.objects.create(name="BKM Betang Pahandut", kelurahan=Kelurahan.objects.get(name="Pahandut"))
    BKM.objects.create(name="BKM Sejahtera Tangkiling", kelurahan=Kelurahan.objects.get(name="Tangkiling"))

    browser_login(page, "staf")
    page.goto(page.base_url + "/bkm/")
    table = page.get_by_test_id("bkm-table")
    expect(table).to_contain_text("BKM Betang Pahandut")

    # Filtering by kecamatan reloads only the table (htmx) and keeps the URL shareable.
    page.select_option("#id_kecamatan", label="Jekan Raya")
    expect(table).not_to_contain_text("BKM Betang Pahandut")
    expect(table).to_contain_text("BKM Isen Mulang Menteng")
    expect(page).to_have_url(re.compile(r"kecamatan="))

    page.get_by_role("link", name="BKM Isen Mulang Menteng").click()
    expect(page.get_by_test_id("bkm-name")).to_have_text("BKM Isen Mulang Menteng")
    page.get_by_test_id("add-board-member").click()

    page.fill("#id_name", "Yuliana Bungai")
    page.fill("#id_nik", "62710145")
    page.select_option("#id_gender", "P")
    page.select_option("#id_position", "anggota")
    page.fill("#id_phone", "081349001122")
    page.fill("#id_term_start", "2025-03-01")
    page.fill("#id_term_end", "2028-03-01")
    page.get_by_role("button", name="Simpan").click()

    expect(page.get_by_text("NIK harus 16 digit angka.")).to_be_visible()
    assert not jekan.board_members.exists()

    page.fill("#id_nik", "6271014503850002")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_test_id("board-table")).to_contain_text("Yuliana Bungai")
    expect(page.get_by_test_id("board-table")).to_contain_text("6271014503850002")

    history = page.get_by_test_id("history-table")
    history.scroll_into_view_if_needed()
    row = history.locator("tr", has_text="Yuliana Bungai")
    expect(row).to_contain_text("dibuat")
    expect(row).to_contain_text(str(staff))
    screenshot(page, "bkm-board-member")
