from __future__ import annotations

import pytest

from forum import library_services as services
from tests.conftest import browser_login, screenshot
from tests.factories import BKMFactory, UserFactory
from tests.forum.library_factories import make_material, pdf


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_member_searches_the_library_and_opens_a_materials_versions(page):
    staff = UserFactory(username="staf", role="staff_admin")
    UserFactory(username="anggota", role="bkm_member", bkm=BKMFactory())
    material = make_material(
        staff,
        title="SOP Penagihan Angsuran KSM",
        description="Langkah menangani KSM yang menunggak.",
        category="sop",
    )
    services.material_add_version(user=staff, material=material, upload=pdf("v2.pdf"), note="Revisi setelah rapat")
    make_material(staff, title="Templat AD/ART BKM", category="templat")

    browser_login(page, "anggota")
    page.click("[data-testid=nav-library]")
    page.fill("input[name=cari]", "tunggakan")  # a word family: finds "menunggak" in the description
    with page.expect_navigation():
        page.click("[data-testid=library-search]")
    assert "cari=tunggakan" in page.url
    links = page.locator("[data-testid=material-link]")
    assert links.count() == 1 and links.first.inner_text() == "SOP Penagihan Angsuran KSM"
    links.first.click()
    page.wait_for_selector("[data-testid=material-title]")
    rows = page.locator("[data-testid=version-row]")
    assert rows.count() == 2
    assert "terbaru" in rows.first.inner_text() and "Revisi setelah rapat" in rows.first.inner_text()
    with page.expect_download() as download:
        rows.nth(1).locator("a").click()
    assert download.value.suggested_filename == "materi.pdf"
    screenshot(page, "library-material-versions")
