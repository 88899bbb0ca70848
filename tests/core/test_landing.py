"""The home page dispatches through a registry and `core` imports no app (issue 11's layering)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import reverse

from core import landing

CORE = Path(__file__).resolve().parents[2] / "core"


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


# Known exceptions, each with its reason; remove the entry when the module is fixed.
IMPORT_EXCEPTIONS: set[str] = set()  # none left: core/backup.py reads the ledger through its BackupCheck registry


def test_core_imports_no_domain_app():
    domain_apps = {
        c.name
        for c in apps.get_app_configs()
        if c.path.startswith(str(CORE.parent)) and "site-packages" not in c.path  # a .venv inside the checkout
    } - {"core"}
    assert domain_apps >= {"bkm", "upk", "forum", "reports"}
    offenders = {
        f"{path.relative_to(CORE.parent)}: {module}"
        for path in CORE.rglob("*.py")
        if "migrations" not in path.parts and str(path.relative_to(CORE.parent)) not in IMPORT_EXCEPTIONS
        for module in _imported_modules(path)
        if module.split(".")[0] in domain_apps
    }
    assert offenders == set()


def test_apps_do_not_import_the_project_package():
    """Apps sit below the project package (`pokja_portal`: settings, urls, celery app); they
    reach what it configures through django.conf.settings or `core` (e.g. core/db_router.py)."""
    offenders = {
        f"{path.relative_to(CORE.parent)}: {module}"
        for app in ("bkm", "core", "forum", "reports", "upk")
        for path in (CORE.parent / app).rglob("*.py")
        if "migrations" not in path.parts
        for module in _imported_modules(path)
        if module.split(".")[0] == "pokja_portal"
    }
    assert offenders == set()


def test_backup_reads_the_ledger_through_its_registered_check():
    from core.backup import registered_checks

    assert [c.key for c in registered_checks()] == ["trial_balances"]
    assert registered_checks()[0].record.__module__ == "upk.apps"


def test_apps_register_their_landing_page_and_panels():
    assert {"upk", "bkm", "forum"} <= set(landing._PANELS)
    assert "dashboard" in landing._PAGES


def test_seed_demo_finds_each_apps_demo_through_its_appconfig():
    from core.management.commands.seed_demo import demo_steps

    paths = [path for _order, path in demo_steps()]
    assert paths[0] == "bkm.demo.seed_with_users"
    assert paths == [
        "bkm.demo.seed_with_users",
        "bkm.demo_extra.seed",
        "bkm.demo_rplp.seed",
        "bkm.demo_self_service.seed",
        "bkm.demo_public.seed",
        "upk.demo.seed",
        "forum.demo.seed",
        "forum.demo_library.seed",
        "reports.demo.seed",
    ]


@pytest.mark.django_db
def test_home_shows_only_panels_with_something_for_the_user(client, member, monkeypatch):
    calls = []

    def nothing(user):
        calls.append(user.pk)
        return None

    monkeypatch.setitem(landing._PANELS, "zz-test", landing.LandingPanel("zz-test", "home.html", nothing, order=999))
    client.force_login(member)
    response = client.get(reverse("home"))
    keys = [panel.key for panel, _data in response.context["panels"]]
    assert calls == [member.pk] and "zz-test" not in keys and keys[0] == "bkm"
