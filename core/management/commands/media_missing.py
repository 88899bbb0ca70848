"""List files the database names but MEDIA_ROOT lacks (the other side of media_orphans)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.backup import missing_media


class Command(BaseCommand):
    help = "Daftar berkas yang dirujuk basis data tetapi tidak ada di disk."

    def handle(self, *args: Any, **options: Any) -> None:
        missing = missing_media()
        for name in missing:
            self.stdout.write(name)
        if missing:
            raise CommandError(f"{len(missing)} berkas hilang dari disk.")
        self.stdout.write(self.style.SUCCESS("Semua berkas yang dirujuk ada di disk."))
