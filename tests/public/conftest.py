"""The demo city for the public pages' tests: seeded once per module, rolled back after."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction


class _Rollback(Exception):
    pass


@pytest.fixture(scope="module")
def demo_city(django_db_setup, django_db_blocker) -> Iterator[None]:
    with django_db_blocker.unblock():
        try:
            with transaction.atomic():
                call_command("seed_demo", "--seed", "2026", "--scale", "small", stdout=StringIO())
                yield
                raise _Rollback
        except _Rollback:
            pass
