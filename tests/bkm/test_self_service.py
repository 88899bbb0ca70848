"""BKM self-service (issue 15): a coordinator drafts and submits, the secretariat verifies.

Services, the permission scoping (including attempts across BKMs), notices and their e-mail.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bkm import selectors, services
from bkm.models import (
    Document,
    LPJReport,
    Notice,
    Proposal,
    ProposalStatus,
    SlumMeasure,
    SlumMeasureUpdate,
    SubmissionStatus,
)
from bkm.tasks import send_notice_email
from core.models import OutboxMessage
from tests.bkm.factories import SlumMeasureFactory
from tests.factories import OPDFactory, ProposalFactory, SlumAreaFactory

pytestmark = pytest.mark.django_db

MEASURE = {
    "building": Decimal(40),
    "roads": Decimal(35),
    "drainage": Decimal(50),
    "drinking_water": Decimal(20),
    "wastewater": Decimal(60),
    "solid_waste": Decimal(45),
    "fire_protection": Decimal(70),
}


def _draft(bkm, coordinator, **extra) -> Proposal:
    data = {
        "title": "Drainase RT 03",
        "opd": OPDFactory(),
        "kelurahan": bkm.kelurahan,
        "year": 2027,
        "budget_proposed": Decimal(90_000_000),
        "funding_source": "apbd",
        **extra,
    }
    return services.proposal_create(bkm=bkm, data=data, actor=coordinator, draft=True)


def _pdf(pdf_bytes, name="lpj.pdf"):
    return SimpleUploadedFile(name, pdf_bytes, content_type="application/pdf")


# --- proposals: one state machine ------------------------------------------------------------


def test_proposal_submit_return_resubmit_accept_walks_one_table(bkm, coordinator, staff_admin):
    proposal = _draft(bkm, coordinator)
    assert proposal.status == ProposalStatus.DRAF
    services.proposal_transition(proposal_id=proposal.pk, to_status="diajukan", actor=coordinator, note="Mohon dicek")
    assert Notice.objects.filter(user=staff_admin, kind="proposal", status="diajukan").count() == 1
    with pytest.raises(ValidationError) as exc:
        services.proposal_transition(proposal_id=proposal.pk, to_status="dikembalikan", actor=staff_admin)
    assert "note" in exc.value.message_dict
    services.proposal_transition(
        proposal_id=proposal.pk, to_status="dikembalikan", actor=staff_admin, note="Lengkapi RAB"
    )
    notice = Notice.objects.get(user=coordinator, status="dikembalikan")
    assert notice.note == "Lengkapi RAB"
    services.proposal_update(proposal=proposal, data={"budget_proposed": Decimal(80_000_000)})
    services.proposal_transition(proposal_id=proposal.pk, to_status="diajukan", actor=coordinator)
    services.proposal_transition(proposal_id=proposal.pk, to_status="diusulkan", actor=staff_admin)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DIUSULKAN
    steps = list(proposal.events.order_by("at", "pk").values_list("to_status", flat=True))
    assert steps == ["draf", "diajukan", "dikembalikan", "diajukan", "diusulkan"]
    # The coordinator hears of the return and the acceptance; each notice has its e-mail in the outbox.
    assert list(Notice.objects.filter(user=coordinator).order_by("pk").values_list("status", flat=True)) == [
        "dikembalikan",
        "diusulkan",
    ]
    assert OutboxMessage.objects.filter(task="bkm.tasks.send_notice_email").count() == Notice.objects.count()


def test_proposal_transition_draft_cannot_skip_verification(bkm, coordinator, staff_admin):
    proposal = _draft(bkm, coordinator)
    with pytest.raises(ValidationError):
        services.proposal_transition(proposal_id=proposal.pk, to_status="diusulkan", actor=staff_admin)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DRAF


def test_proposal_transition_without_actor_tells_no_one(bkm, coordinator):
    proposal = ProposalFactory(bkm=bkm)
    services.proposal_transition(proposal_id=proposal.pk, to_status="dibahas", actor=None)
    services.proposal_transition(
        proposal_id=proposal.pk, to_status="disetujui", actor=None, budget_approved=Decimal(1_000)
    )
    assert not Notice.objects.exists()


# --- LPJ ---------------------------------------------------------------------------------------


def test_lpj_submit_return_resubmit_accept_files_the_document(bkm, coordinator, staff_admin, pdf_bytes):
    report = services.lpj_submit(bkm=bkm, year=2025, upload=_pdf(pdf_bytes), actor=coordinator)
    assert report.status == SubmissionStatus.DIAJUKAN
    assert Notice.objects.filter(user=staff_admin, kind="lpj").exists()
    with pytest.raises(ValidationError):
        services.lpj_submit(bkm=bkm, year=2025, upload=_pdf(pdf_bytes), actor=coordinator)
    with pytest.raises(ValidationError):
        services.lpj_verify(report_id=report.pk, accept=False, note=" ", actor=staff_admin)
    services.lpj_verify(report_id=report.pk, accept=False, note="Tanda tangan belum ada", actor=staff_admin)
    assert not Document.objects.filter(bkm=bkm, doc_type="lpj").exists()
    with pytest.raises(ValidationError):  # returned: cannot be accepted before it is resubmitted
        services.lpj_verify(report_id=report.pk, accept=True, actor=staff_admin)
    services.lpj_submit(bkm=bkm, year=2025, upload=_pdf(pdf_bytes, "lpj-ttd.pdf"), actor=coordinator, report=report)
    report = services.lpj_verify(report_id=report.pk, accept=True, actor=staff_admin)
    assert report.status == SubmissionStatus.DITERIMA
    document = Document.objects.get(bkm=bkm, doc_type="lpj")
    assert report.document == document
    assert document.versions.get().original_name == "lpj-ttd.pdf"


def test_lpj_submit_refuses_a_file_that_is_not_a_document(bkm, coordinator):
    with pytest.raises(ValidationError):
        services.lpj_submit(
            bkm=bkm, year=2025, upload=SimpleUploadedFile("lpj.pdf", b"<html>bukan pdf</html>"), actor=coordinator
        )
    assert not LPJReport.objects.exists() and not Notice.objects.exists()


# --- slum-measure updates ------------------------------------------------------------------------


def test_slum_measure_update_return_changes_nothing_accept_writes_the_measure(bkm, coordinator, staff_admin):
    area = SlumAreaFactory(kelurahan=bkm.kelurahan)
    old = SlumMeasureFactory(slum_area=area, year=2026)
    before = {f: getattr(old, f) for f in MEASURE}
    update = services.slum_measure_update_submit(bkm=bkm, area=area, data={"year": 2026, **MEASURE}, actor=coordinator)
    services.slum_measure_update_verify(update_id=update.pk, accept=False, note="Sumber data?", actor=staff_admin)
    old.refresh_from_db()
    assert {f: getattr(old, f) for f in MEASURE} == before
    services.slum_measure_update_submit(
        bkm=bkm, area=area, data={"year": 2026, **MEASURE, "roads": Decimal(30)}, actor=coordinator, update=update
    )
    update = services.slum_measure_update_verify(update_id=update.pk, accept=True, actor=staff_admin)
    measure = SlumMeasure.objects.get(slum_area=area, year=2026)
    assert update.measure == measure == old
    assert measure.roads == Decimal(30) and measure.building == Decimal(40)


def test_slum_measure_update_submit_refuses_area_of_another_kelurahan(bkm, other_bkm, coordinator):
    area = SlumAreaFactory(kelurahan=other_bkm.kelurahan)
    with pytest.raises(ValidationError):
        services.slum_measure_update_submit(bkm=bkm, area=area, data={"year": 2026, **MEASURE}, actor=coordinator)
    assert not SlumMeasureUpdate.objects.exists()


# --- notices and their e-mail ----------------------------------------------------------------


def test_send_notice_email_sends_once_and_rechecks_the_reader(bkm, other_bkm, coordinator, staff_admin, mailoutbox):
    proposal = _draft(bkm, coordinator)
    services.proposal_transition(proposal_id=proposal.pk, to_status="diajukan", actor=coordinator)
    services.proposal_transition(proposal_id=proposal.pk, to_status="dikembalikan", actor=staff_admin, note="Revisi")
    notice = Notice.objects.get(user=coordinator)
    assert send_notice_email(notice.pk) == "sent"
    assert send_notice_email(notice.pk) == "duplicate"
    assert len(mailoutbox) == 1
    assert proposal.title in mailoutbox[0].subject and "Revisi" in mailoutbox[0].body
    # Moved to another BKM before the mail went out: nothing is sent.
    second = Notice.objects.create(
        user=coordinator, bkm=bkm, kind="proposal", subject="x", status="diusulkan", url="/bkm/"
    )
    coordinator.bkm = other_bkm
    coordinator.save()
    assert send_notice_email(second.pk) == "skipped"
    assert len(mailoutbox) == 1


def test_notices_recipients_are_verifiers_not_viewers(bkm, coordinator, staff_admin, staff_viewer):
    proposal = _draft(bkm, coordinator)
    services.proposal_transition(proposal_id=proposal.pk, to_status="diajukan", actor=coordinator)
    assert set(Notice.objects.values_list("user__username", flat=True)) == {staff_admin.username}


# --- permissions, scoped ---------------------------------------------------------------------------


def test_proposal_create_coordinator_drafts_staff_records(client, coordinator, staff_admin, bkm):
    opd = OPDFactory()
    data = {
        "title": "Jalan lingkungan",
        "opd": opd.pk,
        "kelurahan": bkm.kelurahan_id,
        "year": "2027",
        "budget_proposed": "50.000.000",
        "funding_source": "apbd",
    }
    client.force_login(coordinator)
    assert client.post(reverse("bkm:proposal_create", args=[bkm.pk]), data).status_code == 302
    client.force_login(staff_admin)
    assert client.post(reverse("bkm:proposal_create", args=[bkm.pk]), data).status_code == 302
    assert sorted(Proposal.objects.values_list("status", flat=True)) == ["diusulkan", "draf"]


def test_proposal_draft_is_hidden_from_staff(client, coordinator, staff_admin, bkm):
    proposal = _draft(bkm, coordinator)
    client.force_login(staff_admin)
    assert client.get(reverse("bkm:proposal_detail", args=[proposal.pk])).status_code == 404
    assert proposal.title not in client.get(reverse("bkm:proposal_list")).content.decode()
    client.force_login(coordinator)
    assert client.get(reverse("bkm:proposal_detail", args=[proposal.pk])).status_code == 200


def test_proposal_transition_scoped_by_step_and_bkm(
    client, bkm, coordinator, other_coordinator, member, staff_admin, staff_viewer
):
    proposal = _draft(bkm, coordinator)
    url = reverse("bkm:proposal_detail", args=[proposal.pk])
    client.force_login(other_coordinator)
    assert client.post(url, {"to_status": "diajukan"}).status_code == 404
    client.force_login(member)
    assert client.post(url, {"to_status": "diajukan"}).status_code == 403
    client.force_login(coordinator)
    assert client.post(url, {"to_status": "diajukan"}).status_code == 302
    # Submitted: the coordinator may no longer edit it, nor accept it; the viewer cannot verify.
    assert client.get(reverse("bkm:proposal_edit", args=[proposal.pk])).status_code == 403
    assert client.post(url, {"to_status": "diusulkan"}).status_code == 403
    client.force_login(staff_viewer)
    assert client.post(url, {"to_status": "diusulkan"}).status_code == 403
    client.force_login(staff_admin)
    assert client.post(url, {"to_status": "diajukan"}).status_code == 403  # the BKM's step, not staff's
    assert client.post(url, {"to_status": "diusulkan"}).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "diusulkan"


def test_lpj_and_measure_pages_scoped_to_the_coordinators_bkm(
    client, bkm, other_bkm, coordinator, other_coordinator, member, staff_viewer, staff_admin, pdf_bytes
):
    report = services.lpj_submit(bkm=bkm, year=2025, upload=_pdf(pdf_bytes), actor=coordinator)
    area = SlumAreaFactory(kelurahan=bkm.kelurahan)
    update = services.slum_measure_update_submit(bkm=bkm, area=area, data={"year": 2026, **MEASURE}, actor=coordinator)
    client.force_login(other_coordinator)
    for name, pk in [
        ("bkm:lpj_detail", report.pk),
        ("bkm:lpj_download", report.pk),
        ("bkm:measure_update_detail", update.pk),
    ]:
        assert client.get(reverse(name, args=[pk])).status_code == 404
    assert client.get(reverse("bkm:lpj_create", args=[bkm.pk])).status_code == 404
    assert client.get(reverse("bkm:measure_update_create", args=[other_bkm.pk, area.pk])).status_code == 404
    client.force_login(member)
    assert client.get(reverse("bkm:lpj_detail", args=[report.pk])).status_code == 200
    assert client.get(reverse("bkm:lpj_create", args=[bkm.pk])).status_code == 403
    assert client.post(reverse("bkm:lpj_detail", args=[report.pk]), {"decision": "terima"}).status_code == 403
    client.force_login(staff_viewer)
    assert client.post(reverse("bkm:lpj_detail", args=[report.pk]), {"decision": "terima"}).status_code == 403
    assert (
        client.post(reverse("bkm:measure_update_detail", args=[update.pk]), {"decision": "terima"}).status_code == 403
    )
    client.force_login(staff_admin)
    assert client.get(reverse("bkm:lpj_create", args=[bkm.pk])).status_code == 403  # submitting is the BKM's act
    response = client.post(reverse("bkm:measure_update_detail", args=[update.pk]), {"decision": "terima"})
    assert response.status_code == 302
    assert SlumMeasure.objects.filter(slum_area=area, year=2026).exists()
    report.refresh_from_db()
    assert report.status == "diajukan"


def test_submission_rows_scoped_and_staged(bkm, other_bkm, coordinator, other_coordinator, staff_admin, pdf_bytes):
    mine = _draft(bkm, coordinator)
    services.lpj_submit(bkm=bkm, year=2025, upload=_pdf(pdf_bytes), actor=coordinator)
    _draft(other_bkm, other_coordinator, title="Milik BKM lain")
    ProposalFactory(bkm=bkm)  # recorded by staff from paper: not a self-service submission
    rows = selectors.submission_rows(user=coordinator)
    assert sorted(r.kind for r in rows) == ["lpj", "proposal"]
    assert {r.title for r in rows if r.kind == "proposal"} == {mine.title}
    staff_rows = selectors.submission_rows(user=staff_admin, stage=selectors.Stage.WAITING)
    assert [r.kind for r in staff_rows] == ["lpj"]  # drafts are the BKM's own


def test_submissions_page_query_count_is_bounded(
    client, bkm, coordinator, staff_admin, pdf_bytes, django_assert_max_num_queries
):
    for year in range(2015, 2027):
        services.lpj_submit(bkm=bkm, year=year, upload=_pdf(pdf_bytes), actor=coordinator)
        proposal = _draft(bkm, coordinator, title=f"Usulan {year}")
        services.proposal_transition(proposal_id=proposal.pk, to_status="diajukan", actor=coordinator)
    for user in (coordinator, staff_admin):
        client.force_login(user)
        with django_assert_max_num_queries(14):
            response = client.get(reverse("bkm:submissions"))
        assert response.status_code == 200
        assert "Usulan 2026" in response.content.decode()


def test_notice_open_marks_read_and_only_for_its_user(client, bkm, coordinator, staff_admin):
    proposal = _draft(bkm, coordinator)
    services.proposal_transition(proposal_id=proposal.pk, to_status="diajukan", actor=coordinator)
    notice = Notice.objects.get(user=staff_admin)
    client.force_login(coordinator)
    assert client.get(reverse("bkm:notice_open", args=[notice.pk])).status_code == 404
    client.force_login(staff_admin)
    response = client.get(reverse("bkm:notice_open", args=[notice.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("bkm:proposal_detail", args=[proposal.pk])
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_submission_detail_pages_query_count_is_bounded(
    client, bkm, coordinator, staff_admin, pdf_bytes, django_assert_max_num_queries
):
    report = services.lpj_submit(bkm=bkm, year=2025, upload=_pdf(pdf_bytes), actor=coordinator)
    area = SlumAreaFactory(kelurahan=bkm.kelurahan)
    SlumMeasureFactory(slum_area=area, year=2026)
    update = services.slum_measure_update_submit(bkm=bkm, area=area, data={"year": 2026, **MEASURE}, actor=coordinator)
    proposal = _draft(bkm, coordinator)
    services.proposal_transition(proposal_id=proposal.pk, to_status="diajukan", actor=coordinator)
    # (url, bound): the BKM page already issued about 45 before issue 15; the RPLP section adds two.
    pages = [
        (reverse("bkm:lpj_detail", args=[report.pk]), 10),
        (reverse("bkm:measure_update_detail", args=[update.pk]), 11),
        (reverse("bkm:proposal_detail", args=[proposal.pk]), 14),
        (reverse("bkm:detail", args=[bkm.pk]), 50),
    ]
    for user in (coordinator, staff_admin):
        client.force_login(user)
        for url, bound in pages:
            with django_assert_max_num_queries(bound):
                assert client.get(url).status_code == 200


def test_proposal_attachment_add_and_download_scoped(
    client, bkm, coordinator, other_coordinator, staff_admin, pdf_bytes
):
    proposal = _draft(bkm, coordinator)
    client.force_login(coordinator)
    response = client.post(
        reverse("bkm:proposal_attachment_add", args=[proposal.pk]),
        {"title": "RAB", "file": _pdf(pdf_bytes, "rab.pdf")},
    )
    assert response.status_code == 302
    attachment = proposal.attachments.get()
    download = reverse("bkm:proposal_attachment_download", args=[attachment.pk])
    response = client.get(download)
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == pdf_bytes
    client.force_login(staff_admin)  # a draft is the BKM's own
    assert client.get(download).status_code == 404
    client.force_login(other_coordinator)
    assert client.get(download).status_code == 404
    services.proposal_transition(proposal_id=proposal.pk, to_status="diajukan", actor=coordinator)
    client.force_login(coordinator)  # submitted: no more attachments from the BKM until it is returned
    assert client.get(reverse("bkm:proposal_attachment_add", args=[proposal.pk])).status_code == 403
    client.force_login(staff_admin)
    assert client.get(download).status_code == 200
