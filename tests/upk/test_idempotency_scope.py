"""Idempotency keys are scoped by UPK: a key that matches another UPK's row posts here, never answers with it."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import BKMFactory, UserFactory
from upk import services
from upk.models import CollectionSheet, JournalEntry, Repayment

from .factories import make_active_loan


@pytest.fixture
def other(db):
    unit = BKMFactory().units.get(unit_type="upk")
    services.settings.upk_setup(upk=unit)
    manager = UserFactory(role="upk_manager", username="manajer_lain")
    manager.upk_units.set([unit])
    services.cash.capital_receive(
        upk=unit,
        account=unit.accounts.get(role="capital_kotaku"),
        amount=100_000_000,
        date=date(2024, 1, 2),
        description="Modal",
        actor=manager,
        idempotency_key="modal-lain",
        channel="kas",
    )
    return unit, manager


def test_capital_receive_key_of_another_upk_posts_a_new_entry(upk, manager, capital, other):
    unit, other_manager = other
    # `capital` used the key "capital-1" in the first UPK; the same key in the other one is its own entry.
    entry = services.cash.capital_receive(
        upk=unit,
        account=unit.accounts.get(role="capital_kotaku"),
        amount=5_000_000,
        date=date(2024, 1, 3),
        description="Hibah",
        actor=other_manager,
        idempotency_key="capital-1",
        channel="kas",
    )
    assert entry.pk != capital.pk and entry.upk_id == unit.pk
    assert JournalEntry.objects.filter(upk=unit, description="Hibah").count() == 1
    # ...and the same key again in that UPK is the same entry (double submit).
    again = services.cash.capital_receive(
        upk=unit,
        account=unit.accounts.get(role="capital_kotaku"),
        amount=5_000_000,
        date=date(2024, 1, 3),
        description="Hibah",
        actor=other_manager,
        idempotency_key="capital-1",
        channel="kas",
    )
    assert again.pk == entry.pk


def test_repayment_record_key_of_another_upk_is_posted_not_answered(loan, manager, other):
    unit, other_manager = other
    other_loan = make_active_loan(unit, other_manager)
    mine = services.repayments.repayment_record(
        loan=loan, amount=491_600, paid_on=date(2024, 6, 10), actor=manager, idempotency_key="sama"
    )
    theirs = services.repayments.repayment_record(
        loan=other_loan, amount=491_600, paid_on=date(2024, 6, 10), actor=other_manager, idempotency_key="sama"
    )
    assert theirs.pk != mine.pk and theirs.upk_id == unit.pk
    assert theirs.journal_entry.number and theirs.journal_entry.upk_id == unit.pk
    assert Repayment.objects.filter(loan=other_loan).count() == 1


def test_collection_sheet_key_of_another_upk_is_posted_not_answered(upk, loan, manager, other):
    unit, other_manager = other
    other_loan = make_active_loan(unit, other_manager)
    first = services.repayments.collection_sheet_post(
        upk=upk, date=date(2024, 6, 10), payments={loan.pk: 491_600}, actor=manager, idempotency_key="lembar"
    )
    second = services.repayments.collection_sheet_post(
        upk=unit,
        date=date(2024, 6, 10),
        payments={other_loan.pk: 491_600},
        actor=other_manager,
        idempotency_key="lembar",
    )
    assert second.pk != first.pk and second.upk_id == unit.pk
    assert CollectionSheet.objects.count() == 2
