"""Capacity building: the library (versions, search, downloads), trainings (registration,
capacity, attendance) and the BKM page's suggestions from the assessment's weak aspects."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from bkm import services as bkm_services
from bkm.models import AssessmentAspect
from forum import library_selectors as selectors
from forum import library_services as services
from forum import permissions as perms
from forum.models import Attendance, Material, MaterialCategory, MaterialVersion, TrainingParticipant
from forum.search import filter_materials_matching
from tests.factories import UserFactory
from tests.forum.library_factories import make_material, make_training, pdf

pytestmark = pytest.mark.django_db


def _assess(bkm, low: dict[str, int], year: int | None = None):
    """An assessment with every aspect at 80 except the ones in `low`."""
    aspects = list(AssessmentAspect.objects.filter(is_active=True))
    scores = {a: (a.default_weight, Decimal(low.get(a.code, 80))) for a in aspects}
    return bkm_services.assessment_save(bkm=bkm, data={"year": year or timezone.localdate().year - 1}, scores=scores)


# --- Services: versions and files ---------------------------------------------------------------


def test_material_add_version_keeps_old_versions_and_shows_the_newest(staff_admin):
    material = make_material(staff_admin, title="Templat AD/ART")
    v2 = services.material_add_version(user=staff_admin, material=material, upload=pdf("v2.pdf"), note="revisi")
    material.refresh_from_db()
    assert material.current_version == v2 and v2.number == 2
    versions = selectors.material_versions(material=material)
    assert [v.number for v in versions] == [2, 1]
    assert all(default_storage.exists(v.file.name) for v in versions)
    assert versions[0].uploaded_by == staff_admin and versions[0].note == "revisi"


def test_material_create_refuses_a_disguised_file_and_leaves_nothing(staff_admin):
    fake = SimpleUploadedFile("juknis.pdf", b"MZ\x90\x00 bukan pdf" * 10)
    with pytest.raises(ValidationError, match="tidak diizinkan"):
        services.material_create(
            user=staff_admin, category=MaterialCategory.objects.first(), title="Palsu", upload=fake
        )
    assert not Material.objects.exists() and not MaterialVersion.objects.exists()


def test_material_check_file_refuses_images_and_oversize(staff_admin, settings):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG")
    with pytest.raises(ValidationError, match="bukan gambar"):
        services.material_check_file(upload=SimpleUploadedFile("a.png", buffer.getvalue()))
    settings.FORUM_LIBRARY_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="terlalu besar"):
        services.material_check_file(upload=pdf())


def test_material_services_are_staff_admin_only(staff_viewer, coordinator, staff_admin):
    material = make_material(staff_admin)
    for user in (staff_viewer, coordinator):
        with pytest.raises(PermissionDenied):
            make_material(user)
        with pytest.raises(PermissionDenied):
            services.material_add_version(user=user, material=material, upload=pdf())


# --- Permissions and selectors ---------------------------------------------------------------------


def test_filter_visible_materials_hides_archived_from_readers(staff_admin, member, upk_manager):
    kept = make_material(staff_admin, title="Dipakai")
    archived = make_material(staff_admin, title="Lama")
    services.material_update(
        user=staff_admin, material=archived, category=archived.category, title="Lama", is_archived=True
    )
    assert set(selectors.material_list(user=staff_admin)) == {kept, archived}
    for reader in (member, upk_manager):
        assert list(selectors.material_list(user=reader)) == [kept]
    outsider = UserFactory(role="bkm_member", bkm=None)
    assert not perms.can_read_library(outsider)
    assert list(selectors.material_list(user=outsider)) == []


def test_search_finds_a_material_by_a_word_of_its_title_or_description(staff_admin):
    by_title = make_material(staff_admin, title="SOP Penagihan Angsuran")
    by_text = make_material(staff_admin, title="Panduan KSM", description="Cara menangani KSM yang menunggak.")
    make_material(staff_admin, title="Templat RPLP", description="Rencana penataan lingkungan")
    qs = Material.objects.all()
    assert list(filter_materials_matching(qs, "penagihan")) == [by_title]
    # The stemmer ("menangani" → tangan) and the word families ("tunggakan" ~ "menunggak").
    assert list(filter_materials_matching(qs, "tunggakan")) == [by_text]
    assert set(filter_materials_matching(qs, "ksm OR penagihan")) >= {by_text}
    assert list(filter_materials_matching(qs, "rplp -templat")) == []


def test_search_embedded_path_agrees(monkeypatch, staff_admin):
    from forum import search

    by_title = make_material(staff_admin, title="SOP Penagihan Angsuran")
    by_text = make_material(staff_admin, title="Panduan KSM", description="Cara menangani KSM yang menunggak.")
    monkeypatch.setattr(search, "is_postgres", lambda: False)
    qs = Material.objects.all()
    assert list(filter_materials_matching(qs, "penagihan")) == [by_title]
    assert list(filter_materials_matching(qs, "tunggakan")) == [by_text]
    assert list(filter_materials_matching(qs, "jam")) == []  # no substring matches


def test_search_ranks_title_above_description(staff_admin):
    in_text = make_material(staff_admin, title="Panduan umum", description="bagian tentang drainase")
    in_title = make_material(staff_admin, title="Drainase lingkungan", description="isi")
    assert list(filter_materials_matching(Material.objects.all(), "drainase")) == [in_title, in_text]


# --- Trainings ---------------------------------------------------------------------------------------


def test_training_participant_add_coordinator_only_for_own_bkm(staff_admin, coordinator, member, other_bkm):
    training = make_training(staff_admin)
    services.training_participant_add(user=coordinator, training=training, bkm=coordinator.bkm, name="Siti")
    with pytest.raises(PermissionDenied):
        services.training_participant_add(user=coordinator, training=training, bkm=other_bkm, name="Budi")
    with pytest.raises(PermissionDenied):
        services.training_participant_add(user=member, training=training, bkm=member.bkm, name="Budi")
    services.training_participant_add(user=staff_admin, training=training, bkm=other_bkm, name="Budi")
    assert training.participants.count() == 2


def test_training_participant_add_refuses_past_capacity_duplicates_and_late(staff_admin, bkm, other_bkm):
    training = make_training(staff_admin, capacity=2)
    services.training_participant_add(user=staff_admin, training=training, bkm=bkm, name="Siti Aminah")
    with pytest.raises(ValidationError, match="sudah terdaftar"):
        services.training_participant_add(user=staff_admin, training=training, bkm=bkm, name="siti  aminah")
    with pytest.raises(ValidationError, match="bukan milik"):
        services.training_participant_add(
            user=staff_admin, training=training, bkm=bkm, name="X", unit=other_bkm.units.first()
        )
    services.training_participant_add(user=staff_admin, training=training, bkm=other_bkm, name="Budi")
    with pytest.raises(ValidationError, match="penuh"):
        services.training_participant_add(user=staff_admin, training=training, bkm=other_bkm, name="Rina")
    late = make_training(staff_admin, days=-1)
    with pytest.raises(ValidationError, match="ditutup"):
        services.training_participant_add(user=staff_admin, training=late, bkm=bkm, name="Rina")


def test_training_record_attendance_after_the_event_by_staff(staff_admin, staff_viewer, bkm):
    training = make_training(staff_admin, days=3)
    a = services.training_participant_add(user=staff_admin, training=training, bkm=bkm, name="A")
    b = services.training_participant_add(user=staff_admin, training=training, bkm=bkm, name="B")
    with pytest.raises(ValidationError, match="setelah pelatihan dimulai"):
        services.training_record_attendance(user=staff_admin, training=training, present_ids=[a.pk])
    after = training.starts_on
    with pytest.raises(PermissionDenied):
        services.training_record_attendance(user=staff_viewer, training=training, present_ids=[a.pk], today=after)
    other = services.training_participant_add(
        user=staff_admin, training=make_training(staff_admin), bkm=bkm, name="Lain"
    )
    with pytest.raises(ValidationError):
        services.training_record_attendance(user=staff_admin, training=training, present_ids=[other.pk], today=after)
    assert (
        services.training_record_attendance(user=staff_admin, training=training, present_ids=[a.pk], today=after) == 1
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.attendance, b.attendance) == (Attendance.HADIR, Attendance.TIDAK_HADIR)
    assert a.attendance_recorded_by == staff_admin


def test_training_participants_are_seen_by_staff_and_own_bkm_only(staff_admin, member, upk_manager, other_bkm):
    training = make_training(staff_admin)
    mine = services.training_participant_add(user=staff_admin, training=training, bkm=member.bkm, name="Mine")
    services.training_participant_add(user=staff_admin, training=training, bkm=other_bkm, name="Theirs")
    assert len(selectors.training_participants(user=staff_admin, training=training)) == 2
    assert selectors.training_participants(user=member, training=training) == [mine]
    assert selectors.training_participants(user=upk_manager, training=training) == [mine]


def test_training_update_refuses_capacity_below_registered(staff_admin, bkm):
    training = make_training(staff_admin, capacity=3)
    for name in ("A", "B"):
        services.training_participant_add(user=staff_admin, training=training, bkm=bkm, name=name)
    with pytest.raises(ValidationError, match="lebih kecil"):
        services.training_update(user=staff_admin, training=training, data={"capacity": 1})


# --- Suggestions ---------------------------------------------------------------------------------


def test_capacity_suggestions_follow_the_latest_assessments_weak_aspects(staff_admin, member, bkm):
    finance = make_material(staff_admin, title="Templat pembukuan", codes=["sumberdaya-keuangan"])
    make_material(staff_admin, title="SOP rapat", codes=["kepemimpinan"])
    upcoming = make_training(staff_admin, codes=["sumberdaya-keuangan"], title="Pembukuan UPK")
    make_training(staff_admin, days=-30, codes=["sumberdaya-keuangan"], title="Sudah lewat")
    year = timezone.localdate().year
    _assess(bkm, {"kepemimpinan": 40}, year=year - 2)
    _assess(bkm, {"sumberdaya-keuangan": 45, "sdm": 59}, year=year - 1)
    s = selectors.capacity_suggestions(user=member, bkm=bkm)
    assert [w.aspect.code for w in s.weak] == ["sumberdaya-keuangan", "sdm"]
    assert s.materials == [finance]
    assert s.trainings == [upcoming]
    assert selectors.capacity_suggestions(user=UserFactory(role="bkm_member", bkm=None), bkm=bkm) is None


def test_bkm_page_shows_suggestions_with_bounded_queries(
    client, staff_admin, member, bkm, django_assert_max_num_queries
):
    make_material(staff_admin, title="Templat pembukuan", codes=["sumberdaya-keuangan"])
    make_training(staff_admin, codes=["sumberdaya-keuangan"], title="Pelatihan pembukuan")
    _assess(bkm, {"sumberdaya-keuangan": 45})
    client.force_login(member)
    url = reverse("bkm:records", args=[bkm.pk])
    with django_assert_max_num_queries(60) as before:
        html = client.get(url).content.decode()
    assert "Saran peningkatan kapasitas" in html and "Templat pembukuan" in html and "Pelatihan pembukuan" in html
    for i in range(5):
        make_material(staff_admin, title=f"Materi {i}", codes=["sumberdaya-keuangan", "sdm"])
        make_training(staff_admin, codes=["sumberdaya-keuangan"], title=f"Pelatihan {i}")
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(url)


# --- Views ---------------------------------------------------------------------------------------


def test_library_list_filters_searches_paginates_and_exports(client, staff_admin, member, settings):
    settings.FORUM_LIBRARY_PER_PAGE = 2
    for i in range(3):
        make_material(staff_admin, title=f"Templat pembukuan {i}", category="templat")
    make_material(staff_admin, title="SOP rapat", category="sop")
    client.force_login(member)
    response = client.get(reverse("forum:library"), {"cari": "pembukuan"})
    assert response.context["page_obj"].paginator.count == 3
    page2 = client.get(reverse("forum:library"), {"cari": "pembukuan", "page": 2})
    assert len(page2.context["page_obj"]) == 1
    export = client.get(reverse("forum:library"), {"cari": "pembukuan", "format": "csv"})
    assert export["Content-Type"].startswith("text/csv")
    body = export.content.decode("utf-8-sig")
    assert body.count("Templat pembukuan") == 3 and "SOP rapat" not in body
    xlsx = client.get(reverse("forum:library"), {"kategori": "abc", "format": "xlsx"})
    assert xlsx.content[:2] == b"PK"


def test_library_pages_query_count_is_flat(client, staff_admin, member, django_assert_max_num_queries):
    material = make_material(staff_admin, codes=["sdm"])
    client.force_login(member)
    with django_assert_max_num_queries(20) as small:
        client.get(reverse("forum:library"))
    for i in range(10):
        m = make_material(staff_admin, title=f"M{i}", codes=["sdm", "organisasi"])
        services.material_add_version(user=staff_admin, material=m, upload=pdf())
        services.material_add_version(user=staff_admin, material=material, upload=pdf())
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("forum:library"))
    with django_assert_max_num_queries(15):
        response = client.get(reverse("forum:material", args=[material.pk]))
    assert len(response.context["versions"]) == 11


def test_material_download_checks_access_and_missing_file_is_404(client, staff_admin, member):
    material = make_material(staff_admin)
    url = reverse("forum:material_download", args=[material.pk, 1])
    client.force_login(member)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert client.get(reverse("forum:material_download", args=[material.pk, 9])).status_code == 404
    default_storage.delete(material.current_version.file.name)
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(role="bkm_member", bkm=None, username="tanpabkm"))
    assert client.get(url).status_code == 403


def test_material_create_view_is_staff_admin_only_and_shows_refusals(client, staff_admin, staff_viewer):
    client.force_login(staff_viewer)
    assert client.get(reverse("forum:material_create")).status_code == 403
    client.force_login(staff_admin)
    data = {"category": MaterialCategory.objects.get(slug="sop").pk, "title": "SOP kas", "description": "d"}
    bad = client.post(reverse("forum:material_create"), {**data, "file": SimpleUploadedFile("a.pdf", b"bukan")})
    assert bad.status_code == 200 and not Material.objects.exists()
    ok = client.post(reverse("forum:material_create"), {**data, "file": pdf()})
    material = Material.objects.get()
    assert ok.status_code == 302 and ok["Location"] == reverse("forum:material", args=[material.pk])
    client.post(reverse("forum:material_version_add", args=[material.pk]), {"file": pdf("b.pdf"), "note": "baru"})
    assert material.versions.count() == 2


def test_training_pages_register_and_record_attendance(client, staff_admin, coordinator, other_bkm):
    training = make_training(staff_admin, capacity=3)
    client.force_login(coordinator)
    page = client.get(reverse("forum:training", args=[training.pk]))
    assert list(page.context["participant_form"].fields["bkm"].queryset) == [coordinator.bkm]
    forged = client.post(
        reverse("forum:training_participant_add", args=[training.pk]), {"bkm": other_bkm.pk, "name": "Palsu"}
    )
    assert forged.status_code == 200 and not TrainingParticipant.objects.exists()
    client.post(
        reverse("forum:training_participant_add", args=[training.pk]),
        {"bkm": coordinator.bkm_id, "name": "Siti", "position": "Anggota"},
    )
    participant = TrainingParticipant.objects.get()
    assert participant.registered_by == coordinator
    assert (
        client.post(reverse("forum:training_attendance", args=[training.pk]), {"present": participant.pk}).status_code
        == 403
    )
    participant.refresh_from_db()
    assert participant.attendance == ""  # a coordinator records no attendance
    type(training).objects.filter(pk=training.pk).update(starts_on=timezone.localdate() - datetime.timedelta(days=1))
    client.force_login(staff_admin)
    client.post(reverse("forum:training_attendance", args=[training.pk]), {"present": participant.pk})
    participant.refresh_from_db()
    assert participant.attendance == Attendance.HADIR


def test_training_list_filters_upcoming_and_past_and_exports(
    client, staff_admin, member, django_assert_max_num_queries
):
    make_training(staff_admin, title="Akan datang A")
    make_training(staff_admin, days=-10, title="Lewat B")
    client.force_login(member)
    upcoming = client.get(reverse("forum:trainings"), {"waktu": "akan-datang"})
    assert [t.title for t in upcoming.context["page_obj"]] == ["Akan datang A"]
    past = client.get(reverse("forum:trainings"), {"waktu": "sudah-lewat", "format": "csv"}).content.decode("utf-8-sig")
    assert "Lewat B" in past and "Akan datang A" not in past
    with django_assert_max_num_queries(15) as small:
        client.get(reverse("forum:trainings"))
    for i in range(8):
        make_training(staff_admin, title=f"T{i}", codes=["sdm"])
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("forum:trainings"))
    bad = client.get(reverse("forum:trainings"), {"tahun": "abc", "aspek": "999"})
    assert bad.status_code == 200


def test_seed_demo_adds_library_and_trainings_with_attendance():
    from io import StringIO

    from django.core.management import call_command

    from core.models import User
    from forum.models import Training

    call_command("seed_demo", "--seed", "7", "--scale", "small", stdout=StringIO())
    assert Material.objects.count() == 15
    assert MaterialVersion.objects.count() > 15
    assert all(m.current_version.number == m.versions.count() for m in Material.objects.all())
    trainings = list(Training.objects.all())
    assert len(trainings) == 4
    today = timezone.localdate()
    past = [t for t in trainings if t.starts_on < today]
    assert len(past) == 2
    for t in past:
        marks = set(t.participants.values_list("attendance", flat=True))
        assert marks <= {Attendance.HADIR, Attendance.TIDAK_HADIR} and Attendance.HADIR in marks
    coordinator = User.objects.get(username="koordinator")
    assert TrainingParticipant.objects.filter(registered_by=coordinator, bkm=coordinator.bkm).exists()


def test_library_search_takes_any_input_without_error(client, staff_admin, member):
    make_material(staff_admin, title="Pinjaman bergulir")
    client.force_login(member)
    for query in ['"pinjaman bergulir"', "a & b | !", "-kumuh", "' OR 1=1 --", "::", "((((", "x" * 500]:
        assert client.get(reverse("forum:library"), {"cari": query}).status_code == 200


def test_material_edit_archives_and_readers_then_get_404(client, staff_admin, member):
    material = make_material(staff_admin, title="Juknis lama", codes=["sdm"])
    client.force_login(staff_admin)
    response = client.post(
        reverse("forum:material_edit", args=[material.pk]),
        {"category": material.category_id, "title": "Juknis lama (2019)", "description": "", "is_archived": "on"},
    )
    assert response.status_code == 302
    material.refresh_from_db()
    assert material.is_archived and material.title == "Juknis lama (2019)"
    assert list(material.aspects.all()) == []
    client.force_login(member)
    assert client.get(reverse("forum:material", args=[material.pk])).status_code == 404
    assert client.get(reverse("forum:material_download", args=[material.pk, 1])).status_code == 404
