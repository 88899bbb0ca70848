from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.conf import settings as dj_settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import Http404

from core.models import OutboxMessage, OutboxStatus
from reports.models import ReportRun, ReportSubscription, RunStatus
from reports.pdf import write_atomically
from reports.services import (
    report_file_name,
    report_notify_subscribers,
    report_request,
    report_run_fail,
    report_run_start,
    report_schedule_run,
    report_subscription_set,
    warning_acknowledge,
)
from tests.factories import UserFactory


@pytest.fixture
def upk_types():
    from tests.reports import report_types  # noqa: F401  registers uji_upk

    return report_types


@pytest.mark.django_db
def test_report_request_queues_job_only_after_commit(staff_admin, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    from reports import tasks

    monkeypatch.setattr(tasks.report_generate, "apply_async", lambda args, **kwargs: queued.append(args[0]))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = report_request(user=staff_admin, report_type="kolaborasi", params={"year": 2026})
    # The job is recorded with the run (core.outbox) and leaves only after the commit.
    message = OutboxMessage.objects.get(task="reports.tasks.report_generate", args=[run.pk])
    assert message.status == OutboxStatus.PENDING
    assert queued == [] and len(callbacks) == 1
    callbacks[0]()
    assert queued == [run.pk]
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT and message.attempts == 1
    assert run.status == RunStatus.QUEUED and run.parameters == {"year": 2026}


@pytest.mark.django_db
def test_report_request_same_token_gives_one_run(staff_admin, other_bkm):
    import uuid

    token = uuid.uuid4()
    first = report_request(user=staff_admin, report_type="kolaborasi", params={"year": 2026}, request_token=token)
    again = report_request(user=staff_admin, report_type="kolaborasi", params={"year": 2026}, request_token=token)
    assert again.pk == first.pk
    assert ReportRun.objects.count() == 1
    assert OutboxMessage.objects.filter(task="reports.tasks.report_generate").count() == 1
    other = report_request(
        user=staff_admin, report_type="kolaborasi", params={"year": 2026}, request_token=uuid.uuid4()
    )
    assert other.pk != first.pk


@pytest.mark.django_db
def test_report_request_token_spent_on_other_parameters_is_a_new_run(staff_admin):
    import uuid

    token = uuid.uuid4()
    first = report_request(user=staff_admin, report_type="kolaborasi", params={"year": 2026}, request_token=token)
    # The form changed (another year) and sent again with its token: a new run, not the 2026 one.
    other = report_request(user=staff_admin, report_type="kolaborasi", params={"year": 2025}, request_token=token)
    assert other.pk != first.pk and other.parameters == {"year": 2025} and other.request_token is None
    # The first request sent once more is still the first run.
    again = report_request(user=staff_admin, report_type="kolaborasi", params={"year": 2026}, request_token=token)
    assert again.pk == first.pk


@pytest.mark.django_db
def test_report_request_token_of_another_user_is_never_looked_up(staff_admin):
    import uuid

    colleague = UserFactory(role="staff_admin", username="staf_kedua")
    token = uuid.uuid4()
    first = report_request(user=staff_admin, report_type="kolaborasi", params={"year": 2026}, request_token=token)
    theirs = report_request(user=colleague, report_type="kolaborasi", params={"year": 2026}, request_token=token)
    assert theirs.pk != first.pk and theirs.requested_by == colleague


@pytest.mark.django_db
def test_report_request_form_token_copied_to_another_user_or_report_makes_a_new_run(client, staff_admin):
    import re

    from django.urls import reverse

    colleague = UserFactory(role="staff_admin", username="staf_kedua")
    url = reverse("reports:request_form", args=["kolaborasi"])
    client.force_login(staff_admin)
    page = client.get(url).content.decode()
    token = re.search(r'name="request_token" value="([^"]+)"', page).group(1)
    assert len(token) > 36  # a UUID and the server's signature
    data = {"request_token": token, "year": "2026"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # the same form twice: one run
    assert ReportRun.objects.count() == 1
    first = ReportRun.objects.get()
    client.force_login(colleague)
    assert client.post(url, data).status_code == 302  # the staff admin's token: a run of the colleague's own
    assert ReportRun.objects.count() == 2
    assert ReportRun.objects.exclude(pk=first.pk).get().requested_by == colleague
    made_up = {"request_token": str(first.request_token), "year": "2026"}  # the bare UUID, unsigned
    client.force_login(staff_admin)
    assert client.post(url, made_up).status_code == 302
    assert ReportRun.objects.count() == 3


@pytest.mark.django_db
def test_report_request_bad_parameter_is_refused_with_message_and_nothing_saved(staff_admin):
    with pytest.raises(ValidationError) as exc:
        report_request(user=staff_admin, report_type="kolaborasi", params={"year": 1800})
    assert "Tahun minimal 2000." in " ".join(exc.value.messages)
    assert not ReportRun.objects.exists()


@pytest.mark.django_db
def test_report_request_unknown_type_is_404(staff_admin):
    with pytest.raises(Http404):
        report_request(user=staff_admin, report_type="tidak_ada", params={})


@pytest.mark.django_db
def test_report_request_coordinator_only_for_own_bkm(coordinator, other_bkm, member, upk_manager):
    run = report_request(user=coordinator, report_type="profil_bkm", params={"bkm": coordinator.bkm_id})
    assert run.requested_by == coordinator
    with pytest.raises(Http404):
        report_request(user=coordinator, report_type="profil_bkm", params={"bkm": other_bkm.pk})
    with pytest.raises(Http404):
        report_request(user=coordinator, report_type="profil_bkm", params={})  # the whole-city book
    with pytest.raises(PermissionDenied):
        report_request(user=member, report_type="profil_bkm", params={"bkm": member.bkm_id})
    with pytest.raises(PermissionDenied):
        report_request(user=coordinator, report_type="kolaborasi", params={})
    with pytest.raises(PermissionDenied):
        report_request(user=upk_manager, report_type="kolaborasi", params={})
    assert ReportRun.objects.count() == 1


@pytest.mark.django_db
def test_report_request_upk_manager_only_for_own_upk(upk_types, upk_manager, other_bkm, coordinator):
    own = upk_manager.upk_units.get()
    other = other_bkm.units.get(unit_type="upk")
    assert report_request(user=upk_manager, report_type="uji_upk", params={"upk": own.pk}).pk
    with pytest.raises(Http404):
        report_request(user=upk_manager, report_type="uji_upk", params={"upk": other.pk})
    with pytest.raises(PermissionDenied):
        report_request(user=coordinator, report_type="uji_upk", params={"upk": own.pk})


@pytest.mark.django_db
def test_report_run_start_refuses_ended_runs_and_bounds_attempts(staff_admin, settings):
    settings.REPORTS_MAX_ATTEMPTS = 2
    run = report_request(user=staff_admin, report_type="kolaborasi", params={})
    assert report_run_start(run_id=run.pk, task_id="a", worker_hostname="w1").attempts == 1
    # A redelivery (worker crashed) may claim it again...
    assert report_run_start(run_id=run.pk, task_id="a", worker_hostname="w2").attempts == 2
    # ...but not forever: a crash loop ends as failed.
    assert report_run_start(run_id=run.pk, task_id="a", worker_hostname="w3") is None
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "terlalu banyak percobaan" in run.error_message


@pytest.mark.django_db
def test_report_run_fail_removes_partial_file_and_temps(staff_admin):
    run = report_request(user=staff_admin, report_type="kolaborasi", params={})
    path = Path(default_storage.path(report_file_name(run)))
    write_atomically(path, b"%PDF-partial")
    stray = path.parent / f".{path.name}.tmp-xyz"
    stray.write_bytes(b"half")
    assert report_run_fail(run_id=run.pk, message="Worker hilang")
    assert not path.exists() and not stray.exists()
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.error_message == "Worker hilang" and not run.pdf
    # An ended run is not failed twice.
    assert not report_run_fail(run_id=run.pk, message="lagi")


def test_write_atomically_leaves_no_temp_when_the_write_fails(tmp_path):
    target = tmp_path / "laporan.pdf"
    with pytest.raises(TypeError):
        write_atomically(target, "not bytes")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
    digest = write_atomically(target, b"%PDF-1.7 isi")
    assert target.read_bytes() == b"%PDF-1.7 isi" and len(digest) == 64
    assert [p.name for p in tmp_path.iterdir()] == ["laporan.pdf"]


@pytest.mark.django_db
def test_report_schedule_run_creates_subscriber_run_for_registered_type(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = report_schedule_run(report_type="kolaborasi", today=date(2026, 12, 1))
    assert run is not None and run.notify_subscribers and run.requested_by is None
    assert run.parameters == {"year": 2026}
    assert len(callbacks) == 1
    # The monthly city report covers the month before the run.
    with django_capture_on_commit_callbacks(execute=False):
        city = report_schedule_run(report_type="kinerja_upk_kota", today=date(2026, 1, 1))
    assert city is not None and city.parameters == {"period": "2025-12"} and city.notify_subscribers
    assert report_schedule_run(report_type="tidak_ada") is None


@pytest.mark.django_db
def test_report_notify_subscribers_mails_link_only_to_users_who_may_see_it(staff_admin, staff_viewer, coordinator):
    report_subscription_set(user=staff_admin, report_type="kolaborasi", active=True)
    report_subscription_set(user=staff_viewer, report_type="kolaborasi", active=False)
    # A subscription that lost its right (e.g. role changed) gets nothing.
    former = UserFactory(role="staff_viewer")
    report_subscription_set(user=former, report_type="kolaborasi", active=True)
    former.role = "bkm_member"
    former.save()
    run = ReportRun.objects.create(
        report_type="kolaborasi", status=RunStatus.DONE, pdf="reports/x.pdf", notify_subscribers=True
    )
    assert report_notify_subscribers(run=run) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [staff_admin.email]
    assert "Rekap Kolaborasi OPD–BKM" in message.subject
    assert f"{dj_settings.PORTAL_BASE_URL}/laporan/{run.pk}/unduh/" in message.body
    with pytest.raises(PermissionDenied):
        report_subscription_set(user=coordinator, report_type="kolaborasi", active=True)
    assert not ReportSubscription.objects.filter(user=coordinator).exists()


@pytest.mark.django_db
def test_warning_acknowledge_requires_note_and_staff_admin(staff_admin, staff_viewer):
    with pytest.raises(ValidationError):
        warning_acknowledge(user=staff_admin, key="k1", subject="BKM A", note="  ")
    with pytest.raises(PermissionDenied):
        warning_acknowledge(user=staff_viewer, key="k1", subject="BKM A", note="Sudah ditelepon")
    ack = warning_acknowledge(user=staff_admin, key="k1", subject="BKM A", note="Sudah ditelepon")
    again = warning_acknowledge(user=staff_admin, key="k1", subject="BKM A", note="Rapat 3 Desember")
    assert ack.pk == again.pk and again.note == "Rapat 3 Desember"


@pytest.mark.django_db
def test_report_run_generate_removes_temps_a_killed_attempt_left(staff_admin):
    from reports.pdf import temp_prefix
    from reports.services import report_file_name, report_run_generate

    run = report_request(user=staff_admin, report_type="kolaborasi", params={"year": 2026})
    run = report_run_start(run_id=run.pk, task_id="t1", worker_hostname="w1")
    path = Path(default_storage.path(report_file_name(run)))
    path.parent.mkdir(parents=True, exist_ok=True)
    stale = path.parent / f"{temp_prefix(path)}sisa"
    stale.write_bytes(b"%PDF-1.7 setengah")  # the first attempt's worker was killed mid-write
    report_run_generate(run=run)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert not stale.exists()
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.stem)) == [path.name]
