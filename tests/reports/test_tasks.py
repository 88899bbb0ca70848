"""Report jobs on a real Celery worker: figures in the PDF equal the selectors', failures leave no file."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from bkm.models import BKM
from bkm.selectors import bkm_profile
from core.models import OutboxMessage
from reports.models import ReportRun, RunStatus
from reports.pdf import format_date, format_decimal, format_number, format_rupiah
from reports.selectors import bkm_profile_list, proposal_summary
from reports.services import report_file_name, report_request, report_run_create, report_runs_watchdog
from reports.tasks import report_generate
from tests.factories import BKMFactory, UserFactory

from .conftest import compact, pdf_text, registry_record, wait_for_run

ROOT = Path(__file__).resolve().parents[2]


def _row_text(row) -> str:
    return f"{row.label} {format_number(row.count)} {format_rupiah(row.budget_proposed)} {format_rupiah(row.budget_approved)}"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_report_generate_kolaborasi_pdf_shows_selector_figures(celery_worker, collaboration, staff_admin):
    kecamatan = collaboration["kecamatan"][0]
    for params, year, kec_id in [({}, None, None), ({"year": 2026, "kecamatan": kecamatan.pk}, 2026, kecamatan.pk)]:
        run = wait_for_run(report_request(user=staff_admin, report_type="kolaborasi", params=params).pk)
        assert run.status == RunStatus.DONE, run.error_message
        text = pdf_text(run)
        summary = proposal_summary(year=year, kecamatan_id=kec_id)
        assert summary.total.count > 0
        assert f"Seluruh usulan {_row_text(summary.total)[len('Jumlah ') :]}" in text
        for row in summary.by_status + summary.by_opd + summary.by_kecamatan + summary.by_year + summary.by_funding:
            assert _row_text(row) in text
        assert "PEMERINTAH KOTA PALANGKA RAYA" in text
        assert "(BAPPEDALITBANG)" in text
        assert "WIB" in text
        pages = len(__import__("pypdf").PdfReader(default_storage.path(run.pdf.name)).pages)
        assert f"Halaman 1 dari {pages}" in text and f"Halaman {pages} dari {pages}" in text
        data = Path(default_storage.path(run.pdf.name)).read_bytes()
        assert hashlib.sha256(data).hexdigest() == run.checksum_sha256
        assert run.pdf_size == len(data)
        assert run.progress == 100 and run.started_at and run.finished_at


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_report_generate_profil_book_and_single_show_selector_figures(celery_worker, collaboration, staff_admin):
    run = wait_for_run(report_request(user=staff_admin, report_type="profil_bkm", params={}).pk)
    assert run.status == RunStatus.DONE, run.error_message
    text = pdf_text(run)
    for bkm in bkm_profile_list():
        assert bkm.name in text
        assert f"Kelurahan {bkm.kelurahan.name}, Kecamatan {bkm.kelurahan.kecamatan.name}" in text

    bkm = collaboration["bkms"][0]
    registry = registry_record(bkm)
    coordinator = UserFactory(role="bkm_member", bkm=bkm, is_coordinator=True)
    run = wait_for_run(report_request(user=coordinator, report_type="profil_bkm", params={"bkm": bkm.pk}).pk)
    assert run.status == RunStatus.DONE, run.error_message
    text = pdf_text(run)
    assert f"Profil {bkm.name}" in text
    mine = [p for p in collaboration["proposals"] if p.bkm_id == bkm.pk]
    total_proposed = sum(p.budget_proposed for p in mine)
    total_approved = sum(p.budget_approved or 0 for p in mine)
    assert f"Jumlah {format_number(len(mine))} {format_rupiah(total_proposed)} {format_rupiah(total_approved)}" in text
    for p in mine:
        assert f"{p.get_status_display()} 1 {format_rupiah(p.budget_proposed)}" in text
        assert compact(f"{p.opd.name} 1 {format_rupiah(p.budget_proposed)}") in compact(text)
    for unit in bkm.units.all():
        assert unit.name in text
    assert collaboration["bkms"][1].name not in text

    # Board, terms and warnings: the registry's own figures and messages.
    profile = bkm_profile(bkm=bkm)
    flat = compact(text)
    assert len(profile.warnings) == 3  # ending term, small board, few women
    for warning in profile.warnings:
        assert compact(f"Peringatan: {warning.message}") in flat
    assert compact(f"Jumlah pengurus aktif {format_number(len(profile.board))}") in flat
    women = sum(1 for m in profile.board if m.gender == "P")
    assert compact(f"Perempuan {format_number(women)} ({format_number(profile.women_share)}%)") in flat
    for i, m in enumerate(profile.board, start=1):
        assert (
            compact(
                f"{i} {m.name} {m.get_position_display()} {m.gender} {format_date(m.term_start)} {format_date(m.term_end)}"
            )
            in flat
        )
    # Units with their people.
    for unit in profile.units:
        for person in unit.people.all():
            assert compact(f"{person.name} ({person.get_position_display()})") in flat
    # Documents present and missing.
    assert profile.missing_document_types
    assert compact(f"Dokumen wajib belum ada: {', '.join(profile.missing_document_types)}") in flat
    for doc in profile.documents:
        assert compact(f"{doc.get_doc_type_display()} Ada {doc.title} {format_number(doc.versions.count())}") in flat
    # Slum areas of the kelurahan, each year's seven aspects and the progress over the years.
    assert profile.slum_areas
    for area in profile.slum_areas:
        measures = list(area.measures.all())
        for m in measures:
            values = " ".join(format_decimal(v) for _label, v in m.aspect_values())
            assert compact(f"{m.year} {values} {format_decimal(m.average)}") in flat
        drop = format_decimal(measures[0].average - measures[-1].average)
        assert (
            compact(f"Kemajuan {measures[0].year}–{measures[-1].year}: rata-rata kekumuhan turun {drop} poin persen.")
            in flat
        )
    assert registry["other_area"].name not in text


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_report_generate_failing_builder_ends_failed_with_message_and_no_file(celery_worker, staff_admin):
    bkm = BKMFactory()
    run = report_run_create(user=staff_admin, report_type="profil_bkm", params={"bkm": bkm.pk})
    # The BKM disappears between the request and the job: the builder raises.
    BKM.objects.filter(pk=bkm.pk).delete()
    report_generate.delay(run.pk)
    run = wait_for_run(run.pk)
    assert run.status == RunStatus.FAILED
    assert run.error_message == "BKM yang diminta tidak ditemukan (mungkin telah dihapus)."
    assert not run.pdf
    assert not Path(default_storage.path(report_file_name(run))).exists()
    assert run.finished_at is not None


def _start_worker(queue: str, name: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pokja_portal.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "pokja_portal",
            "worker",
            "-Q",
            queue,
            "-n",
            name,
            "-P",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-I",
            "tests.reports.report_types",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_report_watchdog_requeues_then_fails_run_whose_worker_was_killed_mid_run(staff_admin, settings):
    from pokja_portal.celery import app
    from tests.reports import report_types  # noqa: F401  (registers uji_lambat here too)

    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-kill-{os.getpid()}"
    name = f"kill-{os.getpid()}@{socket.gethostname()}"
    proc = _start_worker(queue, name)
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[name], timeout=0.5):
            assert proc.poll() is None and time.monotonic() < deadline, "test worker did not start"
        run = report_run_create(user=staff_admin, report_type="uji_lambat", params={"steps": 600})
        report_generate.apply_async(args=[run.pk], queue=queue)
        deadline = time.monotonic() + 60
        while True:
            run.refresh_from_db()
            if run.status == RunStatus.RUNNING and run.progress > 0:
                break
            assert time.monotonic() < deadline, f"run never started: {run.status}"
            time.sleep(0.1)
        assert run.worker_hostname == name and run.worker_pid == proc.pid
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)

    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING  # nobody else noticed yet
    settings.REPORTS_MAX_ATTEMPTS = 2
    moved = dict(report_runs_watchdog())
    run.refresh_from_db()
    # The whole worker died: the run is queued again (a new outbox message), within its attempts.
    assert run.pk in moved and (str(proc.pid) in moved[run.pk] or name in moved[run.pk])
    assert run.status == RunStatus.QUEUED and run.attempts == 1 and not run.pdf
    assert OutboxMessage.objects.filter(task="reports.tasks.report_generate", args=[run.pk]).exists()
    # Out of attempts, the same crash ends it as failed.
    ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, attempts=2, worker_pid=proc.pid)
    failed = dict(report_runs_watchdog())
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.pk in failed
    assert str(proc.pid) in run.error_message or name in run.error_message
    assert not run.pdf
    assert not Path(default_storage.path(report_file_name(run))).exists()
    # A second pass has nothing left to do.
    assert run.pk not in dict(report_runs_watchdog())


@pytest.mark.django_db(transaction=True)
def test_report_watchdog_fails_runs_past_time_limit_and_never_picked_up(staff_admin):
    from datetime import timedelta

    from django.utils import timezone

    from reports import conf

    stuck = report_run_create(user=staff_admin, report_type="kolaborasi", params={})
    never = report_run_create(user=staff_admin, report_type="kolaborasi", params={})
    long_ago = timezone.now() - timedelta(
        seconds=conf.get("REPORTS_TIME_LIMIT") + conf.get("REPORTS_WATCHDOG_GRACE") + 5
    )
    # Running on this very process (alive), but for longer than the hard limit allows.
    ReportRun.objects.filter(pk=stuck.pk).update(
        status=RunStatus.RUNNING, started_at=long_ago, worker_host=socket.gethostname(), worker_pid=os.getpid()
    )
    ReportRun.objects.filter(pk=never.pk).update(
        queued_at=timezone.now() - timedelta(seconds=conf.get("REPORTS_QUEUED_TIMEOUT") + 5)
    )
    fresh = report_run_create(user=staff_admin, report_type="kolaborasi", params={})
    failed = dict(report_runs_watchdog())
    assert set(failed) == {stuck.pk, never.pk}
    assert "batas waktu" in failed[stuck.pk]
    fresh.refresh_from_db()
    assert fresh.status == RunStatus.QUEUED


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_report_generate_rekap_forum_shows_selector_figures(celery_worker, forum_activity_data, staff_admin):
    from reports.pdf import format_date
    from reports.selectors import follow_up_status_counts, forum_activity, forum_meetings_recap

    run = wait_for_run(report_request(user=staff_admin, report_type="rekap_forum", params={}).pk)
    assert run.status == RunStatus.DONE, run.error_message
    flat = compact(pdf_text(run))
    activity = forum_activity(user=staff_admin)
    assert (activity.total.threads, activity.total.posts) == (2, 6)  # the hidden post does not count
    assert compact(f"Topik dimulai {format_number(activity.total.threads)}") in flat
    assert compact(f"Tulisan {format_number(activity.total.posts)}") in flat
    for i, row in enumerate(activity.by_bkm, start=1):
        assert (
            compact(f"{i} {row.label} {row.kecamatan or '-'} {format_number(row.threads)} {format_number(row.posts)}")
            in flat
        )
    for row in activity.by_category:
        assert compact(f"{row.label} {format_number(row.threads)} {format_number(row.posts)}") in flat
    assert activity.by_bkm_category
    for bkm, category, threads, posts in activity.by_bkm_category:
        assert compact(f"{bkm} {category} {format_number(threads)} {format_number(posts)}") in flat
    meetings = forum_meetings_recap(user=staff_admin)
    assert [m.title for m in meetings] == ["Pertemuan forum triwulan"]
    held = meetings[0]
    day = format_date(held.starts_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Jakarta")).date())
    assert compact(f"{day} {held.title} {held.place} {held.n_invited} {held.n_yes} {held.n_attended} 2") in flat
    assert "Pertemuan forum berikutnya" not in pdf_text(run)
    for label_status, n in follow_up_status_counts(meetings).items():
        from forum.models import FollowUpStatus

        assert compact(f"{dict(FollowUpStatus.choices)[label_status]} {format_number(n)}") in flat
    late = forum_activity_data["follow_ups"][0]
    assert (
        compact(
            f"{late.description} {late.assignee_bkm.name} {format_date(late.due_date)} Belum dikerjakan (lewat tenggat)"
        )
        in flat
    )
