"""Every rule of bkm/permissions.py, at function level and through the screens."""

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse

from bkm import permissions as perms
from bkm import services
from bkm.models import BKM, BoardMember
from tests.bkm.factories import AuditRecordFactory, ElectionFactory, UnitPersonFactory
from tests.factories import BoardMemberFactory, ProposalFactory, SlumAreaFactory, UserFactory

# --- function level -------------------------------------------------------------------


@pytest.mark.django_db
def test_filter_bkms_for_scopes_each_role(bkm, other_bkm, staff_admin, staff_viewer, coordinator, member, upk_manager):
    both = {bkm.pk, other_bkm.pk}
    assert set(perms.filter_bkms_for(staff_admin).values_list("pk", flat=True)) == both
    assert set(perms.filter_bkms_for(staff_viewer).values_list("pk", flat=True)) == both
    assert set(perms.filter_bkms_for(coordinator).values_list("pk", flat=True)) == {bkm.pk}
    assert set(perms.filter_bkms_for(member).values_list("pk", flat=True)) == {bkm.pk}
    assert set(perms.filter_bkms_for(upk_manager).values_list("pk", flat=True)) == {bkm.pk}


@pytest.mark.django_db
def test_filter_bkms_for_anonymous_and_unbound_users_see_nothing(bkm):
    from django.contrib.auth.models import AnonymousUser

    assert not perms.filter_bkms_for(AnonymousUser()).exists()
    assert not perms.filter_bkms_for(UserFactory(role="bkm_member", bkm=None)).exists()
    assert not perms.filter_bkms_for(UserFactory(role="upk_manager")).exists()
    inactive = UserFactory(role="staff_admin", is_active=False)
    assert not perms.filter_bkms_for(inactive).exists()


@pytest.mark.django_db
def test_check_bkm_edit_coordinator_parts_only_on_own_bkm(bkm, other_bkm, coordinator):
    for part in perms.Part.COORDINATOR:
        perms.check_bkm_edit(coordinator, bkm, part)
    for part in perms.Part.ALL - perms.Part.COORDINATOR:
        with pytest.raises(PermissionDenied):
            perms.check_bkm_edit(coordinator, bkm, part)
    for part in perms.Part.ALL:
        with pytest.raises(Http404):
            perms.check_bkm_edit(coordinator, other_bkm, part)


@pytest.mark.django_db
def test_check_bkm_edit_member_viewer_and_manager_cannot_edit(bkm, member, staff_viewer, upk_manager, staff_admin):
    for user in (member, staff_viewer, upk_manager):
        perms.check_bkm_view(user, bkm)
        for part in perms.Part.ALL:
            with pytest.raises(PermissionDenied):
                perms.check_bkm_edit(user, bkm, part)
    for part in perms.Part.ALL:
        perms.check_bkm_edit(staff_admin, bkm, part)


@pytest.mark.django_db
def test_check_bkm_edit_sysadmin_edits_everything(bkm):
    sysadmin = UserFactory(role="sysadmin")
    assert perms.editable_parts(sysadmin, bkm) == perms.Part.ALL


@pytest.mark.django_db
def test_filter_proposals_for_scopes_to_own_bkm(bkm, other_bkm, member, staff_viewer):
    mine, theirs = ProposalFactory(bkm=bkm), ProposalFactory(bkm=other_bkm)
    assert list(perms.filter_proposals_for(member)) == [mine]
    assert set(perms.filter_proposals_for(staff_viewer)) == {mine, theirs}


# --- through the screens ---------------------------------------------------------------


def edit_urls(bkm: BKM) -> dict[str, str]:
    """Every edit page of one BKM with the part it belongs to."""
    member = BoardMemberFactory(bkm=bkm)
    election = ElectionFactory(bkm=bkm)
    person = UnitPersonFactory(unit=bkm.units.get(unit_type="upk"))
    unit = bkm.units.get(unit_type="upl")
    audit = AuditRecordFactory(bkm=bkm)
    proposal = ProposalFactory(bkm=bkm)
    return {
        reverse("bkm:edit_profile", args=[bkm.pk]): "profile",
        reverse("bkm:edit_contacts", args=[bkm.pk]): "contacts",
        reverse("bkm:board_member_create", args=[bkm.pk]): "board",
        reverse("bkm:board_member_edit", args=[bkm.pk, member.pk]): "board",
        reverse("bkm:election_create", args=[bkm.pk]): "board",
        reverse("bkm:election_edit", args=[bkm.pk, election.pk]): "board",
        reverse("bkm:unit_create", args=[bkm.pk]): "units",
        reverse("bkm:unit_edit", args=[bkm.pk, unit.pk]): "units",
        reverse("bkm:unit_person_create", args=[bkm.pk]): "units",
        reverse("bkm:unit_person_edit", args=[bkm.pk, person.pk]): "units",
        reverse("bkm:document_create", args=[bkm.pk]): "documents",
        reverse("bkm:bank_account_create", args=[bkm.pk]): "bank",
        reverse("bkm:handover", args=[bkm.pk]): "handover",
        reverse("bkm:assessment_create", args=[bkm.pk]): "assessment",
        reverse("bkm:audit_create", args=[bkm.pk]): "audit",
        reverse("bkm:audit_edit", args=[bkm.pk, audit.pk]): "audit",
        reverse("bkm:proposal_create", args=[bkm.pk]): "proposals",
        reverse("bkm:proposal_edit", args=[proposal.pk]): "proposals",
        reverse("bkm:rplp_item_create", args=[bkm.pk]): "rplp",
    }


@pytest.mark.django_db
def test_edit_pages_coordinator_of_other_bkm_gets_404(client, bkm, other_coordinator):
    client.force_login(other_coordinator)
    for url in edit_urls(bkm):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "X"}).status_code == 404, url
    assert client.get(reverse("bkm:detail", args=[bkm.pk])).status_code == 404
    assert client.get(reverse("bkm:history", args=[bkm.pk])).status_code == 404
    assert client.get(reverse("bkm:records", args=[bkm.pk])).status_code == 404


@pytest.mark.django_db
def test_edit_pages_coordinator_edits_only_the_coordinator_parts_of_own_bkm(client, bkm, coordinator):
    client.force_login(coordinator)
    # Since issue 15 the coordinator also drafts proposals (staff-recorded ones stay staff's to edit).
    drafts = {reverse("bkm:proposal_create", args=[bkm.pk])}
    for url, part in edit_urls(bkm).items():
        expected = 200 if part in perms.Part.COORDINATOR or url in drafts else 403
        assert client.get(url).status_code == expected, url


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["member", "staff_viewer", "upk_manager"])
def test_edit_pages_readers_get_403_and_nothing_changes(client, bkm, request, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    assert client.get(reverse("bkm:detail", args=[bkm.pk])).status_code == 200
    for url in edit_urls(bkm):
        assert client.get(url).status_code == 403, url
    count = BoardMember.objects.count()
    response = client.post(
        reverse("bkm:board_member_create", args=[bkm.pk]),
        {
            "name": "Penyusup",
            "gender": "L",
            "position": "anggota",
            "term_start": "2025-01-01",
            "term_end": "2028-01-01",
        },
    )
    assert response.status_code == 403
    assert BoardMember.objects.count() == count


@pytest.mark.django_db
def test_edit_pages_staff_admin_reaches_every_page(client, bkm, staff_admin):
    client.force_login(staff_admin)
    for url in edit_urls(bkm):
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_pages_anonymous_is_redirected_to_login(client, bkm):
    area = SlumAreaFactory()
    urls = [
        reverse("bkm:list"),
        reverse("bkm:export_csv"),
        reverse("bkm:export_xlsx"),
        reverse("bkm:detail", args=[bkm.pk]),
        reverse("bkm:proposal_list"),
        reverse("bkm:slum_list"),
        reverse("bkm:slum_detail", args=[area.pk]),
        reverse("bkm:opd_list"),
        *edit_urls(bkm),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


@pytest.mark.django_db
def test_bkm_detail_upk_manager_reads_own_bkm_only(client, bkm, other_bkm, upk_manager):
    client.force_login(upk_manager)
    assert client.get(reverse("bkm:detail", args=[bkm.pk])).status_code == 200
    assert client.get(reverse("bkm:records", args=[other_bkm.pk])).status_code == 404
    assert client.get(reverse("bkm:detail", args=[other_bkm.pk])).status_code == 404


@pytest.mark.django_db
def test_proposal_pages_of_other_bkm_are_404_and_transition_is_staff_admin_only(
    client, bkm, other_bkm, member, staff_viewer
):
    theirs = ProposalFactory(bkm=other_bkm)
    mine = ProposalFactory(bkm=bkm)
    client.force_login(member)
    assert client.get(reverse("bkm:proposal_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("bkm:proposal_detail", args=[mine.pk])).status_code == 200
    assert client.post(reverse("bkm:proposal_detail", args=[mine.pk]), {"to_status": "dibahas"}).status_code == 403
    client.force_login(staff_viewer)
    assert client.post(reverse("bkm:proposal_detail", args=[mine.pk]), {"to_status": "dibahas"}).status_code == 403
    mine.refresh_from_db()
    assert mine.status == "diusulkan"


@pytest.mark.django_db
def test_reference_pages_read_by_all_edited_by_staff_admin_only(client, member, staff_admin, staff_viewer):
    area = SlumAreaFactory()
    client.force_login(member)
    for url in (reverse("bkm:slum_list"), reverse("bkm:slum_detail", args=[area.pk]), reverse("bkm:opd_list")):
        assert client.get(url).status_code == 200
    for user in (member, staff_viewer):
        client.force_login(user)
        for url in (
            reverse("bkm:slum_create"),
            reverse("bkm:slum_edit", args=[area.pk]),
            reverse("bkm:slum_measure_create", args=[area.pk]),
            reverse("bkm:opd_create"),
        ):
            assert client.get(url).status_code == 403, url
    client.force_login(staff_admin)
    assert client.get(reverse("bkm:slum_create")).status_code == 200


@pytest.mark.django_db
def test_document_download_only_for_readers_of_its_bkm(client, bkm, other_coordinator, member, upk_manager, pdf_bytes):
    doc = services.document_create(
        bkm=bkm,
        doc_type="akta",
        title="Akta",
        upload=SimpleUploadedFile("akta.pdf", pdf_bytes),
        actor=None,
    )
    url = reverse("bkm:document_download", args=[doc.versions.get().pk])
    client.force_login(other_coordinator)
    assert client.get(url).status_code == 404
    for reader in (member, upk_manager):
        client.force_login(reader)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == pdf_bytes
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "attachment" in response["Content-Disposition"]
    client.logout()
    assert client.get(url).status_code == 302


@pytest.mark.django_db
def test_document_files_have_no_public_url(client, bkm, staff_admin, pdf_bytes):
    doc = services.document_create(
        bkm=bkm, doc_type="akta", title="Akta", upload=SimpleUploadedFile("akta.pdf", pdf_bytes), actor=None
    )
    name = doc.versions.get().file.name
    client.force_login(staff_admin)
    assert client.get("/media/" + name).status_code == 404
    assert client.get("/" + name).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_coordinator_of_other_bkm_gets_only_own_bkm(client, bkm, other_bkm, other_coordinator, fmt):
    client.force_login(other_coordinator)
    response = client.get(reverse(f"bkm:export_{fmt}"))
    assert response.status_code == 200
    names = _export_names(response, fmt)
    assert names == [other_bkm.name]
    # Asking for the other BKM's kelurahan explicitly still gives nothing of it.
    response = client.get(reverse(f"bkm:export_{fmt}"), {"kelurahan": bkm.kelurahan_id})
    assert _export_names(response, fmt) == []


def _export_names(response, fmt: str) -> list[str]:
    if fmt == "csv":
        text = response.content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    else:
        from openpyxl import load_workbook

        ws = load_workbook(io.BytesIO(response.content), read_only=True).active
        rows = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    return [row[0] for row in rows[1:]]
