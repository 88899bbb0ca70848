"""The dashboard's warnings card keeps what the registry, forum and proposal rules found (reports.kept)
under versions the database triggers raise on every write to their inputs: a write that changes a warning
shows on the very next card, whatever wrote it (a service, a queryset update, the admin)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bkm.models import BKM, BoardMember
from reports import kept
from tests.factories import BKMFactory, BoardMemberFactory

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the versions are raised by triggers")


def _card(client: Client) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("reports:dashboard_warnings"))
    assert response.status_code == 200
    # Each response masks the CSRF token afresh.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode()), len(queries)


@pytest.fixture
def registry(db, settings):
    settings.BKM_BOARD_SIZE_MIN, settings.BKM_BOARD_SIZE_MAX, settings.BKM_TERM_WARNING_DAYS = 3, 13, 90
    far = datetime.date.today() + datetime.timedelta(days=400)
    complete = {
        "address": "Jl. Tjilik Riwut 1",
        "phone": "0536-1",
        "date_formed": datetime.date(2010, 1, 1),
        "akta_number": "1/2010",
        "akta_date": datetime.date(2010, 1, 2),
        "adart_version": "2010",
    }
    bkm = BKMFactory(name="BKM Sejahtera", **complete)
    for i in range(3):
        BoardMemberFactory(bkm=bkm, name=f"Pengurus {i}", term_end=far)
    return bkm


def test_registry_write_shows_at_once_on_the_kept_card(client, staff_admin, registry):
    client.force_login(staff_admin)
    first, cold = _card(client)
    assert "Data registri belum lengkap" not in first
    again, warm = _card(client)
    assert again == first and warm < cold  # kept: the rules did not run again

    # A queryset update (no model save, no signal): the triggers still raise the registry's version.
    BKM.objects.filter(pk=registry.pk).update(phone="")
    text, _n = _card(client)
    assert "Data registri belum lengkap: telepon." in text

    # A board member leaving makes the board short on the next card too.
    assert "Pengurus BKM kurang" not in text
    BoardMember.objects.filter(bkm=registry, name="Pengurus 0").update(is_active=False)
    text, _n = _card(client)
    assert "Pengurus BKM kurang" in text

    BKM.objects.filter(pk=registry.pk).update(phone="0536-1")
    text, _n = _card(client)
    assert "Data registri belum lengkap" not in text


def test_acknowledging_a_kept_warning_shows_at_once(client, staff_admin, registry):
    BKM.objects.filter(pk=registry.pk).update(phone="")
    client.force_login(staff_admin)
    text, _n = _card(client)
    assert 'data-testid="ack-done"' not in text
    from reports.warnings import collect_warnings

    key = next(i.warning.key for i in collect_warnings(kind="bkm-incomplete"))
    response = client.post(reverse("reports:warning_acknowledge"), {"key": key, "subject": registry.name, "note": "ok"})
    assert response.status_code == 302
    text, _n = _card(client)
    assert 'data-testid="ack-done"' in text


def test_every_input_group_raises_its_version(registry, staff_admin):
    from forum.models import Thread
    from tests.forum.factories import PostFactory, ThreadFactory

    before = kept.tokens().inputs
    tokens = [before]
    BoardMember.objects.filter(bkm=registry).update(term_end=datetime.date.today())
    tokens.append(kept.tokens().inputs)
    thread = ThreadFactory(author=staff_admin)
    tokens.append(kept.tokens().inputs)
    PostFactory(thread=thread, author=staff_admin)
    tokens.append(kept.tokens().inputs)
    Thread.objects.filter(pk=thread.pk).update(is_hidden=True)
    tokens.append(kept.tokens().inputs)
    from bkm.models import Proposal, Unit
    from tests.factories import ProposalFactory

    proposal = ProposalFactory(bkm=registry)  # the proposal and its history row
    tokens.append(kept.tokens().inputs)
    Proposal.objects.filter(pk=proposal.pk).update(title="Usulan lain")
    tokens.append(kept.tokens().inputs)
    Unit.objects.filter(bkm=registry).update(name="Unit lain")
    tokens.append(kept.tokens().inputs)
    assert len(set(tokens)) == len(tokens)
    # Updates that cannot change a warning leave the versions alone (a login, a thread's counters).
    from core.models import User

    User.objects.filter(pk=staff_admin.pk).update(last_login=datetime.datetime.now(datetime.UTC))
    Thread.objects.filter(pk=thread.pk).update(reply_count=5)
    assert kept.tokens().inputs == tokens[-1]


def test_a_version_raised_by_a_rolled_back_write_is_never_given_again(registry):
    before = kept.tokens().inputs
    try:
        with transaction.atomic():
            BKM.objects.filter(pk=registry.pk).update(phone="")
            inside = kept.tokens().inputs
            raise RuntimeError
    except RuntimeError:
        pass
    assert kept.tokens().inputs == before
    BKM.objects.filter(pk=registry.pk).update(address="")
    assert kept.tokens().inputs not in (before, inside)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_committed_registry_write_shows_at_once(settings):
    """As in production: every write commits, the card is read by another request."""
    from tests.factories import UserFactory

    settings.BKM_BOARD_SIZE_MIN, settings.BKM_BOARD_SIZE_MAX = 1, 13
    staff = UserFactory(role="staff_admin")
    bkm = BKMFactory(name="BKM Komit", address="Jl. 1", phone="1", akta_number="1", adart_version="1")
    BKM.objects.filter(pk=bkm.pk).update(date_formed=datetime.date(2010, 1, 1), akta_date=datetime.date(2010, 1, 1))
    client = Client()
    client.force_login(staff)
    text, _n = _card(client)
    assert "Data registri belum lengkap: telepon" not in text
    BKM.objects.filter(pk=bkm.pk).update(phone="")
    text, _n = _card(client)
    assert "Data registri belum lengkap: telepon." in text


def test_registry_figures_on_the_dashboard_follow_a_write_at_once(client, staff_admin, registry):
    def active_count() -> str:
        response = client.get(reverse("home"))
        assert response.status_code == 200
        found = re.search(r'BKM/LKM aktif</div>\s*<div class="fs-3 fw-bold">([\d.]+)</div>', response.content.decode())
        assert found
        return found.group(1)

    client.force_login(staff_admin)
    assert active_count() == "1"
    assert active_count() == "1"  # kept
    BKM.objects.filter(pk=registry.pk).update(status="dibekukan")
    assert active_count() == "0"


def test_a_kept_card_carries_each_users_own_csrf_token(registry, staff_admin):
    """The card is kept rendered once for every user who may acknowledge; each request puts its own
    CSRF token in the forms, and posting one of them passes the CSRF check."""
    from tests.factories import UserFactory

    BKM.objects.filter(pk=registry.pk).update(phone="")
    first = Client(enforce_csrf_checks=True)
    first.force_login(staff_admin)
    first.get(reverse("reports:dashboard_warnings"))
    other = Client(enforce_csrf_checks=True)
    other.force_login(UserFactory(role="staff_admin", username="staf2"))
    response = other.get(reverse("reports:dashboard_warnings"))
    html = response.content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    key = re.search(r'name="key" value="(bkm-incomplete:[^"]+)"', html).group(1)
    posted = other.post(
        reverse("reports:warning_acknowledge"),
        {"key": key, "subject": registry.name, "note": "ok", "csrfmiddlewaretoken": token},
    )
    assert posted.status_code == 302
    assert 'data-testid="ack-done"' in other.get(reverse("reports:dashboard_warnings")).content.decode()


def test_a_package_submitted_shows_at_once_on_the_kept_card(client, staff_admin, upk_portfolio, settings):
    """The UPK warnings are kept too (their inputs: the packages' triggers and the UPKs' figures versions)."""
    from upk import services

    settings.REPORTS_UPK_PACKAGE_DUE_DAY = 0  # late from the first of the month: today, whatever the day
    _good, stopped, late = upk_portfolio["upks"]
    client.force_login(staff_admin)
    text, _n = _card(client)
    assert f"upk-package-missing:{stopped.pk}:" in text and f"upk-package-missing:{late.pk}:" in text
    services.periods.monthly_package_submit(
        upk=late, year=upk_portfolio["year"], month=upk_portfolio["month"], actor=upk_portfolio["managers"][2]
    )
    text, _n = _card(client)
    assert f"upk-package-missing:{stopped.pk}:" in text and f"upk-package-missing:{late.pk}:" not in text
