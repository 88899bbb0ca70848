"""Factories for the UPK ledger. Money objects are created through the
services (never raw rows) so tests see the same books a user would."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from bkm.models import Kelurahan
from upk import services
from upk.models import KSM, KSMMember, LoanProduct

_nik = itertools.count(1)


def next_nik() -> str:
    return f"6271{next(_nik):012d}"


class KSMFactory(DjangoModelFactory):
    class Meta:
        model = KSM

    code = factory.Sequence(lambda n: f"KSM-{n:04d}")
    name = factory.Sequence(lambda n: f"KSM Maju {n}")
    kelurahan = factory.LazyFunction(lambda: Kelurahan.objects.order_by("id").first())
    rt = "003"
    formed_on = date(2024, 1, 10)


class KSMMemberFactory(DjangoModelFactory):
    class Meta:
        model = KSMMember

    ksm = factory.SubFactory(KSMFactory)
    nik = factory.LazyFunction(next_nik)
    name = factory.Faker("name", locale="id_ID")
    gender = "P"
    address = "Jl. Rajawali"
    business = "Warung"


class LoanProductFactory(DjangoModelFactory):
    class Meta:
        model = LoanProduct

    name = factory.Sequence(lambda n: f"Pinjaman Bergulir {n}")
    jasa_rate = Decimal("1.5")
    jasa_method = "flat"
    frequency = "monthly"
    rounding_unit = 100
    min_term = 1
    max_term = 24


def make_ksm(
    upk, *, members: int = 5, women: int | None = None, savings_from: date | None = date(2024, 1, 5), actor=None
):
    """A KSM with members and (optionally) monthly savings deposits from
    `savings_from` for 4 months so the 3-month rule passes."""
    ksm = KSMFactory(upk=upk)
    women = members if women is None else women
    for i in range(members):
        KSMMemberFactory(ksm=ksm, gender="P" if i < women else "L")
    if savings_from is not None and actor is not None:
        for m in range(4):
            d = date(savings_from.year + (savings_from.month - 1 + m) // 12, (savings_from.month - 1 + m) % 12 + 1, 5)
            services.savings.savings_deposit(
                ksm=ksm, amount=10_000, date=d, actor=actor, idempotency_key=f"sv-{ksm.pk}-{m}"
            )
    return ksm


def make_active_loan(
    upk,
    actor,
    *,
    amounts=(1_000_000,) * 5,
    term: int = 12,
    product=None,
    applied_on: date = date(2024, 5, 2),
    disbursed_on: date = date(2024, 5, 10),
    via: str = "kas",
    ksm=None,
):
    """A disbursed loan: KSM with savings, application, approval, disbursement."""
    if ksm is None:
        ksm = make_ksm(upk, members=max(5, len(amounts)), actor=actor)
    product = product or LoanProductFactory(upk=upk)
    members = list(ksm.members.order_by("pk"))
    app = services.loans.loan_apply(
        ksm=ksm,
        product=product,
        applied_on=applied_on,
        member_amounts={m: a for m, a in zip(members, amounts, strict=False)},
        term_months=term,
        actor=actor,
    )
    services.loans.loan_decide(loan=app.loan, approve=True, decided_on=applied_on, actor=actor)
    return services.loans.loan_disburse(loan=app.loan, disbursed_on=disbursed_on, actor=actor, via=via)
