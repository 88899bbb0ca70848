from __future__ import annotations

from datetime import date

import pytest

from tests.factories import BKMFactory, UserFactory
from upk import services

from .factories import make_active_loan


@pytest.fixture
def bkm(db):
    # Kecamatan/kelurahan come back after flushes through tests/conftest.py.
    return BKMFactory()


@pytest.fixture
def upk(bkm):
    unit = bkm.units.get(unit_type="upk")
    services.settings.upk_setup(upk=unit)
    return unit


@pytest.fixture
def manager(upk):
    user = UserFactory(role="upk_manager", username="manajer_upk")
    user.upk_units.set([upk])
    return user


@pytest.fixture
def staff(db):
    return UserFactory(role="staff_admin", username="staf_upk")


@pytest.fixture
def capital(upk, manager):
    """Rp 100 juta BLM capital in Kas so disbursements have cash behind them."""
    account = upk.accounts.get(role="capital_kotaku")
    return services.cash.capital_receive(
        upk=upk,
        account=account,
        amount=100_000_000,
        date=date(2024, 1, 2),
        description="Modal BLM KOTAKU",
        actor=manager,
        idempotency_key="capital-1",
        channel="kas",
    )


@pytest.fixture
def loan(upk, manager, capital):
    return make_active_loan(upk, manager)
