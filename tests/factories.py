"""factory_boy factories for the core and registry models.

Other apps keep theirs in tests/<app>/factories.py.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from bkm.models import BKM, OPD, BoardMember, Kelurahan, Proposal, SlumArea, Unit, UnitType
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


# --- Registry records other apps' tests also need (forum links, reports) -----


class BoardMemberFactory(DjangoModelFactory):
    """An active board member whose term ends a year from today."""

    class Meta:
        model = BoardMember

    bkm = factory.SubFactory(BKMFactory)
    name = factory.Faker("name", locale="id_ID")
    gender = "L"
    position = "anggota"
    term_start = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=2 * 365))
    term_end = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=365))
    is_active = True


class OPDFactory(DjangoModelFactory):
    class Meta:
        model = OPD
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Dinas Uji {n}")
    acronym = factory.Sequence(lambda n: f"DU{n}")


class SlumAreaFactory(DjangoModelFactory):
    class Meta:
        model = SlumArea

    kelurahan = factory.LazyFunction(lambda: Kelurahan.objects.order_by("id").first())
    name = factory.Sequence(lambda n: f"Kawasan Uji {n}")
    sk_number = "Kepwal 188/2016"
    sk_year = 2016
    area_ha = Decimal("10.50")
    typology = "tepi_air"


class ProposalFactory(DjangoModelFactory):
    """A proposal in status `diusulkan`; move it with bkm.services.proposal_transition."""

    class Meta:
        model = Proposal

    bkm = factory.SubFactory(BKMFactory)
    opd = factory.SubFactory(OPDFactory)
    title = factory.Sequence(lambda n: f"Drainase lingkungan RT {n:02d}")
    kelurahan = factory.LazyAttribute(lambda p: p.bkm.kelurahan)
    year = 2026
    budget_proposed = Decimal(150_000_000)
    funding_source = "apbd"
