"""factory_boy factories for the core and registry models.

Other apps keep theirs in tests/<app>/factories.py.
"""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from bkm.models import BKM, Kelurahan, Unit, UnitType
from core.models import User

PASSWORD = "pass12345"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="id_ID")
    last_name = factory.Faker("last_name", locale="id_ID")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.go.id")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)


def _free_kelurahan() -> Kelurahan:
    """A kelurahan with no active BKM yet (reference data has 30)."""
    kel = Kelurahan.objects.filter(bkms__isnull=True).order_by("id").first()
    if kel is None:
        raise RuntimeError("All 30 kelurahan already have a BKM in this test")
    return kel


class BKMFactory(DjangoModelFactory):
    class Meta:
        model = BKM

    name = factory.Sequence(lambda n: f"BKM Uji {n}")
    kelurahan = factory.LazyFunction(_free_kelurahan)
    address = "Jl. Tjilik Riwut No. 1"

    @factory.post_generation
    def units(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            for unit_type in UnitType:
                Unit.objects.create(bkm=obj, unit_type=unit_type, name=f"{unit_type.label.split(' ')[0]} {obj.name}")
