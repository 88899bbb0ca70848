"""Backup → wipe → restore → verify, on a scratch database pokja_resilience_* and an empty media directory."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from bkm import services as bkm_services
from core.backup import missing_media
from forum import services as forum_services
from tests.factories import UserFactory
from tests.forum.conftest import ensure_reference_data as ensure_forum_reference_data
from tests.upk.factories import make_active_loan
from upk import services as upk_services

ROOT = Path(__file__).resolve().parent.parent.parent
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _admin_conninfo() -> str:
    db = connection.settings_dict
    return f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER'] or 'postgres'} dbname=postgres"


@pytest.fixture
def scratch_db():
    name = f"pokja_resilience_restore_{os.getpid()}"
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(*command: str, db: str, media: Path) -> subprocess.CompletedProcess:
    settings = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pokja_portal.settings.base",
        "DATABASE_URL": f"postgres://{settings['USER'] or 'postgres'}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{db}",
        "MEDIA_ROOT": str(media),
        "CELERY_BROKER_URL": "",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.mark.django_db(transaction=True)
def test_backup_wipe_restore_verify(tmp_path, scratch_db, bkm, coordinator, member):
    # Something in every kind of store: ledger rows, a registry document, a forum attachment.
    ensure_forum_reference_data()
    upk = bkm.units.get(unit_type="upk")
    upk_services.settings.upk_setup(upk=upk)
    manager = UserFactory(role="upk_manager", username="manajer_cadangan")
    manager.upk_units.set([upk])
    upk_services.cash.capital_receive(
        upk=upk,
        account=upk.accounts.get(role="capital_kotaku"),
        amount=100_000_000,
        date=date(2024, 1, 2),
        description="Modal",
        actor=manager,
        idempotency_key="cadangan-modal",
        channel="kas",
    )
    loan = make_active_loan(upk, manager)
    upk_services.repayments.repayment_record(
        loan=loan, amount=491_600, paid_on=date(2024, 6, 10), actor=manager, idempotency_key="cadangan-bayar"
    )
    bkm_services.document_create(
        bkm=bkm, doc_type="adart", title="AD/ART", upload=SimpleUploadedFile("adart.pdf", PDF), actor=coordinator
    )
    from forum.models import Category

    forum_services.thread_create(
        user=member,
        category=Category.objects.get(slug="kelembagaan-bkm"),
        title="Notulen rapat",
        source="Terlampir",
        files=[SimpleUploadedFile("notulen.pdf", PDF + b"notulen")],
    )

    backup = Path(call_command("backup_portal", output=str(tmp_path / "cadangan")))
    assert {p.name for p in backup.iterdir()} == {"database.dump", "media.tar", "manifest.json"}

    # The wiped deployment: an empty database and an empty media directory.
    media = tmp_path / "media-baru"
    done = _manage("restore_portal", str(backup), db=scratch_db, media=media)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "terverifikasi" in done.stdout
    assert len([p for p in media.rglob("*") if p.is_file()]) == 2

    # Restoring twice is refused: the target is no longer empty.
    again = _manage("restore_portal", str(backup), db=scratch_db, media=tmp_path / "lagi")
    assert again.returncode != 0 and "tidak kosong" in again.stderr

    # Verification notices a lost and a changed file.
    files = sorted(p for p in media.rglob("*") if p.is_file())
    files[0].unlink()
    files[1].write_bytes(b"diubah")
    done = _manage("verify_backup", str(backup), db=scratch_db, media=media)
    assert done.returncode != 0
    assert "berkas hilang" in done.stderr and "berkas berubah" in done.stderr
    done = _manage("media_missing", db=scratch_db, media=media)
    assert done.returncode != 0 and files[0].name in done.stdout


@pytest.mark.django_db
def test_missing_media_lists_rows_whose_file_is_gone(bkm, coordinator):
    from django.core.files.storage import default_storage

    document = bkm_services.document_create(
        bkm=bkm, doc_type="adart", title="AD/ART", upload=SimpleUploadedFile("adart.pdf", PDF), actor=coordinator
    )
    name = document.versions.get().file.name
    assert name not in missing_media()
    default_storage.delete(name)
    assert name in missing_media()
