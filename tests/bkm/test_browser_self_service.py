"""Issue 15, clicking from the rendered pages: a coordinator submits a proposal, staff return it
with a note, the coordinator corrects and resubmits, staff accept it into the pipeline."""

import pytest
from playwright.sync_api import expect

from bkm.models import BKM, Kelurahan, Notice, Proposal
from tests.conftest import browser_login, screenshot
from tests.factories import OPDFactory, UserFactory


def _login_as(page, username: str) -> None:
    page.context.clear_cookies()
    browser_login(page, username)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_coordinator_submits_staff_return_coordinator_resubmits_staff_accept(page):
    bkm = BKM.objects.create(name="BKM Isen Mulang Menteng", kelurahan=Kelurahan.objects.get(name="Menteng"))
    UserFactory(username="staf", role="staff_admin", first_name="Sri", last_name="Wahyuni")
    UserFactory(username="koordinator", role="bkm_member", bkm=bkm, is_coordinator=True, first_name="Yohanes")
    OPDFactory(name="Dinas Pekerjaan Umum dan Penataan Ruang", acronym="Dinas PUPR")

    # The coordinator drafts the proposal from "Pengajuan saya" and submits it.
    _login_as(page, "koordinator")
    page.get_by_test_id("nav-submissions").first.click()
    page.get_by_test_id("new-proposal").click()
    page.fill("#id_title", "Titian ulin gang Damai")
    page.select_option("#id_opd", label="Dinas PUPR")
    page.fill("#id_location", "RT 03/RW 01")
    page.select_option("#id_aspect", "roads")
    page.fill("#id_year", "2027")
    page.fill("#id_budget_proposed", "180.000.000")
    page.select_option("#id_funding_source", "apbd")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_test_id("proposal-status")).to_have_text("Draf BKM")
    page.get_by_test_id("transition-submit").click()
    expect(page.get_by_test_id("proposal-status")).to_have_text("Diajukan BKM, menunggu verifikasi")

    # Staff find it in the verification queue and return it with a note.
    _login_as(page, "staf")
    page.get_by_test_id("nav-submissions").first.click()
    page.get_by_test_id("submission-table").get_by_role("link", name="Titian ulin gang Damai").click()
    page.select_option("#id_to_status", "dikembalikan")
    page.fill("#id_note", "Lampirkan RAB yang ditandatangani.")
    page.get_by_test_id("transition-submit").click()
    expect(page.get_by_test_id("proposal-status")).to_have_text("Dikembalikan ke BKM")

    # The coordinator sees where it stands and why, corrects it and resubmits.
    _login_as(page, "koordinator")
    page.get_by_test_id("nav-submissions").first.click()
    expect(page.get_by_test_id("submission-stage").first).to_have_text("Dikembalikan ke BKM")
    expect(page.get_by_test_id("return-note")).to_contain_text("Lampirkan RAB")
    expect(page.get_by_test_id("notices")).to_contain_text("Titian ulin gang Damai")
    screenshot(page, "bkm-self-service-returned")
    page.get_by_test_id("submission-table").get_by_role("link", name="Titian ulin gang Damai").click()
    page.get_by_role("link", name="Ubah usulan").click()
    page.fill("#id_budget_proposed", "165.000.000")
    page.get_by_role("button", name="Simpan").click()
    page.fill("#id_note", "RAB sudah dilampirkan.")
    page.get_by_test_id("transition-submit").click()
    expect(page.get_by_test_id("proposal-status")).to_have_text("Diajukan BKM, menunggu verifikasi")

    # Staff accept it: the pipeline's own table takes over from "Diusulkan".
    _login_as(page, "staf")
    page.get_by_test_id("nav-submissions").first.click()
    page.get_by_test_id("submission-table").get_by_role("link", name="Titian ulin gang Damai").click()
    page.select_option("#id_to_status", "diusulkan")
    page.get_by_test_id("transition-submit").click()
    expect(page.get_by_test_id("proposal-status")).to_have_text("Diusulkan")
    expect(page.locator("#id_to_status option")).to_have_text(["Dibahas"])

    _login_as(page, "koordinator")
    page.get_by_test_id("nav-submissions").first.click()
    expect(page.get_by_test_id("submission-stage").first).to_have_text("Diterima")
    screenshot(page, "bkm-self-service-accepted")

    proposal = Proposal.objects.get(title="Titian ulin gang Damai")
    assert proposal.budget_proposed == 165_000_000
    assert list(proposal.events.order_by("at", "pk").values_list("to_status", flat=True)) == [
        "draf",
        "diajukan",
        "dikembalikan",
        "diajukan",
        "diusulkan",
    ]
    assert Notice.objects.filter(user__username="koordinator").count() == 2
