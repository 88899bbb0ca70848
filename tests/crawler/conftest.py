"""Demo data for the crawler: seeded once for the package, rolled back after.

Package scope, so the crawl of each role (cached in `test_crawler._CRAWLED`) is
shared by `test_crawler.py` and the GET-parameter fuzz (`test_query_fuzz.py`).

The crawl only reads through Django's test Client in this process, and
Chromium is served by a route handler in the same thread (see `axe.py`), so
nothing needs committing: every test runs in a savepoint inside this one
transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction


class _Rollback(Exception):
    pass


@pytest.fixture(scope="package")
def demo_city(django_db_setup, django_db_blocker, _playwright_browser) -> Iterator[None]:
    # Chromium is started first: once Playwright's sync API runs, Django code
    # in this thread works on a different database connection (Django keeps
    # connections in context-local storage), which would not see a transaction
    # opened before it.
    files: list[str] = []
    with django_db_blocker.unblock():
        try:
            with transaction.atomic():
                call_command("seed_demo", "--seed", "2026", "--scale", "small", stdout=StringIO())
                from tests.crawler.extra_data import add_extra_data

                files = add_extra_data()
                yield
                raise _Rollback
        except _Rollback:
            pass
        finally:
            from django.core.files.storage import default_storage

            for name in files:
                default_storage.delete(name)
