"""Recompute every cached ledger figure from its source rows; fail on drift.

Run in CI and after any manual database work:
    python manage.py ledger_check            # all UPKs
    python manage.py ledger_check --upk 12   # one UPK
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from bkm.models import Unit
from upk.selectors import ledger_drift


class Command(BaseCommand):
    help = "Periksa buku UPK: jurnal seimbang, cache angsuran dan saldo Pinjaman KSM sesuai alokasi."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--upk", type=int, action="append", help="id unit UPK (boleh berulang)")

    def handle(self, *args: Any, upk: list[int] | None = None, **options: Any) -> None:
        units = Unit.objects.filter(unit_type="upk").order_by("pk")
        if upk:
            units = units.filter(pk__in=upk)
        problems = []
        for unit in units:
            problems += [f"{unit}: {p}" for p in ledger_drift(upk=unit)]
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} selisih ditemukan.")
        self.stdout.write(self.style.SUCCESS(f"Buku {units.count()} UPK konsisten."))
