"""Compare this deployment with a backup's manifest (row counts, trial balances, file hashes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, backup_verify


class Command(BaseCommand):
    help = "Periksa deployment ini terhadap manifest cadangan: jumlah baris, neraca saldo UPK, SHA-256 berkas."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("backup", help="Direktori cadangan (berisi manifest.json).")

    def handle(self, *args: Any, backup: str, **options: Any) -> None:
        try:
            problems = backup_verify(backup=Path(backup))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} selisih ditemukan.")
        self.stdout.write(self.style.SUCCESS("Sesuai dengan cadangan."))
