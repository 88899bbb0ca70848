"""Staff on a desktop, every step a click on what the page renders (issue 10, item 2).

Only the login page is typed; from the dashboard on the journey follows links, buttons and fields.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from bkm.models import ProposalStatus
from reports.models import WarningAcknowledgement
from tests.conftest import browser_login, screenshot
from tests.factories import BKMFactory, UserFactory


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_staff_journey_warning_proposal_bkm_list_export_and_report(
    page, celery_worker, collaboration, monkeypatch, tmp_path
):
    # Small pages so a handful of BKMs reach page 2 (the live server runs in this process).
    monkeypatch.setattr("bkm.views.PAGE_SIZE", 3)
    for _ in range(5):
        BKMFactory(name=f"BKM Mawar {_ + 1}")
    BKMFactory(name="BKM Melati")
    UserFactory(role="staff_admin", username="staf")
    stuck = collaboration["proposals"][2]
    assert stuck.status == ProposalStatus.DIBAHAS
    stuck.history.model.objects.filter(id=stuck.pk).update(history_date=timezone.now() - timedelta(days=130))
    key = f"proposal-stuck:{stuck.pk}:dibahas"

    browser_login(page, "staf")
    page.wait_for_selector("[data-testid=warnings]")

    # 1. Dashboard warning (through its kind's count, as a user among many warnings would) -> its
    # subject page, which says the same and takes the acknowledgement.
    page.get_by_test_id("warning-groups").get_by_role("link", name="Usulan tertahan di satu status").click()
    row = page.locator(f"[data-warning-key='{key}']")
    assert "selama 130 hari" in row.inner_text()
    row.get_by_role("link", name=stuck.title).click()
    page.wait_for_url(f"**/bkm/usulan/{stuck.pk}/")
    subject = page.locator(f"[data-testid=proposal-warnings] [data-warning-key='{key}']")
    assert "selama 130 hari" in subject.inner_text()
    subject.get_by_placeholder("Catatan tindak lanjut").fill("Dibahas ulang dengan Dinas PUPR minggu depan")
    subject.get_by_role("button", name="Tanggapi").click()
    subject.get_by_test_id("ack-done").wait_for()
    assert "Dibahas ulang dengan Dinas PUPR" in subject.inner_text()
    assert WarningAcknowledgement.objects.filter(key=key).count() == 1

    # 2. The proposal's next step through the transition form, the budget typed as printed.
    page.get_by_label("Ubah status ke").select_option(label="Disetujui")
    page.get_by_label("Anggaran disetujui (Rp)").fill("Rp 70.000.000")
    page.get_by_label("Catatan").fill("Disetujui rapat koordinasi")
    page.get_by_role("button", name="Simpan status").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("proposal-status").inner_text() == "Disetujui"
    assert "Rp 70.000.000" in page.locator("dl").inner_text()
    assert "Disetujui rapat koordinasi" in page.get_by_test_id("proposal-events").inner_text()

    # 3. The BKM list: filter, page 2, export of the filtered set.
    page.get_by_role("navigation").get_by_role("link", name="BKM/LKM", exact=True).click()
    page.wait_for_selector("[data-testid=bkm-table]")
    page.get_by_label("Cari").fill("Mawar")
    page.get_by_role("button", name="Terapkan").click()
    expect(page.get_by_test_id("bkm-count")).to_have_text("5 BKM/LKM")
    first = page.locator("[data-testid=bkm-table] tbody td:first-child").all_inner_texts()
    assert len(first) == 3
    page.get_by_role("link", name="Berikutnya").click()
    page.wait_for_url(lambda url: "page=2" in url)
    second = page.locator("[data-testid=bkm-table] tbody td:first-child").all_inner_texts()
    assert sorted(first + second) == [f"BKM Mawar {i}" for i in range(1, 6)]
    assert "Halaman 2 dari 2" in page.get_by_role("navigation", name="Halaman").inner_text()
    with page.expect_download() as info, page.expect_response(lambda r: "/ekspor" in r.url) as answer:
        page.get_by_test_id("export-csv").click()
    assert answer.value.headers["content-type"].startswith("text/csv")
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert sorted(r[0] for r in rows[1:]) == [f"BKM Mawar {i}" for i in range(1, 6)]

    # 4. A report: request -> progress page -> PDF.
    page.get_by_test_id("nav-reports").click()
    page.get_by_test_id("request-report").click()
    page.get_by_test_id("choose-kolaborasi").click()
    page.get_by_label("Tahun").fill("2026")
    page.get_by_test_id("submit-report").click()
    page.wait_for_url("**/laporan/*/")
    page.wait_for_selector("[data-testid=download]", timeout=120_000)
    with page.expect_download() as info, page.expect_response(lambda r: "/unduh" in r.url) as answer:
        page.get_by_test_id("download").click()
    assert answer.value.headers["content-type"] == "application/pdf"
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(target).pages).split())
    assert "Rekap Kolaborasi" in text
    assert "70.000.000" in text
    screenshot(page, "journey-staff")
