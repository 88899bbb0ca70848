from io import StringIO

import pytest
from django.core.management import call_command

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
def test_seed_demo_city_gives_one_bkm_per_kelurahan_and_every_role():
    call_command("seed_demo", "--seed", "7", "--scale", "city", stdout=StringIO())
    assert BKM.objects.count() == 30
    assert {u.role for u in User.objects.all()} >= {
        "staff_admin",
        "staff_viewer",
        "upk_manager",
        "bkm_member",
        "sysadmin",
    }


@pytest.mark.django_db
def test_seed_demo_is_deterministic():
    call_command("seed_demo", "--seed", "7", stdout=StringIO())
    first = list(BKM.objects.order_by("kelurahan__code").values_list("name", "address"))
    BKM.objects.all().delete()
    call_command("seed_demo", "--seed", "7", stdout=StringIO())
    second = list(BKM.objects.order_by("kelurahan__code").values_list("name", "address"))
    assert first == second
