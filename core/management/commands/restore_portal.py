"""Restore a backup into an empty deployment, then verify it (core/backup.py, docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, backup_restore, backup_verify


class Command(BaseCommand):
    help = "Pulihkan cadangan ke basis data dan MEDIA_ROOT yang kosong, lalu periksa hasilnya."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("backup", help="Direktori cadangan (berisi manifest.json).")

    def handle(self, *args: Any, backup: str, **options: Any) -> None:
        try:
            backup_restore(backup=Path(backup))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Dipulihkan dari {backup}; memeriksa…")
        problems = backup_verify(backup=Path(backup))
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} selisih setelah pemulihan.")
        self.stdout.write(self.style.SUCCESS("Pemulihan terverifikasi: jumlah baris, neraca saldo, SHA-256 berkas."))
