"""The forum's key pages of issue 12 cost a fixed, small number of SQL queries at any data size.

Each page is requested at size N and again at 3N — threads (some linked to BKMs), BKMs, replies of
the long thread, notifications — and must issue the same number of queries both times, no more than
its bound. The bounds are today's counts (the layout's session and user queries included): lower them
when a page gets cheaper, never raise them to make a change pass.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forum.models import Notification, NotificationKind
from tests.factories import BKMFactory
from tests.forum.factories import PostFactory, ThreadFactory

pytestmark = pytest.mark.django_db

N = 3
# page → (role, most queries)
BOUNDS = {
    "index": ("member", 6),
    "category": ("member", 8),
    "thread, first page": ("member", 8),
    "thread, last page": ("member", 8),
    "thread as staff moderator": ("staff", 9),
    "search": ("member", 5),
    "notifications": ("member", 6),
}


def _urls(world) -> dict[str, str]:
    thread = reverse("forum:thread", args=[world["thread"].pk])
    return {
        "index": reverse("forum:index"),
        "category": reverse("forum:category", args=[world["category"].slug]),
        "thread, first page": thread,
        "thread, last page": thread + "?page=last",
        "thread as staff moderator": thread,
        "search": reverse("forum:search") + "?q=tulisan",
        "notifications": reverse("forum:notifications"),
    }


def _grow(world, count: int) -> None:
    category, member, staff = world["category"], world["member"], world["staff"]
    for i in range(count):
        linked = ThreadFactory(category=category, author=member, bkm=BKMFactory() if i % 2 else None)
        PostFactory(thread=linked, author=member)
        for _ in range(5):
            reply = PostFactory(thread=world["thread"], author=staff)
            Notification.objects.create(user=member, kind=NotificationKind.REPLY, post=reply, actor=staff)
        BKMFactory()


def _counts(clients, world) -> dict[str, int]:
    counts = {}
    for name, url in _urls(world).items():
        client = clients[BOUNDS[name][0]]
        assert client.get(url).status_code == 200, name  # per-process caches warm alike at both sizes
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, name
        counts[name] = len(ctx.captured_queries)
    return counts


def test_forum_pages_query_counts_are_flat_and_bounded(member, staff_admin, general):
    from django.test import Client

    thread = ThreadFactory(category=general, author=member, title="Topik panjang")
    PostFactory(thread=thread, author=member)
    world = {"category": general, "member": member, "staff": staff_admin, "thread": thread}
    clients = {"member": Client(), "staff": Client()}
    clients["member"].force_login(member)
    clients["staff"].force_login(staff_admin)
    _grow(world, N)
    small = _counts(clients, world)
    _grow(world, 2 * N)
    large = _counts(clients, world)
    assert large == small, f"query counts that change with the data (N → 3N): {small} → {large}"
    over = {name: (n, BOUNDS[name][1]) for name, n in large.items() if n > BOUNDS[name][1]}
    assert not over, f"pages above their bound (count, bound): {over}"
