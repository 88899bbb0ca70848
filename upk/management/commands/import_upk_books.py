"""Import an existing UPK's books from the XLSX/CSV template, synchronously.

python manage.py import_upk_books --upk 12 --user manajer buku.xlsx [--check]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from bkm.models import Unit
from core.models import User
from upk.models import ImportJob
from upk.services.imports import run_job


class Command(BaseCommand):
    help = "Impor buku UPK lama (XLSX/CSV sesuai template); semua atau tidak sama sekali."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path")
        parser.add_argument("--upk", type=int, required=True, help="id unit UPK")
        parser.add_argument("--user", required=True, help="nama pengguna manajer UPK (pelaku pencatatan)")
        parser.add_argument("--check", action="store_true", help="periksa saja, jangan catat")

    def handle(self, *args: Any, path: str, upk: int, user: str, check: bool, **options: Any) -> None:
        try:
            unit = Unit.objects.get(pk=upk, unit_type="upk")
            actor = User.objects.get(username=user)
        except (Unit.DoesNotExist, User.DoesNotExist) as exc:
            raise CommandError(str(exc)) from exc
        source = Path(path)
        if not source.exists():
            raise CommandError(f"Berkas tidak ada: {path}")
        with source.open("rb") as fh:
            job = ImportJob(upk=unit, original_name=source.name, dry_run=check, created_by=actor)
            job.file.save(source.name, File(fh), save=True)
        job = run_job(job.pk)
        if job.errors:
            for e in job.errors:
                self.stderr.write(f"{e['sheet']} baris {e['row']} {e['column']}: {e['message']}")
            raise CommandError(f"Ditolak: {len(job.errors)} kesalahan, tidak ada yang dicatat.")
        self.stdout.write(self.style.SUCCESS(f"Selesai: {job.summary or 'semua baris benar (periksa saja)'}"))
