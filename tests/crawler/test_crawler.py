"""Crawl the portal as each role on the demo city (see docs/architecture.md, "The crawler").

Each role's crawl runs once per session (cached in `_CRAWLED`); the tests below
read it: the crawl's own findings, probes of what other roles were shown, and
whether every page of the URL configuration was reached by someone.
"""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from core.models import User
from tests.crawler.axe import axe_findings
from tests.crawler.engine import ADMIN_PREFIX, Crawler, Finding, url_name
from tests.crawler.exceptions import EXCEPTIONS, Allowed, skipped

# Demo logins (core/demo.py) and a visitor who is not signed in.
ROLES = ["admin", "staf", "peninjau", "manajer", "koordinator", "anggota", "anonim"]
# Where a crawl starts: the portal, and the open-data API that clients reach without a link.
STARTS = ("/", "/api/")

_USED: set[Allowed] = set()
_RAN: set[str] = set()
_CRAWLED: dict[str, Crawler] = {}


def _allowed(finding: Finding, role: str) -> Allowed | None:
    for entry in EXCEPTIONS:
        if (
            entry.rule == finding.rule
            and re.search(entry.url, finding.url)
            and (not entry.roles or role in entry.roles)
        ):
            return entry
    return None


def unexcused(findings: list[Finding], role: str) -> list[Finding]:
    left = []
    for finding in findings:
        entry = _allowed(finding, role)
        if entry is None:
            left.append(finding)
        else:
            _USED.add(entry)
    return left


def client_for(role: str) -> Client:
    client = Client()
    if role != "anonim":
        client.force_login(User.objects.get(username=role))
    return client


def crawl_as(role: str) -> Crawler:
    if role not in _CRAWLED:
        crawler = Crawler(client_for(role), skip=skipped)
        started = time.monotonic()
        crawler.crawl(*STARTS)
        crawler.seconds = time.monotonic() - started  # type: ignore[attr-defined]
        _CRAWLED[role] = crawler
    return _CRAWLED[role]


def _report(findings: list[Finding], role: str) -> str:
    return f"{len(findings)} findings as {role}:\n" + "\n".join(str(f) for f in findings)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_crawl_every_link_as_role(demo_city, role):
    crawler = crawl_as(role)
    result = crawler.result
    left = unexcused(result.findings, role)
    print(
        f"\n{role}: {len(result.visits)} requests, {len(result.names_reached)} url names, {crawler.seconds:.1f} s"  # type: ignore[attr-defined]
    )
    _RAN.add(f"crawl {role}")
    assert not left, _report(left, role)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_pages_of_other_roles_refuse_cleanly(demo_city, role):
    """What other roles are shown, this role may or may not open (its scope
    decides); it never gets a 5xx, and a refusal (403/404) is the portal's own
    Indonesian page with the menu, even for an English-speaking browser. One
    URL per url name; Django's admin has its own permission pages."""
    own = crawl_as(role)
    candidates: dict[str, str] = {}
    for other in ROLES:
        if other == role:
            continue
        for visit in crawl_as(other).result.visits:
            name = url_name(visit.url)
            if (
                name
                and name not in own.result.names_reached
                and visit.status == 200
                and not visit.url.startswith(ADMIN_PREFIX)
            ):
                candidates.setdefault(name, visit.url)
    probe = Crawler(client_for(role))  # a new session: the crawl's was rolled back with its test
    for url in sorted(candidates.values()):
        probe.probe(url)
    left = unexcused(probe.result.findings, role)
    statuses = sorted({v.status for v in probe.result.visits})
    print(f"\n{role}: probed {len(candidates)} url names shown to other roles, statuses {statuses}")
    _RAN.add(f"probe {role}")
    assert not left, _report(left, role)


# axe-core runs once per url name: as the least privileged role that reaches
# it (members first, then manager, viewer, staff, sysadmin), so each role's
# own pages are checked as that role sees them, in about a third of the time
# of checking every url name for every role (docs/architecture.md).
AXE_ORDER = ["anonim", "anggota", "koordinator", "manajer", "peninjau", "staf", "admin"]
_AXE_DONE: set[str] = set()


@pytest.mark.browser
@pytest.mark.django_db
@pytest.mark.parametrize("role", AXE_ORDER)
def test_pages_pass_axe_core(demo_city, _playwright_browser, role):
    crawler = crawl_as(role)
    pages = {name: url for name, url in sorted(crawler.result.pages_for_axe.items()) if name not in _AXE_DONE}
    started = time.monotonic()
    findings = axe_findings(_playwright_browser, client_for(role), list(pages.values()))
    _AXE_DONE.update(pages)
    left = unexcused(findings, role)
    print(f"\n{role}: axe-core on {len(pages)} pages, {time.monotonic() - started:.1f} s")
    _RAN.add(f"axe {role}")
    assert not left, _report(left, role)


def _url_names(patterns: list, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for entry in patterns:
        if isinstance(entry, URLResolver):
            names |= _url_names(entry.url_patterns, prefix + (f"{entry.namespace}:" if entry.namespace else ""))
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(prefix + entry.name)
    return names


@pytest.mark.django_db
def test_every_page_is_reached_by_some_role(demo_city):
    """A page added later is crawled without anyone listing it — unless no
    role is ever shown a link to it, which this test reports."""
    reached = set().union(*(crawl_as(role).result.names_reached for role in ROLES))
    missing = sorted(
        name
        for name in _url_names(get_resolver().url_patterns) - reached
        if not name.startswith("admin:") and unexcused([Finding("unreached", name, "")], "")
    )
    _RAN.add("coverage")
    assert not missing, "No role is shown a link to these pages (link them, or list them in exceptions.py):\n" + (
        "\n".join(missing)
    )


def test_exceptions_still_needed():
    """Run last: an exception that matched nothing in this session is stale (only checked after a whole crawl)."""
    if {f"{kind} {role}" for kind in ("crawl", "probe") for role in ROLES} | {"coverage"} != _RAN:
        pytest.skip("the whole crawl did not run in this session")
    stale = [e for e in EXCEPTIONS if e.rule not in ("skip",) and e not in _USED]
    assert not stale, "Exceptions that no longer match anything (remove them):\n" + "\n".join(
        f"{e.rule} {e.url}: {e.reason}" for e in stale
    )
