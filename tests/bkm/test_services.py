import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from bkm import services
from bkm.models import AssessmentAspect, Document, DocumentVersion, Proposal, ProposalEvent, ProposalStatus
from tests.factories import ProposalFactory

# --- proposal transitions -------------------------------------------------------------


@pytest.mark.django_db
def test_proposal_transition_walks_the_table_and_records_each_step(bkm, staff_admin):
    proposal = ProposalFactory(bkm=bkm)
    for step in ["dibahas", "disetujui", "dilaksanakan", "selesai"]:
        services.proposal_transition(
            proposal_id=proposal.pk,
            to_status=step,
            actor=staff_admin,
            note=f"ke {step}",
            budget_approved=Decimal(120_000_000) if step == "disetujui" else None,
        )
    proposal.refresh_from_db()
    assert proposal.status == "selesai"
    assert proposal.budget_approved == Decimal(120_000_000)
    events = list(proposal.events.order_by("at", "pk").values_list("from_status", "to_status", "actor", "note"))
    assert events == [
        ("diusulkan", "dibahas", staff_admin.pk, "ke dibahas"),
        ("dibahas", "disetujui", staff_admin.pk, "ke disetujui"),
        ("disetujui", "dilaksanakan", staff_admin.pk, "ke dilaksanakan"),
        ("dilaksanakan", "selesai", staff_admin.pk, "ke selesai"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], "selesai"),
        ([], "disetujui"),
        (["dibahas"], "dilaksanakan"),
        (["dibahas", "ditolak"], "disetujui"),
        (["dibahas", "disetujui"], "diusulkan"),
    ],
)
def test_proposal_transition_illegal_step_is_refused_and_nothing_saved(bkm, staff_admin, path, illegal):
    proposal = ProposalFactory(bkm=bkm)
    for step in path:
        services.proposal_transition(
            proposal_id=proposal.pk, to_status=step, actor=staff_admin, note="alasan", budget_approved=Decimal(1)
        )
    before_status = Proposal.objects.get(pk=proposal.pk).status
    before_events = ProposalEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.proposal_transition(proposal_id=proposal.pk, to_status=illegal, actor=staff_admin, note="x")
    message = " ".join(exc.value.message_dict["to_status"])
    assert "tidak dapat diubah" in message
    assert str(ProposalStatus(illegal).label) in message
    assert Proposal.objects.get(pk=proposal.pk).status == before_status
    assert ProposalEvent.objects.count() == before_events


@pytest.mark.django_db
def test_proposal_transition_approval_needs_budget_and_rejection_needs_reason(bkm, staff_admin):
    proposal = ProposalFactory(bkm=bkm)
    services.proposal_transition(proposal_id=proposal.pk, to_status="dibahas", actor=staff_admin)
    with pytest.raises(ValidationError) as exc:
        services.proposal_transition(proposal_id=proposal.pk, to_status="disetujui", actor=staff_admin)
    assert "anggaran" in " ".join(exc.value.message_dict["budget_approved"])
    with pytest.raises(ValidationError) as exc:
        services.proposal_transition(proposal_id=proposal.pk, to_status="ditolak", actor=staff_admin, note=" ")
    assert "alasan" in " ".join(exc.value.message_dict["note"])
    assert Proposal.objects.get(pk=proposal.pk).status == "dibahas"


@pytest.mark.django_db
def test_proposal_create_records_first_event(bkm, staff_admin):
    from tests.factories import OPDFactory

    proposal = services.proposal_create(
        bkm=bkm,
        data={
            "opd": OPDFactory(),
            "title": "Jalan lingkungan",
            "kelurahan": bkm.kelurahan,
            "year": 2026,
            "budget_proposed": Decimal(50_000_000),
            "funding_source": "apbd",
        },
        actor=staff_admin,
    )
    assert proposal.status == "diusulkan"
    assert list(proposal.events.values_list("from_status", "to_status")) == [("", "diusulkan")]


@pytest.mark.django_db
def test_proposal_create_and_transition_at_date_the_events_and_status_since(bkm, staff_admin):
    """A proposal entered after the fact (the demo's, or one from paper) is "in its status since" its own dates."""
    from datetime import timedelta

    from django.utils import timezone

    from reports.selectors import proposals_stuck, proposals_with_status_since
    from tests.factories import OPDFactory

    received = timezone.now() - timedelta(days=200)
    discussed = received + timedelta(days=30)
    proposal = services.proposal_create(
        bkm=bkm,
        data={
            "opd": OPDFactory(),
            "title": "Drainase lingkungan",
            "kelurahan": bkm.kelurahan,
            "year": received.year,
            "budget_proposed": Decimal(75_000_000),
            "funding_source": "apbd",
        },
        actor=staff_admin,
        at=received,
    )
    services.proposal_transition(proposal_id=proposal.pk, to_status="dibahas", actor=staff_admin, at=discussed)
    assert list(proposal.events.values_list("at", flat=True)) == [received, discussed]
    assert proposals_with_status_since().get(pk=proposal.pk).status_since == discussed  # type: ignore[attr-defined]
    assert [p.pk for p in proposals_stuck(older_than=timezone.now() - timedelta(days=60))] == [proposal.pk]


# --- documents --------------------------------------------------------------------------


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 200
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


@pytest.mark.django_db
def test_document_create_stores_checked_version(bkm, pdf_bytes, coordinator):
    doc = services.document_create(
        bkm=bkm, doc_type="adart", title="AD/ART", upload=_upload("adart.pdf", pdf_bytes), actor=coordinator
    )
    version = doc.versions.get()
    assert (version.version, version.extension, version.content_type) == (1, "pdf", "application/pdf")
    assert version.size == len(pdf_bytes)
    assert version.uploaded_by == coordinator
    assert "adart" not in version.file.name  # stored under a random name
    with version.file.open("rb") as fh:
        assert fh.read() == pdf_bytes
    second = services.document_add_version(document=doc, upload=_upload("adart2.pdf", pdf_bytes), actor=coordinator)
    assert second.version == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("laporan.pdf", EXE, "bukan dokumen yang diizinkan"),
        ("laporan.pdf", HTML, "bukan dokumen yang diizinkan"),
        ("program.exe", EXE, "bukan dokumen yang diizinkan"),
        ("foto.png", b"%PDF-1.4\n" + b"x" * 100, "tidak sesuai"),
        ("kosong.pdf", b"", "kosong"),
    ],
)
def test_document_create_refuses_disguised_content(bkm, staff_admin, name, content, fragment):
    with pytest.raises(ValidationError) as exc:
        services.document_create(bkm=bkm, doc_type="lpj", title="LPJ", upload=_upload(name, content), actor=staff_admin)
    assert fragment in " ".join(exc.value.messages)
    assert Document.objects.count() == 0
    assert DocumentVersion.objects.count() == 0


@pytest.mark.django_db
def test_document_create_refuses_oversized_file(bkm, staff_admin, settings, pdf_bytes):
    settings.DOCUMENT_MAX_BYTES = len(pdf_bytes) - 1
    with pytest.raises(ValidationError) as exc:
        services.document_create(
            bkm=bkm, doc_type="lpj", title="LPJ", upload=_upload("lpj.pdf", pdf_bytes), actor=staff_admin
        )
    assert "terlalu besar" in " ".join(exc.value.messages)
    assert Document.objects.count() == 0


@pytest.mark.django_db
def test_document_check_file_accepts_png_and_docx(bkm):
    from openpyxl import Workbook
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(buf, format="PNG")
    assert services.document_check_file(upload=SimpleUploadedFile("peta.png", buf.getvalue())).extension == "png"
    xbuf = io.BytesIO()
    Workbook().save(xbuf)
    assert services.document_check_file(upload=SimpleUploadedFile("rab.xlsx", xbuf.getvalue())).extension == "xlsx"


# --- assessment -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_assessment_aspects_default_weights_come_from_reference():
    weights = dict(AssessmentAspect.objects.values_list("name", "default_weight"))
    assert weights["Organisasi"] == 15
    assert weights["Kepemimpinan"] == 20
    assert weights["Sistem Manajemen"] == 20
    assert sum(weights.values()) == 100


@pytest.mark.django_db
def test_assessment_save_computes_weighted_total_and_needs_weights_of_100(bkm):
    aspects = list(AssessmentAspect.objects.order_by("order"))
    scores = {a: (a.default_weight, Decimal(80) if i % 2 else Decimal(60)) for i, a in enumerate(aspects)}
    assessment = services.assessment_save(bkm=bkm, data={"year": 2025}, scores=scores)
    expected = services.assessment_total(list(scores.values()))
    assert assessment.total_score == expected
    assert assessment.scores.count() == len(aspects)
    bad = {a: (Decimal(10), Decimal(50)) for a in aspects}
    with pytest.raises(ValidationError) as exc:
        services.assessment_save(bkm=bkm, data={"year": 2024}, scores=bad)
    assert "Jumlah bobot harus 100%" in exc.value.messages[0]
    assert bkm.assessments.count() == 1


def test_assessment_total_weighted_mean():
    assert services.assessment_total([(Decimal(50), Decimal(100)), (Decimal(50), Decimal(0))]) == Decimal("50.00")
    assert services.assessment_total([(Decimal(20), Decimal(70)), (Decimal(80), Decimal(45))]) == Decimal("50.00")
