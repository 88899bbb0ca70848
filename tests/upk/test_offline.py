"""Offline collection (issue 14): the sheets the phone downloads and the sync endpoint its payments come back through."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from PIL import Image

from tests.factories import BKMFactory, UserFactory
from upk import selectors, services
from upk.models import Repayment
from upk.offline import offline_sheets
from upk.queries import today

from .factories import make_active_loan


def _post(client, upk, entries):
    return client.post(
        reverse("upk:offline_sync", args=[upk.pk]),
        data=json.dumps({"entries": entries}),
        content_type="application/json",
    )


def _owed(upk, loan) -> int:
    """What clears the loan today: every instalment is past due (disbursed 2024), so the sheet's Tagihan."""
    return next(r.expected for r in selectors.due_list(upk=upk, on=today()) if r.loan.pk == loan.pk)


def _entry(loan, amount="100.000", on=None, key=None):
    return {"key": key or str(uuid.uuid4()), "loan": loan.pk, "date": (on or today()).isoformat(), "amount": amount}


def test_offline_sheets_uses_the_collection_sheets_amounts(upk, manager, loan):
    bundle = offline_sheets(upk=upk, start=today(), days=3)
    assert [s["date"] for s in bundle["sheets"]] == [(today() + timedelta(days=i)).isoformat() for i in range(3)]
    due = selectors.due_list(upk=upk, on=today())
    rows = bundle["sheets"][0]["rows"]
    assert rows == [
        {"loan": r.loan.pk, "expected": r.expected, "denda": r.denda, "n_arrears": r.n_arrears} for r in due
    ]
    assert bundle["loans"][str(loan.pk)]["number"] == loan.number


def test_offline_sheets_view_is_scoped_to_the_managers_upk(client, upk, manager, loan):
    other = UserFactory(role="upk_manager", username="manajer_lain")
    other.upk_units.set([BKMFactory().units.get(unit_type="upk")])
    client.force_login(other)
    response = client.get(reverse("upk:offline_sheets", args=[upk.pk]))
    assert response.status_code == 403
    assert "error" in response.json()
    client.force_login(manager)
    response = client.get(reverse("upk:offline_sheets", args=[upk.pk]) + "?hari=2")
    assert response.status_code == 200
    assert len(response.json()["sheets"]) == 2


def test_offline_sync_replay_of_the_same_key_posts_once(client, upk, manager, loan):
    client.force_login(manager)
    entry = _entry(loan, "Rp 150.000")
    first = _post(client, upk, [entry]).json()["results"][0]
    again = _post(client, upk, [entry, entry]).json()["results"]
    assert first["status"] == "accepted" and first["receipt"]
    assert [r["receipt"] for r in again] == [first["receipt"], first["receipt"]]
    assert Repayment.objects.filter(loan=loan).count() == 1
    assert int(Repayment.objects.get(loan=loan).amount) == 150_000  # parsed by RupiahField as typed


def test_offline_sync_replay_after_the_payment_paid_the_loan_off_is_still_accepted(client, upk, manager, loan):
    """The answer was lost; the phone resends the payment that settled the loan: same receipt, not "paid off"."""
    client.force_login(manager)
    owed = _owed(upk, loan)
    entry = _entry(loan, f"{owed:,}".replace(",", "."))
    first = _post(client, upk, [entry]).json()["results"][0]
    loan.refresh_from_db()
    assert first["status"] == "accepted", first
    assert loan.status == "paid_off"
    again = _post(client, upk, [entry]).json()["results"][0]
    assert again == first
    assert Repayment.objects.filter(loan=loan).count() == 1


def test_offline_sync_other_upks_manager_is_denied(client, upk, manager, loan):
    other = UserFactory(role="upk_manager", username="manajer_lain")
    other.upk_units.set([BKMFactory().units.get(unit_type="upk")])
    client.force_login(other)
    response = _post(client, upk, [_entry(loan)])
    assert response.status_code == 403
    assert "tidak berhak" in response.json()["error"]
    assert not Repayment.objects.filter(loan=loan).exists()


def test_offline_sync_key_from_another_upk_is_a_new_key(client, upk, manager, loan):
    """A key already used in another UPK neither answers with that UPK's receipt nor blocks this one."""
    other_upk = BKMFactory().units.get(unit_type="upk")
    services.settings.upk_setup(upk=other_upk)
    other = UserFactory(role="upk_manager", username="manajer_lain")
    other.upk_units.set([other_upk])
    services.cash.capital_receive(
        upk=other_upk,
        account=other_upk.accounts.get(role="capital_kotaku"),
        amount=100_000_000,
        date=date(2024, 1, 2),
        description="Modal",
        actor=other,
        idempotency_key="cap",
        channel="kas",
    )
    their_loan = make_active_loan(other_upk, other)
    key = str(uuid.uuid4())
    client.force_login(other)
    theirs = _post(client, other_upk, [_entry(their_loan, key=key)]).json()["results"][0]
    client.force_login(manager)
    ours = _post(client, upk, [_entry(loan, key=key)]).json()["results"][0]
    assert theirs["status"] == ours["status"] == "accepted"
    assert theirs["receipt_url"] != ours["receipt_url"]
    assert Repayment.objects.filter(loan=loan).count() == 1


def test_offline_sync_staff_viewer_cannot_post(client, upk, loan):
    viewer = UserFactory(role="staff_viewer", username="peninjau_x")
    client.force_login(viewer)
    assert _post(client, upk, [_entry(loan)]).status_code == 403
    assert not Repayment.objects.filter(loan=loan).exists()


def test_offline_sync_signed_out_answers_json_not_a_login_page(client, upk, loan):
    response = _post(client, upk, [_entry(loan)])
    assert response.status_code == 401
    assert "Masuk lagi" in response.json()["error"]


def test_offline_sync_closed_month_is_refused_with_reason(client, upk, manager, loan):
    services.periods.period_close(upk=upk, year=2024, month=6, actor=manager)
    client.force_login(manager)
    result = _post(client, upk, [_entry(loan, on=date(2024, 6, 28))]).json()["results"][0]
    assert result["status"] == "refused"
    assert "sudah ditutup" in result["reason"]
    assert loan.number in result["reason"]
    assert not Repayment.objects.filter(loan=loan).exists()


def test_offline_sync_refuses_each_bad_entry_and_posts_the_good_ones(client, upk, manager, loan, capital):
    paid_off = make_active_loan(upk, manager)
    owed = _owed(upk, paid_off)
    services.repayments.repayment_record(
        loan=paid_off, amount=owed, paid_on=today(), actor=manager, idempotency_key="lunas"
    )
    client.force_login(manager)
    entries = [
        _entry(loan, "560.500"),
        _entry(paid_off, "100.000"),
        _entry(loan, "150.000,50"),
        _entry(loan, "100.000", on=today() + timedelta(days=3)),
        _entry(loan, "999.999.999"),
        {"key": "not-a-uuid", "loan": loan.pk, "date": today().isoformat(), "amount": "1"},
    ]
    results = _post(client, upk, entries).json()["results"]
    assert [r["status"] for r in results] == ["accepted"] + ["refused"] * 5
    reasons = [r["reason"] for r in results[1:]]
    assert "tidak aktif" in reasons[0]
    assert "150.000,50" in reasons[1]
    assert "belum tiba" in reasons[2]
    assert "melebihi" in reasons[3]
    assert "tidak sah" in reasons[4]
    assert Repayment.objects.filter(loan=loan).count() == 1


def test_offline_sync_checks_csrf(upk, manager, loan):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    assert _post(client, upk, [_entry(loan)]).status_code == 403
    assert not Repayment.objects.filter(loan=loan).exists()


def test_offline_sync_malformed_body_is_a_clear_400(client, upk, manager):
    client.force_login(manager)
    response = client.post(reverse("upk:offline_sync", args=[upk.pk]), data="{", content_type="application/json")
    assert response.status_code == 400
    assert "tidak terbaca" in response.json()["error"]


def test_collect_offline_page_for_managers_only(client, upk, manager, django_assert_max_num_queries):
    client.force_login(manager)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("upk:collect_offline", args=[upk.pk]))
    assert response.status_code == 200
    assert b"offline-collect.js" in response.content
    viewer = UserFactory(role="staff_viewer", username="peninjau_y")
    client.force_login(viewer)
    assert client.get(reverse("upk:collect_offline", args=[upk.pk])).status_code == 403


@pytest.mark.django_db
def test_service_worker_and_manifest_are_served_at_the_root(client):
    sw = client.get("/sw.js")
    assert sw.status_code == 200
    assert sw["Content-Type"].startswith("text/javascript")
    assert sw["Service-Worker-Allowed"] == "/"
    body = sw.content.decode()
    assert '"pending"' not in body and "/static/js/offline-collect.js" in body and "/luring/" in body
    manifest = client.get("/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    data = manifest.json()
    assert data["scope"] == "/" and data["display"] == "standalone"
    for icon in data["icons"]:  # committed PNGs of the size they claim
        size = int(icon["sizes"].split("x")[0])
        with Image.open(finders.find(icon["src"].removeprefix(settings.STATIC_URL))) as img:
            assert img.size == (size, size) and img.format == "PNG"
    page = client.get("/luring/")
    assert page.status_code == 200 and "perlu jaringan" in page.content.decode()


def test_offline_sheets_queries_are_bounded_per_day(client, upk, manager, loan, capital, django_assert_max_num_queries):
    make_active_loan(upk, manager)
    client.force_login(manager)
    url = reverse("upk:offline_sheets", args=[upk.pk])
    client.get(url)
    with django_assert_max_num_queries(8 + 2 * 7):  # session, user, scope; then two per day
        response = client.get(url)
    assert len(response.json()["sheets"]) == 7
    assert len(response.json()["loans"]) == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_offline_entries_post_concurrent_twins_paying_the_loan_off_both_answer_the_one_receipt(upk, manager, loan):
    """Two tabs send the same entry at once; it pays the loan off, so the twin that waited for the lock
    would find the loan paid off — it must answer with the first one's receipt, not a refusal."""
    import threading

    from django.db import connection

    from upk.services.offline import offline_entries_post

    everything = selectors.due_list(upk=upk, on=today(), within_days=3660)
    owed = next(r.expected for r in everything if r.loan.pk == loan.pk)
    entry = _entry(loan, str(owed))
    barrier = threading.Barrier(2)
    answers: list = []
    errors: list = []

    def send() -> None:
        try:
            barrier.wait()
            answers.append(offline_entries_post(upk=upk, actor=manager, entries=[entry])[0])
        except BaseException as exc:  # re-raised below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert [a.accepted for a in answers] == [True, True], answers
    assert answers[0].receipt == answers[1].receipt
    assert Repayment.objects.filter(loan=loan).count() == 1


def test_service_worker_precaches_every_static_file_the_offline_page_loads(client, upk, manager):
    """The kept page must render without signal: each script and stylesheet it names is in the worker's shell."""
    import re

    client.force_login(manager)
    page = client.get(reverse("upk:collect_offline", args=[upk.pk])).content.decode()
    loaded = set(re.findall(r'<(?:script|link)[^>]+(?:src|href)="(/static/[^"]+)"', page))
    assert any(url.endswith(".js") for url in loaded) and any(url.endswith(".css") for url in loaded)
    body = client.get("/sw.js").content.decode()
    precache = set(json.loads(re.search(r"var PRECACHE = (\[.*?\]);", body).group(1)))
    assert loaded <= precache, loaded - precache


def test_offline_sync_same_key_from_another_manager_of_the_upk_is_another_key(client, upk, manager, loan):
    colleague = UserFactory(role="upk_manager", username="manajer_kedua")
    colleague.upk_units.set([upk])
    key = str(uuid.uuid4())
    client.force_login(manager)
    first = _post(client, upk, [_entry(loan, key=key)]).json()["results"][0]
    client.force_login(colleague)
    second = _post(client, upk, [_entry(loan, key=key)]).json()["results"][0]
    assert first["status"] == second["status"] == "accepted"
    assert first["receipt"] != second["receipt"]  # never an answer with another actor's entry
    assert Repayment.objects.filter(loan=loan).count() == 2


def test_offline_endpoints_read_only_ascii_digits_as_numbers(client, upk, manager, loan):
    """'²' passes str.isdigit() but not int(): the day count and a loan id typed so are refused, not a 500."""
    client.force_login(manager)
    response = client.get(reverse("upk:offline_sheets", args=[upk.pk]) + "?hari=%C2%B2")
    assert response.status_code == 200
    assert len(response.json()["sheets"]) == 7
    response = client.post(
        reverse("upk:offline_sync", args=[upk.pk]),
        data=json.dumps({"entries": [{"key": str(uuid.uuid4()), "loan": "²", "date": str(today()), "amount": "1000"}]}),
        content_type="application/json",
    )
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["status"] != "accepted"
