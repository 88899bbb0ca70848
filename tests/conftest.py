"""Shared fixtures: users per role, a real Celery worker, headless Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import BKMFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# refuses to run there unless told the loop is not serving requests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"


# --- Public pages' cache ---------------------------------------------------------
# The cache lives in the test Redis and outlives each test's database; a new generation before every
# test makes every page stored by an earlier test stale (public/cache.py), without flushing Redis.


@pytest.fixture(autouse=True)
def _public_cache_generation():
    from core.versions import forget
    from public.cache import invalidate

    invalidate()
    forget()  # results kept per version (core.versions, upk.figures): test databases reuse ids and versions


# --- Reference data ------------------------------------------------------------
# Kecamatan/kelurahan, the assessment aspects and the forum's categories are loaded by migrations. A
# transactional test (browser, Celery worker) flushes every table when it ends,
# so with --reuse-db the next run, and the next transactional test, would find
# them gone. Put them back once per session (committed) and before each test.


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from bkm.reference_data import ensure_reference_data

    with django_db_blocker.unblock():
        ensure_reference_data()


@pytest.fixture(autouse=True)
def _reference_data(request):
    names = set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not names & {"db", "transactional_db"}:
        return
    if "transactional_db" in names:
        request.getfixturevalue("transactional_db")
    elif "db" in names:
        request.getfixturevalue("db")
    from bkm.reference_data import ensure_reference_data

    ensure_reference_data()
    _ensure_forum_categories()


def _ensure_forum_categories() -> None:
    """The forum categories and their grants, seeded by the forum's migration, back after a flush."""
    import importlib

    from django.apps import apps

    from forum.models import Category, MaterialCategory

    if not Category.objects.exists():
        importlib.import_module("forum.migrations.0002_seed_categories").seed(apps, None)
    if not MaterialCategory.objects.exists():
        importlib.import_module("forum.migrations.0006_library_categories_and_search_index").seed(apps, None)


@pytest.fixture
def bkm(db):
    return BKMFactory()


@pytest.fixture
def other_bkm(db):
    return BKMFactory()


@pytest.fixture
def staff_admin(db):
    return UserFactory(role="staff_admin", username="staf")


@pytest.fixture
def staff_viewer(db):
    return UserFactory(role="staff_viewer", username="peninjau")


@pytest.fixture
def coordinator(bkm):
    return UserFactory(role="bkm_member", bkm=bkm, is_coordinator=True, username="koordinator")


@pytest.fixture
def member(bkm):
    return UserFactory(role="bkm_member", bkm=bkm, username="anggota")


@pytest.fixture
def upk_manager(bkm):
    user = UserFactory(role="upk_manager", username="manajer")
    user.upk_units.set([bkm.units.get(unit_type="upk")])
    return user


# --- Celery -----------------------------------------------------------------


def _worker_name() -> str:
    return f"pokja-test-{os.environ.get('POKJA_TEST_DB', 'pokja')}-{os.getpid()}@{socket.gethostname()}"


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker) -> Iterator[str]:
    """A real `celery worker` process on Redis, reading the test database.

    Tests using it must commit their data (`transactional_db`), since the
    worker is another process with its own connection.
    """
    from django.conf import settings
    from django.db import connection

    from pokja_portal.celery import app
    from pokja_portal.celery_queues import all_queues

    name = _worker_name()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pokja_portal.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
    }
    # Every queue of this checkout (default, reports, imports, mail): one worker consumes them all.
    queues = all_queues(settings.CELERY_TASK_DEFAULT_QUEUE)
    with app.connection_for_write() as conn:
        for queue in queues:
            conn.default_channel.queue_purge(queue)
    log = open(ROOT / "test-artifacts" / "celery-worker.log", "w") if ARTIFACTS.exists() else subprocess.DEVNULL
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "pokja_portal",
            "worker",
            "-Q",
            ",".join(queues),
            "-n",
            name,
            "--concurrency=2",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "info",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("Celery worker exited during start-up; see test-artifacts/celery-worker.log")
        if app.control.ping(destination=[name], timeout=0.5):
            break
    else:
        proc.kill()
        raise RuntimeError("Celery worker did not answer within 60 s")
    yield name
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


# --- Browser ----------------------------------------------------------------


@pytest.fixture(scope="session")
def _playwright_browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `make system-packages` as root")
    # Without it Playwright leaves a service worker's own requests out of `context.set_offline`
    # (and of routing): the offline collection test (tests/upk/test_browser_offline.py) would
    # reload from the network and prove nothing. Read by the driver when it starts.
    os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-quic",
                "--no-first-run",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(_playwright_browser, live_server):
    """A fresh browser context (no cookies) in Indonesian, on a phone-ish width."""
    context = _playwright_browser.new_context(
        locale="id-ID", timezone_id="Asia/Jakarta", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base_url = live_server.url  # type: ignore[attr-defined]
    yield page
    context.close()


def browser_login(page, username: str, password: str = "pass12345") -> None:
    page.goto(page.base_url + "/akun/masuk/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/akun/masuk/" not in url)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
