"""List (or with --delete remove) uploaded files no row refers to."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand

from core.media import orphan_files


class Command(BaseCommand):
    help = "Daftar (atau hapus dengan --delete) berkas unggahan yang tidak dirujuk data mana pun."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--delete", action="store_true", help="Hapus berkasnya (tanpa ini: hanya daftar).")
        parser.add_argument(
            "--min-age-hours", type=int, default=24, help="Hanya berkas yang tidak berubah selama sekian jam."
        )

    def handle(self, *args: Any, delete: bool, min_age_hours: int, **options: Any) -> None:
        files = orphan_files(older_than=timedelta(hours=min_age_hours))
        for path in files:
            if delete:
                path.unlink(missing_ok=True)
            self.stdout.write(("dihapus " if delete else "") + str(path))
        verb = "dihapus" if delete else "ditemukan (jalankan dengan --delete untuk menghapus)"
        self.stdout.write(f"{len(files)} berkas yatim {verb}.")
