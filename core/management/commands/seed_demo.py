"""Deterministic demo data for Kota Palangka Raya.

Each app contributes a `demo.seed(rng=..., scale=...)`; this command runs them
in dependency order with one seeded random generator, so the same --seed gives
the same data.
"""

from __future__ import annotations

import importlib
import random
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from core.demo import DEMO_PASSWORD, seed_users

SCALES = ["small", "city", "large"]
# Apps whose demo module extends the registry, in dependency order.
EXTENSIONS = ["bkm.demo_extra", "upk.demo", "forum.demo", "reports.demo"]


class Command(BaseCommand):
    help = "Isi data contoh Kota Palangka Raya (deterministik)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--scale", choices=SCALES, default="city")

    def handle(self, *args: Any, seed: int, scale: str, **options: Any) -> None:
        from bkm import demo as bkm_demo

        rng = random.Random(seed)
        with transaction.atomic():
            bkms = bkm_demo.seed(rng=rng, scale=scale)
            logins = seed_users(bkms=bkms)
            for module_name in EXTENSIONS:
                try:
                    module = importlib.import_module(module_name)
                except ModuleNotFoundError as exc:
                    if exc.name != module_name:
                        raise
                    continue
                module.seed(rng=random.Random(f"{seed}-{module_name}"), scale=scale)
        self.stdout.write(self.style.SUCCESS(f"Data contoh dimuat (seed={seed}, scale={scale})."))
        self.stdout.write(f"Login demo (kata sandi untuk semua: {DEMO_PASSWORD}):")
        for login in logins:
            self.stdout.write(f"  {login.username:<12} {login.description}")
