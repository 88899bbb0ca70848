from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from bkm.models import ProposalStatus
from reports.models import ReportRun, RunStatus
from reports.pdf import format_rupiah
from reports.selectors import upk_city
from tests.conftest import browser_login, screenshot
from tests.factories import UserFactory


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_staff_requests_city_report_watches_progress_and_downloads_pdf(page, celery_worker, upk_portfolio, tmp_path):
    UserFactory(role="staff_admin", username="staf")
    browser_login(page, "staf")
    page.goto(page.base_url + "/laporan/")
    page.click("[data-testid=request-report]")
    page.click("[data-testid=choose-kinerja_upk_kota]")
    page.fill("input[name=period]", upk_portfolio["period"])
    page.click("[data-testid=submit-report]")
    page.wait_for_url("**/laporan/*/")
    assert page.locator("[data-testid=progress] .progress-bar").count() == 1
    # htmx polls the fragment until the worker has finished.
    page.wait_for_selector("[data-testid=download]", timeout=120_000)
    assert "100%" in page.locator("[data-testid=progress]").inner_text()
    assert page.locator("[data-testid=progress] .report-progress-100").count() == 1
    with page.expect_download() as info:
        page.click("[data-testid=download]")
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert target.name.endswith(".pdf")
    run = ReportRun.objects.get()
    assert run.status == RunStatus.DONE and run.parameters == {"period": upk_portfolio["period"]}
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(target).pages).split())
    assert "Laporan Kinerja UPK se-Kota" in text
    city = upk_city(year=upk_portfolio["year"], month=upk_portfolio["month"])
    assert f"UPK dilaporkan {len(city.rows)}" in text
    assert f"Saldo pinjaman {format_rupiah(city.city.figures.outstanding)}" in text
    screenshot(page, "report-done")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_shows_warnings_and_acknowledges_one(page, collaboration):
    UserFactory(role="staff_admin", username="staf")
    stuck = collaboration["proposals"][2]
    assert stuck.status == ProposalStatus.DIBAHAS
    stuck.history.model.objects.filter(id=stuck.pk).update(history_date=timezone.now() - timedelta(days=130))
    browser_login(page, "staf")
    page.goto(page.base_url + "/")
    assert page.locator("[data-testid=city-figures]").is_visible()
    row = page.locator(f'[data-warning-key="proposal-stuck:{stuck.pk}:dibahas"]')
    assert "selama 130 hari" in row.inner_text()
    row.locator("input[name=note]").fill("Dibahas ulang dengan Dinas PUPR minggu depan")
    row.locator("button").click()
    row.locator("[data-testid=ack-done]").wait_for()
    assert "Dibahas ulang dengan Dinas PUPR" in row.inner_text()
    screenshot(page, "dashboard")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_api_docs_page_renders_swagger_ui_under_csp(page):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(page.base_url + "/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock-summary-path")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/kelurahan/" in p for p in paths)
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
    screenshot(page, "api-docs")
