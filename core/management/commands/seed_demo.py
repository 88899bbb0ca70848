"""Deterministic demo data for Kota Palangka Raya.

Each app names its demo steps in its AppConfig (`demo_steps`: pairs of an
order and the dotted path of a `seed(*, rng, scale)` function); this command
runs every installed app's steps in that order, so `core` imports no app.
The first step (the registry's BKMs and the demo logins) gets a generator
seeded with --seed, every later one its own, seeded with --seed and its
module's name: the same --seed gives the same data, and one app's demo
changing does not reshuffle the others'.
"""

from __future__ import annotations

import random
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

from core.demo import DEMO_PASSWORD, demo_logins

SCALES = ["small", "city", "large"]


def demo_steps() -> list[tuple[int, str]]:
    """(order, dotted path) of every installed app's demo steps, in order."""
    steps = [step for config in apps.get_app_configs() for step in getattr(config, "demo_steps", ())]
    return sorted(steps)


class Command(BaseCommand):
    help = "Isi data contoh Kota Palangka Raya (deterministik)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--scale", choices=SCALES, default="city")

    def handle(self, *args: Any, seed: int, scale: str, **options: Any) -> None:
        with transaction.atomic():
            for index, (_order, path) in enumerate(demo_steps()):
                module_name = path.rpartition(".")[0]
                rng = random.Random(seed) if index == 0 else random.Random(f"{seed}-{module_name}")
                import_string(path)(rng=rng, scale=scale)
        self.stdout.write(self.style.SUCCESS(f"Data contoh dimuat (seed={seed}, scale={scale})."))
        self.stdout.write(f"Login demo (kata sandi untuk semua: {DEMO_PASSWORD}):")
        for login in demo_logins():
            self.stdout.write(f"  {login.username:<12} {login.description}")
