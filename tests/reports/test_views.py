from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from bkm.models import ProposalStatus
from reports.models import ReportRun, RunStatus, WarningAcknowledgement
from reports.pdf import format_rupiah, write_atomically
from reports.selectors import city_figures
from reports.services import report_file_name, report_run_create
from tests.factories import BKMFactory, UserFactory

from .factories import ProposalFactory


def _done_run(*, user, report_type: str, params: dict) -> ReportRun:
    run = report_run_create(user=user, report_type=report_type, params=params)
    name = report_file_name(run)
    checksum = write_atomically(Path(default_storage.path(name)), b"%PDF-1.7 uji")
    ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.DONE, pdf=name, checksum_sha256=checksum, progress=100)
    run.refresh_from_db()
    return run


@pytest.mark.django_db
def test_request_form_post_creates_run_and_redirects_to_progress(client, staff_admin):
    client.force_login(staff_admin)
    response = client.post(reverse("reports:request_form", args=["kolaborasi"]), {"year": "2026", "kecamatan": ""})
    run = ReportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:run_detail", args=[run.pk])
    assert run.parameters == {"year": 2026} and run.requested_by == staff_admin
    page = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in page and "report-progress-0" in page
    assert "style=" not in page


@pytest.mark.django_db
def test_request_form_bad_year_shows_indonesian_error(client, staff_admin):
    client.force_login(staff_admin)
    response = client.post(reverse("reports:request_form", args=["kolaborasi"]), {"year": "1700"})
    assert response.status_code == 200 and "Tahun minimal 2000." in response.content.decode()
    assert not ReportRun.objects.exists()


@pytest.mark.django_db
def test_request_form_coordinator_sees_only_own_bkm_and_cannot_post_another(client, coordinator, other_bkm):
    client.force_login(coordinator)
    page = client.get(reverse("reports:request_form", args=["profil_bkm"])).content.decode()
    assert coordinator.bkm.name in page and other_bkm.name not in page
    response = client.post(reverse("reports:request_form", args=["profil_bkm"]), {"bkm": other_bkm.pk})
    assert response.status_code == 404  # another BKM's id: not found, nothing created
    assert not ReportRun.objects.exists()
    assert client.get(reverse("reports:request_form", args=["kolaborasi"])).status_code == 404


@pytest.mark.django_db
def test_run_status_fragment_stops_polling_when_done(client, staff_admin):
    run = _done_run(user=staff_admin, report_type="kolaborasi", params={})
    client.force_login(staff_admin)
    fragment = client.get(reverse("reports:run_status", args=[run.pk])).content.decode()
    assert "hx-trigger" not in fragment and "report-progress-100" in fragment
    assert reverse("reports:run_download", args=[run.pk]) in fragment


@pytest.mark.django_db
def test_run_download_is_attachment_for_owner_and_staff(client, coordinator, staff_viewer):
    run = _done_run(user=coordinator, report_type="profil_bkm", params={"bkm": coordinator.bkm_id})
    for user in (coordinator, staff_viewer):
        client.force_login(user)
        response = client.get(reverse("reports:run_download", args=[run.pk]))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert b"".join(response.streaming_content) == b"%PDF-1.7 uji"


@pytest.mark.django_db
def test_run_detail_and_download_of_another_bkm_are_404(client, coordinator, staff_admin):
    other = BKMFactory()
    other_coordinator = UserFactory(role="bkm_member", bkm=other, is_coordinator=True)
    theirs = _done_run(user=other_coordinator, report_type="profil_bkm", params={"bkm": other.pk})
    city = _done_run(user=staff_admin, report_type="kolaborasi", params={})
    client.force_login(coordinator)
    for run in (theirs, city):
        for name in ("run_detail", "run_status", "run_download"):
            assert client.get(reverse(f"reports:{name}", args=[run.pk])).status_code == 404
    anonymous = client.__class__()
    assert anonymous.get(reverse("reports:run_download", args=[city.pk])).status_code == 302


@pytest.mark.django_db
def test_run_detail_of_another_upk_is_404_for_upk_manager(client, upk_manager, other_bkm, staff_admin):
    from tests.reports import report_types  # noqa: F401  registers uji_upk

    theirs = _done_run(user=staff_admin, report_type="uji_upk", params={"upk": other_bkm.units.get(unit_type="upk").pk})
    mine = _done_run(user=staff_admin, report_type="uji_upk", params={"upk": upk_manager.upk_units.get().pk})
    client.force_login(upk_manager)
    assert client.get(reverse("reports:run_download", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("reports:run_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("reports:run_download", args=[mine.pk])).status_code == 200


@pytest.mark.django_db
def test_run_list_shows_own_runs_only_with_bounded_queries(
    client, coordinator, staff_admin, django_assert_max_num_queries
):
    def add(n):
        for _ in range(n):
            report_run_create(user=coordinator, report_type="profil_bkm", params={"bkm": coordinator.bkm_id})
            report_run_create(user=staff_admin, report_type="kolaborasi", params={})

    client.force_login(staff_admin)
    add(3)
    with django_assert_max_num_queries(10) as small:
        client.get(reverse("reports:run_list"))
    add(30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("reports:run_list"))
    assert response.context["page_obj"].paginator.count == 66
    client.force_login(coordinator)
    response = client.get(reverse("reports:run_list"))
    assert response.context["page_obj"].paginator.count == 33
    assert {r.requested_by_id for r in response.context["runs"]} == {coordinator.pk}


@pytest.mark.django_db
def test_home_routes_staff_to_dashboard_and_others_to_home(client, staff_viewer, member):
    client.force_login(staff_viewer)
    assert "reports/dashboard.html" in [t.name for t in client.get(reverse("home")).templates]
    client.force_login(member)
    response = client.get(reverse("home"))
    assert "reports/dashboard.html" not in [t.name for t in response.templates]
    assert client.get(reverse("reports:dashboard")).status_code == 403


@pytest.mark.django_db
def test_dashboard_shows_city_figures_and_warnings_with_bounded_queries(
    client, staff_admin, collaboration, django_assert_max_num_queries
):
    client.force_login(staff_admin)
    # Registry figures and the UPK panel; the warnings card is its own fragment (below).
    with django_assert_max_num_queries(20) as small:
        client.get(reverse("home"))
    # The warning providers (the BKM kinds counted in SQL, then their shown rows: warnings.warning_summary).
    with django_assert_max_num_queries(40) as small_warnings:
        client.get(reverse("reports:dashboard_warnings"))
    for _ in range(5):
        bkm = BKMFactory()
        ProposalFactory(bkm=bkm, status=ProposalStatus.DIBAHAS)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("home"))
    page = response.content.decode()
    figures = city_figures()
    assert format_rupiah(figures.budget_proposed) in page
    for k in figures.by_kecamatan:
        assert k.name in page
    assert "<svg" in page and "style=" not in page
    # The card loads itself, with a plain link for a browser without scripts.
    assert f'hx-get="{reverse("reports:dashboard_warnings")}"' in page
    assert f'href="{reverse("reports:warning_list")}"' in page
    with django_assert_max_num_queries(len(small_warnings.captured_queries)):
        fragment = client.get(reverse("reports:dashboard_warnings"), HTTP_HX_REQUEST="true").content.decode()
    assert "Belum ada pengguna koordinator BKM di portal." in fragment
    assert 'data-testid="warnings"' in fragment and "<html" not in fragment


@pytest.mark.django_db
def test_dashboard_warnings_refused_like_the_dashboard(client, member):
    client.force_login(member)
    assert client.get(reverse("reports:dashboard_warnings")).status_code == 403


@pytest.mark.django_db
def test_dashboard_warns_of_stuck_proposal_and_acknowledges_it_with_htmx(client, staff_admin, collaboration, settings):
    settings.REPORTS_PROPOSAL_STUCK_DAYS = 30
    stuck = collaboration["proposals"][2]  # dibahas
    history = stuck.history.model.objects.filter(id=stuck.pk)
    history.update(history_date=timezone.now() - timedelta(days=45))
    client.force_login(staff_admin)
    page = client.get(reverse("reports:dashboard_warnings")).content.decode()
    key = f"proposal-stuck:{stuck.pk}:dibahas"
    assert key in page and "selama 45 hari" in page
    # Only that one: the other open proposals are recent.
    assert page.count('data-warning-key="proposal-stuck:') == 1
    response = client.post(
        reverse("reports:warning_acknowledge"),
        {"key": key, "subject": stuck.title, "note": "Dijadwalkan rapat dengan PUPR"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "Dijadwalkan rapat dengan PUPR" in response.content.decode()
    assert WarningAcknowledgement.objects.get(key=key).acknowledged_by == staff_admin
    empty = client.post(
        reverse("reports:warning_acknowledge"), {"key": key, "subject": "x", "note": ""}, HTTP_HX_REQUEST="true"
    )
    assert "Tuliskan catatan tindak lanjut." in empty.content.decode()


@pytest.mark.django_db
def test_warning_acknowledge_refused_for_viewer(client, staff_viewer):
    client.force_login(staff_viewer)
    response = client.post(reverse("reports:warning_acknowledge"), {"key": "k", "subject": "s", "note": "n"})
    assert response.status_code == 403
    assert not WarningAcknowledgement.objects.exists()


@pytest.mark.django_db
def test_subscription_toggle_for_staff(client, staff_viewer):
    client.force_login(staff_viewer)
    client.post(reverse("reports:subscription_toggle", args=["kolaborasi"]), {"active": "1"})
    assert staff_viewer.report_subscriptions.get().is_active
    client.post(reverse("reports:subscription_toggle", args=["kolaborasi"]), {"active": "0"})
    assert not staff_viewer.report_subscriptions.get().is_active


@pytest.mark.django_db(transaction=True)
def test_request_form_in_embedded_mode_answers_before_the_run_is_built(client, staff_admin, settings):
    """No broker (`make run`): the job runs in a thread of this process after the answer, not inside the request."""
    import os

    from . import report_types
    from .conftest import wait_for_run

    settings.CELERY_TASK_ALWAYS_EAGER = True
    report_types.RELEASE.clear()
    client.force_login(staff_admin)
    try:
        response = client.post(reverse("reports:request_form", args=["uji_lambat"]), {"hold": "on"}, follow=True)
        run = ReportRun.objects.get()
        # The build is still waiting for the test: the answer came before it.
        assert run.status in (RunStatus.QUEUED, RunStatus.RUNNING)
        page = response.content.decode()
        assert "Laporan sedang dibuat; kemajuannya tampil di bawah." in page
        assert "masuk antrean." not in page and 'hx-trigger="every 1s"' in page
    finally:
        report_types.RELEASE.set()
    run = wait_for_run(run.pk, timeout=60)
    assert run.status == RunStatus.DONE and run.worker_pid == os.getpid()
    fragment = client.get(reverse("reports:run_status", args=[run.pk])).content.decode()
    assert reverse("reports:run_download", args=[run.pk]) in fragment


@pytest.mark.django_db
def test_city_figures_totals_equal_the_city_counts(collaboration, django_assert_num_queries):
    from django.db.models import Sum

    from bkm.models import Kelurahan, Proposal
    from reports.selectors import TERMINAL_PROPOSAL_STATUSES

    with django_assert_num_queries(3):
        figures = city_figures()
    proposals = Proposal.objects.all()
    assert figures.kelurahan == Kelurahan.objects.count() > 0
    assert figures.proposals == proposals.count() > 0
    assert figures.proposals_open == proposals.exclude(status__in=TERMINAL_PROPOSAL_STATUSES).count() > 0
    assert figures.budget_proposed == proposals.aggregate(s=Sum("budget_proposed"))["s"]
    assert figures.budget_approved == (proposals.aggregate(s=Sum("budget_approved"))["s"] or 0)
