from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from bkm.models import OPD, FundingSource, Proposal, ProposalStatus
from tests.factories import BKMFactory


class OPDFactory(DjangoModelFactory):
    class Meta:
        model = OPD
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Dinas Uji {n}")
    acronym = factory.Sequence(lambda n: f"DU{n}")


class ProposalFactory(DjangoModelFactory):
    class Meta:
        model = Proposal

    bkm = factory.SubFactory(BKMFactory)
    opd = factory.SubFactory(OPDFactory)
    title = factory.Sequence(lambda n: f"Perbaikan drainase tahap {n}")
    programme = "Penanganan kawasan kumuh"
    kelurahan = factory.LazyAttribute(lambda p: p.bkm.kelurahan)
    year = 2026
    budget_proposed = factory.Sequence(lambda n: Decimal(1_500_000 + 250_000 * n))
    budget_approved = None
    funding_source = FundingSource.APBD
    status = ProposalStatus.DIUSULKAN
