import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bkm.models import (
    OPD,
    AssessmentAspect,
    BoardMember,
    Document,
    DocumentVersion,
    Handover,
    Proposal,
    ProposalEvent,
    SlumMeasure,
)
from tests.factories import ProposalFactory, SlumAreaFactory

BOARD = {
    "name": "Maria Ijun",
    "gender": "P",
    "phone": "081234567890",
    "position": "anggota",
    "term_start": "2025-02-01",
    "term_end": "2028-02-01",
    "is_active": "on",
}


@pytest.mark.django_db
@pytest.mark.parametrize("nik", ["12345", "62710145068000011", "6271O14506800001", "abcdefghijklmnop"])
def test_board_member_form_bad_nik_shows_indonesian_error_and_saves_nothing(client, bkm, coordinator, nik):
    client.force_login(coordinator)
    response = client.post(reverse("bkm:board_member_create", args=[bkm.pk]), {**BOARD, "nik": nik})
    assert response.status_code == 400
    assert "NIK harus 16 digit angka." in response.content.decode()
    assert not BoardMember.objects.exists()


@pytest.mark.django_db
def test_board_member_form_good_nik_saves_and_history_shows_it(client, bkm, coordinator):
    client.force_login(coordinator)
    response = client.post(reverse("bkm:board_member_create", args=[bkm.pk]), {**BOARD, "nik": "6271 0145 0680 0001"})
    assert response.status_code == 302
    member = BoardMember.objects.get()
    assert (member.bkm, member.nik) == (bkm, "6271014506800001")
    response = client.post(
        reverse("bkm:board_member_edit", args=[bkm.pk, member.pk]), {**BOARD, "nik": member.nik, "phone": "0811"}
    )
    assert response.status_code == 302
    page = client.get(reverse("bkm:detail", args=[bkm.pk])).content.decode()
    assert "Maria Ijun" in page
    history = client.get(reverse("bkm:history", args=[bkm.pk])).content.decode()
    assert str(coordinator) in history
    assert "081234567890" in history and "0811" in history


@pytest.mark.django_db
def test_board_member_form_term_order_and_second_coordinator_are_refused(client, bkm, staff_admin):
    client.force_login(staff_admin)
    url = reverse("bkm:board_member_create", args=[bkm.pk])
    response = client.post(url, {**BOARD, "term_end": "2024-01-01"})
    assert "Akhir masa bakti harus sesudah awal masa bakti." in response.content.decode()
    assert client.post(url, {**BOARD, "position": "koordinator"}).status_code == 302
    response = client.post(url, {**BOARD, "name": "Kedua", "position": "koordinator"})
    assert response.status_code == 400
    assert "sudah punya koordinator aktif" in response.content.decode()
    assert BoardMember.objects.count() == 1


@pytest.mark.django_db
def test_board_member_form_election_of_other_bkm_is_not_offered(client, bkm, other_bkm, staff_admin):
    from tests.bkm.factories import ElectionFactory

    theirs = ElectionFactory(bkm=other_bkm)
    client.force_login(staff_admin)
    response = client.post(reverse("bkm:board_member_create", args=[bkm.pk]), {**BOARD, "election": theirs.pk})
    assert response.status_code == 400
    assert not BoardMember.objects.exists()


@pytest.mark.django_db
def test_contacts_form_coordinator_changes_only_contacts(client, bkm, coordinator):
    client.force_login(coordinator)
    old_name = bkm.name
    response = client.post(
        reverse("bkm:edit_contacts", args=[bkm.pk]),
        {"address": "Jl. G. Obos No. 9", "phone": "0536-123", "email": "bkm@contoh.id", "name": "Diganti"},
    )
    assert response.status_code == 302
    bkm.refresh_from_db()
    assert (bkm.address, bkm.name) == ("Jl. G. Obos No. 9", old_name)


@pytest.mark.django_db
def test_document_upload_view_stores_pdf_and_refuses_bad_files(client, bkm, coordinator, settings, pdf_bytes):
    client.force_login(coordinator)
    url = reverse("bkm:document_create", args=[bkm.pk])
    data = {"doc_type": "adart", "title": "AD/ART 2024", "note": ""}
    response = client.post(url, {**data, "file": SimpleUploadedFile("adart.pdf", pdf_bytes)})
    assert response.status_code == 302
    assert DocumentVersion.objects.get().size == len(pdf_bytes)

    exe = SimpleUploadedFile("laporan.pdf", b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00" + b"\x00" * 100)
    response = client.post(url, {**data, "file": exe})
    assert response.status_code == 400
    assert "Isi berkas bukan dokumen yang diizinkan" in response.content.decode()

    html = SimpleUploadedFile("laporan.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf")
    response = client.post(url, {**data, "file": html})
    assert response.status_code == 400
    assert "Isi berkas bukan dokumen yang diizinkan" in response.content.decode()

    settings.DOCUMENT_MAX_BYTES = 100
    response = client.post(url, {**data, "file": SimpleUploadedFile("besar.pdf", pdf_bytes)})
    assert response.status_code == 400
    assert "Berkas terlalu besar" in response.content.decode()
    assert Document.objects.count() == 1
    assert DocumentVersion.objects.count() == 1


@pytest.mark.django_db
def test_document_add_version_view_numbers_versions(client, bkm, coordinator, pdf_bytes):
    client.force_login(coordinator)
    client.post(
        reverse("bkm:document_create", args=[bkm.pk]),
        {"doc_type": "akta", "title": "Akta", "file": SimpleUploadedFile("akta.pdf", pdf_bytes)},
    )
    doc = Document.objects.get()
    response = client.post(
        reverse("bkm:document_add_version", args=[bkm.pk, doc.pk]),
        {"file": SimpleUploadedFile("akta-rev.pdf", pdf_bytes), "note": "revisi"},
    )
    assert response.status_code == 302
    assert list(doc.versions.values_list("version", flat=True)) == [2, 1]


@pytest.mark.django_db
def test_proposal_transition_view_illegal_step_shows_message_and_saves_nothing(client, bkm, staff_admin):
    proposal = ProposalFactory(bkm=bkm)
    client.force_login(staff_admin)
    url = reverse("bkm:proposal_detail", args=[proposal.pk])
    response = client.post(url, {"to_status": "selesai", "note": "loncat"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Status usulan tidak dapat diubah dari «Diusulkan» ke «Selesai»" in text
    assert "Langkah yang diizinkan: Dibahas" in text
    proposal.refresh_from_db()
    assert proposal.status == "diusulkan"
    assert not ProposalEvent.objects.filter(proposal=proposal).exists()


@pytest.mark.django_db
def test_proposal_transition_view_approves_with_rupiah_budget(client, bkm, staff_admin):
    proposal = ProposalFactory(bkm=bkm)
    client.force_login(staff_admin)
    url = reverse("bkm:proposal_detail", args=[proposal.pk])
    assert client.post(url, {"to_status": "dibahas", "note": "rapat POKJA"}).status_code == 302
    response = client.post(url, {"to_status": "disetujui", "budget_approved": "Rp 125.500.000"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.status, proposal.budget_approved) == ("disetujui", Decimal(125_500_000))
    page = client.get(url).content.decode()
    assert "Rp 125.500.000" in page
    assert str(staff_admin) in page


@pytest.mark.django_db
def test_proposal_transition_view_approval_without_budget_says_why(client, bkm, staff_admin):
    proposal = ProposalFactory(bkm=bkm)
    client.force_login(staff_admin)
    url = reverse("bkm:proposal_detail", args=[proposal.pk])
    assert client.post(url, {"to_status": "dibahas", "note": "rapat POKJA"}).status_code == 302
    response = client.post(url, {"to_status": "disetujui", "budget_approved": ""})
    assert response.status_code == 400
    alert = re.search(r'data-testid="transition-error">(.*?)</div>', response.content.decode(), re.S).group(1)
    assert "Isi anggaran yang disetujui untuk menyetujui usulan." in alert
    proposal.refresh_from_db()
    assert proposal.status == "dibahas"


@pytest.mark.django_db
def test_proposal_create_view_records_proposal_and_refuses_fractional_rupiah(client, bkm, staff_admin):
    opd = OPD.objects.create(name="Disperkimtan Uji", acronym="DPU")
    area = SlumAreaFactory(kelurahan=bkm.kelurahan)
    client.force_login(staff_admin)
    url = reverse("bkm:proposal_create", args=[bkm.pk])
    data = {
        "title": "Drainase RT 03",
        "opd": opd.pk,
        "kelurahan": bkm.kelurahan_id,
        "slum_area": area.pk,
        "year": 2026,
        "budget_proposed": "150.000.000,50",
        "funding_source": "apbd",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Rupiah bulat" in response.content.decode()
    assert client.post(url, {**data, "budget_proposed": "150.000.000"}).status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.budget_proposed == Decimal(150_000_000)
    assert proposal.events.count() == 1


@pytest.mark.django_db
def test_proposal_form_slum_area_must_lie_in_the_location(client, bkm, other_bkm, staff_admin):
    opd = OPD.objects.create(name="Dinas PUPR Uji")
    elsewhere = SlumAreaFactory(kelurahan=other_bkm.kelurahan)
    client.force_login(staff_admin)
    response = client.post(
        reverse("bkm:proposal_create", args=[bkm.pk]),
        {
            "title": "Jalan",
            "opd": opd.pk,
            "kelurahan": bkm.kelurahan_id,
            "slum_area": elsewhere.pk,
            "year": 2026,
            "budget_proposed": "1000000",
            "funding_source": "apbd",
        },
    )
    assert response.status_code == 400
    assert "tidak berada di kelurahan" in response.content.decode()
    assert not Proposal.objects.exists()


@pytest.mark.django_db
def test_handover_form_takes_rupiah_by_class(client, bkm, staff_admin):
    client.force_login(staff_admin)
    response = client.post(
        reverse("bkm:handover", args=[bkm.pk]),
        {
            "handover_date": "2024-06-01",
            "legal_basis": "Keputusan Wali Kota 188.45/321/2024",
            "asset_kas": "1.500.000",
            "asset_bank": "250000000",
            "asset_piutang_ksm": "Rp 75.000.000",
            "asset_inventaris": "",
            "asset_infrastruktur": "1.000.000.000",
        },
    )
    assert response.status_code == 302
    handover = Handover.objects.get(bkm=bkm)
    assert handover.asset_total == Decimal(1_500_000 + 250_000_000 + 75_000_000 + 1_000_000_000)
    page = client.get(reverse("bkm:records", args=[bkm.pk])).content.decode()
    assert "Rp 1.326.500.000" in page


@pytest.mark.django_db
def test_assessment_form_weights_must_total_100(client, bkm, staff_admin):
    client.force_login(staff_admin)
    aspects = list(AssessmentAspect.objects.order_by("order"))
    data = {"year": 2025}
    for a in aspects:
        data[f"weight_{a.pk}"] = str(a.default_weight)
        data[f"score_{a.pk}"] = "70"
    data[f"weight_{aspects[0].pk}"] = "10"
    url = reverse("bkm:assessment_create", args=[bkm.pk])
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Jumlah bobot harus 100%, sekarang 95%." in response.content.decode()
    data[f"weight_{aspects[1].pk}"] = str(aspects[1].default_weight + 5)
    assert client.post(url, data).status_code == 302
    assert bkm.assessments.get().total_score == Decimal("70.00")


@pytest.mark.django_db
def test_slum_measure_form_records_year_and_detail_shows_progress(client, staff_admin):
    area = SlumAreaFactory()
    client.force_login(staff_admin)
    url = reverse("bkm:slum_measure_create", args=[area.pk])
    values = {
        "building": "40",
        "roads": "30",
        "drainage": "50",
        "drinking_water": "60",
        "wastewater": "90",
        "solid_waste": "80",
        "fire_protection": "20",
    }
    assert client.post(url, {"year": 2023, **values}).status_code == 302
    assert client.post(url, {"year": 2024, **values, "wastewater": "70"}).status_code == 302
    response = client.post(url, {"year": 2024, **values})
    assert response.status_code == 400  # one measure per year
    response = client.post(url, {"year": 2025, **values, "roads": "130"})
    assert response.status_code == 400
    assert SlumMeasure.objects.filter(slum_area=area).count() == 2
    page = client.get(reverse("bkm:slum_detail", args=[area.pk])).content.decode()
    assert "2023" in page and "2024" in page and "Pengelolaan air limbah" in page


@pytest.mark.django_db
def test_bkm_list_htmx_returns_table_partial_and_kelurahan_options(client, bkm, other_bkm, staff_viewer):
    client.force_login(staff_viewer)
    response = client.get(reverse("bkm:list"), {"kelurahan": bkm.kelurahan_id}, HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert "<html" not in text
    assert bkm.name in text and other_bkm.name not in text
    options = client.get(reverse("bkm:kelurahan_options"), {"kecamatan": bkm.kelurahan.kecamatan_id}).content.decode()
    assert bkm.kelurahan.name in options


@pytest.mark.django_db
def test_bkm_detail_shows_warnings_and_coordinator_buttons(client, bkm, coordinator, make_board):
    make_board(bkm, n=5, women=0, term_end=datetime.date.today() - datetime.timedelta(days=3))
    client.force_login(coordinator)
    page = client.get(reverse("bkm:detail", args=[bkm.pk])).content.decode()
    assert "Masa bakti pengurus habis sejak" in page
    assert "kurang dari minimal" in page
    assert reverse("bkm:board_member_create", args=[bkm.pk]) in page
    assert reverse("bkm:edit_profile", args=[bkm.pk]) not in page


@pytest.mark.django_db
def test_opd_list_counts_only_visible_proposals(client, bkm, other_bkm, member):
    opd = OPD.objects.create(name="DLH Uji", acronym="DLHU")
    ProposalFactory(bkm=bkm, opd=opd)
    ProposalFactory(bkm=other_bkm, opd=opd)
    ProposalFactory(bkm=other_bkm, opd=opd)
    client.force_login(member)
    response = client.get(reverse("bkm:opd_list"))
    assert [(o.pk, n) for o, n in response.context["opds"] if o.pk == opd.pk] == [(opd.pk, 1)]


@pytest.mark.django_db
def test_unit_person_form_refuses_unit_of_other_bkm(client, bkm, other_bkm, coordinator):
    from bkm.models import UnitPerson

    client.force_login(coordinator)
    theirs = other_bkm.units.get(unit_type="upk")
    response = client.post(
        reverse("bkm:unit_person_create", args=[bkm.pk]),
        {"unit": theirs.pk, "name": "Kasir Lain", "position": "kasir", "gender": "L", "is_active": "on"},
    )
    assert response.status_code == 400
    assert not UnitPerson.objects.exists()


@pytest.mark.django_db
def test_document_version_of_other_bkm_through_own_url_is_404(client, bkm, other_bkm, coordinator, pdf_bytes):
    from bkm import services

    theirs = services.document_create(
        bkm=other_bkm, doc_type="akta", title="Akta", upload=SimpleUploadedFile("a.pdf", pdf_bytes), actor=None
    )
    client.force_login(coordinator)
    response = client.post(
        reverse("bkm:document_add_version", args=[bkm.pk, theirs.pk]),
        {"file": SimpleUploadedFile("b.pdf", pdf_bytes)},
    )
    assert response.status_code == 404
    assert theirs.versions.count() == 1


@pytest.mark.django_db
def test_bkm_detail_queries_do_not_grow_with_board_and_documents(client, bkm, staff_viewer, make_board, pdf_bytes):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bkm import services

    client.force_login(staff_viewer)
    make_board(bkm, n=3)
    services.document_create(
        bkm=bkm, doc_type="akta", title="Akta", upload=SimpleUploadedFile("a.pdf", pdf_bytes), actor=None
    )
    url = reverse("bkm:detail", args=[bkm.pk])
    client.get(url)
    # Both measured just after a write, so the page computes its overview (kept in the cache under the
    # registry's version: tests/bkm/test_kept.py).
    services.bkm_update_contacts(bkm=bkm, data={"address": "Jl. Mawar 1"})
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    make_board(bkm, n=10, women=5, coordinator=False)
    for i in range(5):
        services.document_create(
            bkm=bkm, doc_type="lpj", title=f"LPJ {i}", upload=SimpleUploadedFile("a.pdf", pdf_bytes), actor=None
        )
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large) <= len(small)


@pytest.mark.django_db
def test_bkm_detail_masks_nik_for_members_but_not_for_staff(client, bkm, member, staff_viewer):
    from tests.factories import BoardMemberFactory

    BoardMemberFactory(bkm=bkm, nik="6271014503850002")
    client.force_login(member)
    page = client.get(reverse("bkm:detail", args=[bkm.pk])).content.decode()
    assert "6271014503850002" not in page
    assert "6271••••••••0002" in page
    client.force_login(staff_viewer)
    assert "6271014503850002" in client.get(reverse("bkm:detail", args=[bkm.pk])).content.decode()


@pytest.mark.django_db
def test_bkm_create_view_adds_units_and_refuses_second_active_bkm(client, bkm, staff_admin):
    from bkm.models import BKM, Kelurahan

    client.force_login(staff_admin)
    url = reverse("bkm:create")
    response = client.post(url, {"name": "BKM Kedua", "kelurahan": bkm.kelurahan_id, "status": "aktif"})
    assert response.status_code == 400
    assert "Kelurahan ini sudah punya BKM/LKM aktif" in response.content.decode()
    free = Kelurahan.objects.exclude(bkms__isnull=False).order_by("id").first()
    response = client.post(url, {"name": "BKM Baru", "kelurahan": free.pk, "status": "aktif"})
    assert response.status_code == 302
    created = BKM.objects.get(name="BKM Baru")
    assert set(created.units.values_list("unit_type", flat=True)) == {
        "upk",
        "upl",
        "ups",
        "sekretariat",
        "pengawas_upk",
    }


@pytest.mark.django_db
def test_assessment_and_audit_second_for_same_year_show_clear_message(client, bkm, staff_admin):
    from tests.bkm.factories import AuditRecordFactory

    AuditRecordFactory(bkm=bkm, fiscal_year=2024)
    client.force_login(staff_admin)
    response = client.post(
        reverse("bkm:audit_create", args=[bkm.pk]),
        {"fiscal_year": 2024, "auditor": "KAP Lain", "opinion": "wdp", "follow_up_status": "belum"},
    )
    assert response.status_code == 400
    assert "Audit BKM ini untuk tahun buku itu sudah tercatat" in response.content.decode()
    assert bkm.audits.count() == 1
