"""Registry factories used only by the bkm tests."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from bkm.models import AuditRecord, Election, SlumMeasure, UnitPerson
from tests.factories import BKMFactory, SlumAreaFactory


class ElectionFactory(DjangoModelFactory):
    class Meta:
        model = Election

    bkm = factory.SubFactory(BKMFactory)
    election_date = datetime.date(2024, 3, 10)
    adults = 4000
    voters = 1500


class UnitPersonFactory(DjangoModelFactory):
    class Meta:
        model = UnitPerson

    unit = factory.LazyAttribute(lambda o: BKMFactory().units.get(unit_type="upk"))
    name = factory.Faker("name", locale="id_ID")
    position = "kasir"
    gender = "P"


class SlumMeasureFactory(DjangoModelFactory):
    class Meta:
        model = SlumMeasure

    slum_area = factory.SubFactory(SlumAreaFactory)
    year = 2024
    building = 50
    roads = 40
    drainage = 60
    drinking_water = 70
    wastewater = 90
    solid_waste = 80
    fire_protection = 30


class AuditRecordFactory(DjangoModelFactory):
    class Meta:
        model = AuditRecord

    bkm = factory.SubFactory(BKMFactory)
    fiscal_year = 2024
    auditor = "KAP Uji"
    opinion = "wtp"


class RPLPItemFactory(DjangoModelFactory):
    class Meta:
        model = "bkm.RPLPItem"

    bkm = factory.SubFactory(BKMFactory)
    aspect = "drainage"
    year = 2026
    title = factory.Sequence(lambda n: f"Normalisasi drainase RT {n:02d}")
    budget = Decimal(75_000_000)
    funding_source = "apbd"
