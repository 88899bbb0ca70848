"""Back up the database and the uploaded files together (core/backup.py, docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Cadangkan basis data dan berkas unggahan bersama-sama ke satu direktori."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", required=True, help="Direktori tempat cadangan dibuat.")

    def handle(self, *args: Any, output: str, **options: Any) -> str:
        try:
            target = backup_create(output=Path(output))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Cadangan dibuat: {target}"))
        return str(target)
