"""The forum's landing panel: latest topics and next meetings, through the forum's permissions."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.forum.factories import MeetingFactory, ThreadFactory


@pytest.mark.django_db
def test_member_sees_latest_readable_topics_and_next_meetings(client, member, general, far_bkm):
    old = ThreadFactory(category=general, title="Topik lama", last_post_at=timezone.now() - datetime.timedelta(days=9))
    new = ThreadFactory(category=general, title="Topik baru tentang tunggakan")
    hidden = ThreadFactory(category=general, title="Topik tersembunyi", is_hidden=True)
    upcoming = MeetingFactory(title="Rapat koordinasi bulan depan")
    MeetingFactory(title="Rapat yang sudah lewat", starts_at=timezone.now() - datetime.timedelta(days=3))
    elsewhere = MeetingFactory(title="Rapat BKM lain")
    elsewhere.invited_bkms.set([far_bkm])
    client.force_login(member)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="landing-forum"' in page
    assert page.index(new.title) < page.index(old.title)
    assert hidden.title not in page
    assert f'href="{reverse("forum:meeting", args=[upcoming.pk])}"' in page
    assert "Rapat yang sudah lewat" not in page and "Rapat BKM lain" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("n", [2, 12])
def test_member_landing_query_count_is_flat(client, member, general, django_assert_max_num_queries, n):
    ThreadFactory.create_batch(n, category=general)
    MeetingFactory.create_batch(n)
    client.force_login(member)
    client.get(reverse("home"))
    # Layout, the BKM panel, the forum's grants, latest topics and next meetings: 11 measured.
    with django_assert_max_num_queries(11):
        assert client.get(reverse("home")).status_code == 200
