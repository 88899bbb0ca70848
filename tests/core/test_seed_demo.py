from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from bkm.models import BKM, Kecamatan, Kelurahan
from core.models import User


@pytest.mark.django_db
def test_migrate_loads_palangka_raya_reference_data():
    assert Kecamatan.objects.count() == 5
    assert Kelurahan.objects.count() == 30
    assert set(Kecamatan.objects.values_list("name", flat=True)) == {
        "Pahandut",
        "Jekan Raya",
        "Sabangau",
        "Bukit Batu",
        "Rakumpit",
    }
    assert Kelurahan.objects.get(name="Mungku Baru").kecamatan.name == "Rakumpit"


@pytest.mark.django_db
def test_seed_demo_gives_one_bkm_per_kelurahan_and_every_role():
    call_command("seed_demo", "--seed", "7", "--scale", "small", stdout=StringIO())
    assert BKM.objects.count() == 30
    assert {u.role for u in User.objects.all()} >= {
        "staff_admin",
        "staff_viewer",
        "upk_manager",
        "bkm_member",
        "sysadmin",
    }


class _Rollback(Exception):
    pass


def _seed_and_snapshot(seed: str) -> list:
    """Seed inside a savepoint, read what it made, then roll it back."""
    snapshot: list = []
    try:
        with transaction.atomic():
            call_command("seed_demo", "--seed", seed, "--scale", "small", stdout=StringIO())
            snapshot = list(BKM.objects.order_by("kelurahan__code").values_list("name", "address", "phone"))
            raise _Rollback
    except _Rollback:
        pass
    return snapshot


@pytest.mark.django_db
def test_seed_demo_is_deterministic():
    first = _seed_and_snapshot("7")
    assert BKM.objects.count() == 0
    assert first and first == _seed_and_snapshot("7")
    assert first != _seed_and_snapshot("8")
