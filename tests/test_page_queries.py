"""Every key page of issue 12 issues the same number of SQL queries at two data sizes.

The data are built at size N, every page's query count measured (second request, so per-process
caches and the stored portfolio figures are warm the same way at both sizes), the data grown to 3N —
BKMs, proposals, loans and repayments, one loan's repayments, journal entries, forum threads, the
replies of one thread, notifications — and every count measured again: a count that grows is a query
per row somewhere. The page bench (bench/pages_bench.py) prints the same counts at city and province
scale.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forum.models import Category, Notification, NotificationKind
from tests.factories import BKMFactory, ProposalFactory
from tests.forum.factories import PostFactory, ThreadFactory
from tests.upk.factories_ui import fund, make_portfolio
from upk import services
from upk.queries import today

N = 2


def _pages(world) -> list[tuple[str, str, str]]:
    upk, loan, ksm, thread, category, bkm = (world[k] for k in ("upk", "loan", "ksm", "thread", "category", "bkm"))
    return [
        ("dashboard", "staff", reverse("home")),
        ("dashboard warnings", "staff", reverse("reports:dashboard_warnings")),
        ("BKM list", "staff", reverse("bkm:list")),
        ("BKM page", "staff", reverse("bkm:detail", args=[bkm.pk])),
        ("BKM records", "staff", reverse("bkm:records", args=[bkm.pk])),
        ("proposal list", "staff", reverse("bkm:proposal_list")),
        ("UPK home", "manager", reverse("upk:home", args=[upk.pk])),
        ("KSM", "manager", reverse("upk:ksm_detail", args=[ksm.pk])),
        ("loan card", "manager", reverse("upk:loan_card", args=[loan.pk])),
        ("collection sheet", "manager", reverse("upk:collection_sheet", args=[upk.pk])),
        ("cash book", "manager", reverse("upk:cash_book", args=[upk.pk])),
        ("trial balance", "manager", reverse("upk:trial_balance", args=[upk.pk])),
        ("neraca", "manager", reverse("upk:neraca", args=[upk.pk])),
        ("monthly package", "manager", reverse("upk:package", args=[upk.pk])),
        ("forum index", "member", reverse("forum:index")),
        ("forum category", "member", reverse("forum:category", args=[category.slug])),
        ("thread", "member", reverse("forum:thread", args=[thread.pk])),
        ("forum search", "member", reverse("forum:search") + "?q=tulisan"),
        ("notifications", "member", reverse("forum:notifications")),
        ("API bkm", "staff", "/api/bkm/"),
        ("API usulan", "staff", "/api/usulan/"),
        ("API upk-indikator", "staff", "/api/upk-indikator/"),
    ]


def _grow(world, count: int) -> None:
    """`count` more of every kind of record the key pages list or sum."""
    upk, manager, loan, thread, category, member = (
        world[k] for k in ("upk", "manager", "loan", "thread", "category", "member")
    )
    for _ in range(count):
        BKMFactory()
        ProposalFactory(bkm=world["bkm"])
        ThreadFactory(category=category, author=member)
        reply = PostFactory(thread=thread, author=world["staff"])
        Notification.objects.create(user=member, kind=NotificationKind.REPLY, post=reply, actor=world["staff"])
    make_portfolio(upk, manager, count, today=today())
    for i in range(count):
        world["paid"] += 1
        services.repayments.repayment_record(
            loan=loan, amount=10_000, paid_on=today(), actor=manager, idempotency_key=f"grow-{world['paid']}-{i}"
        )


def _counts(clients, world) -> dict[str, int]:
    counts = {}
    for name, role, url in _pages(world):
        client = clients[role]
        assert client.get(url).status_code == 200, name
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, name
        counts[name] = len(ctx.captured_queries)
    return counts


@pytest.fixture
def world(bkm, staff_admin, upk_manager, member, client, settings):
    settings.REPORTS_UPK_PACKAGE_DUE_DAY = 0  # the package check at its dearest
    upk = bkm.units.get(unit_type="upk")
    services.settings.upk_setup(upk=upk)
    fund(upk, upk_manager, on=today() - timedelta(days=200))
    category = Category.objects.get(kecamatan=bkm.kelurahan.kecamatan)
    loans = make_portfolio(upk, upk_manager, N, today=today())
    thread = ThreadFactory(category=category, author=member, last_post_at=timezone.now())
    PostFactory(thread=thread, author=member)
    return {
        "bkm": bkm,
        "upk": upk,
        "manager": upk_manager,
        "staff": staff_admin,
        "member": member,
        "loan": loans[0],
        "ksm": loans[0].ksm,
        "thread": thread,
        "category": category,
        "paid": 0,
    }


def test_key_pages_query_counts_do_not_grow_with_the_data(world, django_user_model):
    from django.test import Client

    clients = {}
    for role, user in (("staff", world["staff"]), ("manager", world["manager"]), ("member", world["member"])):
        clients[role] = Client()
        clients[role].force_login(user)
    _grow(world, N - 1)  # N of everything
    small = _counts(clients, world)
    _grow(world, 2 * N)  # 3N
    large = _counts(clients, world)
    grown = {name: (small[name], large[name]) for name in small if large[name] > small[name]}
    assert not grown, f"query counts that grow with the data (N → 3N): {grown}"
    # And bounded in absolute terms (the layout's own queries included).
    assert max(large.values()) <= 50, large
