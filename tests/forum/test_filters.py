"""Forum lists: the FilterSet's set is what page 1, page 2 (the rendered link) and the export carry."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forum.filters import NotificationFilterSet, ThreadFilterSet
from forum.models import Notification, Thread
from forum.selectors import notifications_for, threads_for_category
from tests.factories import UserFactory
from tests.forum.factories import PostFactory, ThreadFactory
from tests.links import csv_rows, link_href

pytestmark = pytest.mark.django_db


def test_category_threads_filter_page_two_and_export_agree(client, staff_admin, general, bkm):
    for i in range(30):
        thread = ThreadFactory(category=general, title=f"Drainase RT {i:02d}", bkm=bkm if i % 10 else None)
        PostFactory(thread=thread, body_source=f"Isi drainase {i}")
    other = ThreadFactory(category=general, title="Jalan lingkungan", bkm=bkm)
    PostFactory(thread=other, body_source="Isi jalan")
    client.force_login(staff_admin)
    url = reverse("forum:category", args=[general.slug]) + f"?q=drainase&bkm={bkm.pk}"
    expected = set(
        ThreadFilterSet(
            {"q": "drainase", "bkm": bkm.pk}, queryset=threads_for_category(user=staff_admin, category=general)
        ).qs.values_list("title", flat=True)
    )
    # 30 drainase threads, 3 of them without the BKM: 27, over two pages of 25.
    assert len(expected) == 27 and "Drainase RT 10" not in expected
    page1 = client.get(url).content.decode()
    page2 = client.get(link_href(url, page1, "Berikutnya")).content.decode()
    shown = {t for t in expected if f">{t}</a>" in page1 or f">{t}</a>" in page2}
    assert shown == expected and ">Jalan lingkungan</a>" not in page1
    rows = csv_rows(client.get(link_href(url, page1, "Ekspor CSV")))
    assert {r[1] for r in rows[1:]} == expected


def test_category_threads_unanswered_filter(client, staff_admin, general):
    quiet = ThreadFactory(category=general, title="Belum dijawab")
    PostFactory(thread=quiet)
    busy = ThreadFactory(category=general, title="Ramai", reply_count=2)
    PostFactory(thread=busy)
    qs = threads_for_category(user=staff_admin, category=general)
    assert list(ThreadFilterSet({"tampil": "tanpa-balasan"}, queryset=qs).qs) == [quiet]
    client.force_login(staff_admin)
    response = client.get(reverse("forum:category", args=[general.slug]), {"tampil": "tanpa-balasan", "bkm": "x"})
    assert response.status_code == 200
    assert ">Belum dijawab</a>" in response.content.decode() and ">Ramai</a>" not in response.content.decode()


def test_notifications_filter_and_page_two_carry_the_same_set(client, member, general):
    actor = UserFactory(role="staff_admin")
    thread = ThreadFactory(category=general, title="Rapat koordinasi")
    posts = [PostFactory(thread=thread, author=actor) for _ in range(45)]
    for i, post in enumerate(posts):
        Notification.objects.create(
            user=member, kind="mention" if i % 5 else "reply", post=post, actor=actor, read_at=None
        )
    client.force_login(member)
    url = reverse("forum:notifications") + "?jenis=mention"
    expected = set(
        NotificationFilterSet({"jenis": "mention"}, queryset=notifications_for(user=member)).qs.values_list(
            "pk", flat=True
        )
    )
    assert len(expected) == 36  # over two pages of 30
    page1 = client.get(url)
    seen = {n.pk for n in page1.context["page_obj"]}
    page2 = client.get(link_href(url, page1.content.decode(), "Berikutnya"))
    seen |= {n.pk for n in page2.context["page_obj"]}
    assert seen == expected
    assert Thread.objects.count() == 1
