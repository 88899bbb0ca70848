"""Hostile values in every query parameter of the main pages: never a 5xx (issue 13)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.forum.conftest import ensure_reference_data as ensure_forum_reference_data
from tests.forum.factories import PostFactory, ThreadFactory
from upk import services as upk_services

PARAMS = [
    "q",
    "tahun",
    "bulan",
    "as_of",
    "tanggal",
    "dari",
    "sampai",
    "page",
    "kecamatan",
    "kelurahan",
    "status",
    "format",
    "year",
    "period",
    "buku",
    "bkm",
    "upk",
    "page_size",
    "ordering",
    "sort",
    "warning",
    "kolektibilitas",
    "quote",
    "unit",
]
VALUES = [
    "-1",
    "0",
    "99999999999999999999",
    "0001-01-01",
    "9999-12-31",
    "31-02-2024",
    "abc",
    "'",
    '"><script>',
    "%",
    "x" * 3000,
    "1e5",
    "\uff12\uff10\uff12\uff14",
    "2024-13",
    "-2024-01",
    "NaN",
    "[]",
    "1,2",
    " ",
    "\u202e",
    "\u00b2",
]

# Parameters the views parse themselves (ints, dates, periods), each alone so no other one masks it.
PARSED = ["tahun", "bulan", "as_of", "dari", "page", "period", "year"]
SHARP = ["-1", "99999999999999999999", "0001-01-01"]


def _urls(bkm, upk, thread):
    return [
        reverse("bkm:list"),
        reverse("bkm:proposal_list"),
        reverse("bkm:slum_list"),
        reverse("bkm:opd_list"),
        reverse("bkm:detail", args=[bkm.pk]),
        reverse("forum:index"),
        reverse("forum:search"),
        reverse("forum:thread", args=[thread.pk]),
        reverse("forum:meetings"),
        reverse("forum:notifications"),
        reverse("reports:run_list"),
        reverse("reports:dashboard"),
        reverse("reports:dashboard_warnings"),
        reverse("upk:list"),
        reverse("upk:home", args=[upk.pk]),
        reverse("upk:ksm_list", args=[upk.pk]),
        reverse("upk:loan_list", args=[upk.pk]),
        reverse("upk:journal", args=[upk.pk]),
        reverse("upk:cash_book", args=[upk.pk]),
        reverse("upk:trial_balance", args=[upk.pk]),
        reverse("upk:neraca", args=[upk.pk]),
        reverse("upk:laba_rugi", args=[upk.pk]),
        reverse("upk:collection_sheet", args=[upk.pk]),
        reverse("upk:package", args=[upk.pk]),
        reverse("upk:periods", args=[upk.pk]),
        "/api/bkm/",
        "/api/kelurahan/",
        "/api/usulan/",
        "/api/upk-indikator/",
        "/api/pertemuan/",
    ]


@pytest.mark.django_db
def test_query_parameters_never_give_a_server_error(client, bkm):
    ensure_forum_reference_data()
    staff = UserFactory(role="staff_admin", username="staf_fuzz")
    upk = bkm.units.get(unit_type="upk")
    upk_services.settings.upk_setup(upk=upk)
    manager = UserFactory(role="upk_manager", username="manajer_fuzz")
    manager.upk_units.set([upk])
    upk_services.cash.capital_receive(
        upk=upk,
        account=upk.accounts.get(role="capital_kotaku"),
        amount=1_000_000,
        date=date(2024, 1, 2),
        description="Modal",
        actor=manager,
        idempotency_key="fuzz",
        channel="kas",
    )
    thread = ThreadFactory(author=staff)
    PostFactory(thread=thread)
    client.force_login(staff)
    failures = []
    for url in _urls(bkm, upk, thread):
        # Every parameter at once with each value, then each parameter alone with the sharpest values.
        for value in VALUES:
            response = client.get(url, dict.fromkeys(PARAMS, value))
            if response.status_code >= 500:
                failures.append((url, "*", value[:40], response.status_code))
        for name in PARSED:
            for value in SHARP:
                response = client.get(url, {name: value})
                if response.status_code >= 500:
                    failures.append((url, name, value[:40], response.status_code))
    assert failures == []
