"""Demo registry data: one BKM for every kelurahan of Palangka Raya."""

from __future__ import annotations

import random
from datetime import date

from .models import BKM, BKMStatus, Kelurahan, Unit, UnitType

BKM_NAMES = [
    "Maju Bersama",
    "Karya Mandiri",
    "Harapan Jaya",
    "Sejahtera",
    "Bina Warga",
    "Betang Bersatu",
    "Isen Mulang",
]


def seed(*, rng: random.Random, scale: str) -> list[BKM]:
    bkms = []
    for kel in Kelurahan.objects.select_related("kecamatan").order_by("kecamatan__code", "code"):
        bkm, _ = BKM.objects.get_or_create(
            kelurahan=kel,
            status=BKMStatus.AKTIF,
            defaults={
                "name": f"BKM {rng.choice(BKM_NAMES)} {kel.name}",
                "address": f"Jl. {rng.choice(['Tjilik Riwut', 'RTA Milono', 'G. Obos', 'Yos Sudarso', 'Temanggung Tilung'])} No. {rng.randint(1, 120)}, {kel.name}",
                "phone": f"0812{rng.randint(10000000, 99999999)}",
                "date_formed": date(rng.randint(2008, 2012), rng.randint(1, 12), rng.randint(1, 28)),
            },
        )
        for unit_type in UnitType:
            Unit.objects.get_or_create(
                bkm=bkm, unit_type=unit_type, defaults={"name": f"{unit_type.label.split(' ')[0]} {kel.name}"}
            )
        bkms.append(bkm)
    return bkms


def seed_with_users(*, rng: random.Random, scale: str) -> list[BKM]:
    """The registry's demo step: the BKMs, then the demo logins bound to them."""
    from core.demo import seed_users

    bkms = seed(rng=rng, scale=scale)
    seed_users(bkms=bkms)
    return bkms
