from __future__ import annotations

from datetime import date

import pytest

from bkm.models import Kelurahan
from tests.factories import BKMFactory, UserFactory
from upk import services

from .factories import make_active_loan


def ensure_reference_data() -> None:
    """Transactional tests flush every table, including the kelurahan the bkm
    migration loads; put them back when a flush left them empty."""
    if not Kelurahan.objects.exists():
        from importlib import import_module

        from django.apps import apps

        import_module("bkm.migrations.0003_reference_data").load(apps, None)


@pytest.fixture
def bkm(db):
    ensure_reference_data()
    return BKMFactory()


@pytest.fixture
def upk(bkm):
    unit = bkm.units.get(unit_type="upk")
    services.upk_setup(upk=unit)
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
    return services.capital_receive(
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


@pytest.fixture(scope="session", autouse=True)
def _reference_data_after_session(django_db_setup, django_db_blocker):
    """Transactional tests end with a flush; put the migration-loaded kelurahan
    back so the next `--reuse-db` run starts with its reference data."""
    yield
    with django_db_blocker.unblock():
        ensure_reference_data()
