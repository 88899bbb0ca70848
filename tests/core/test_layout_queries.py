"""What every signed-in HTML page pays for its layout (base.html), in SQL queries, per role.

The password change page is the layout with one small form and no query of its own, so its count is
the layout's: the user (the session comes from the Redis cache), the forum navigation's grants and
moderated categories (one query, `forum.permissions`) and unread notifications. A query added to base.html, a context processor, a
middleware or a navigation partial is paid on every page: it has to show up here.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import UserFactory

LAYOUT_QUERIES = 3


def _queries(client, user) -> list[str]:
    client.force_login(user)
    client.get(reverse("password_change"))  # the session reaches the cache
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("password_change"))
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["staff_admin", "upk_manager", "member"])
def test_layout_queries_per_role(client, role, request):
    user = request.getfixturevalue(role)
    queries = _queries(client, user)
    assert len(queries) == LAYOUT_QUERIES, "\n".join(queries)
    assert not [q for q in queries if "django_session" in q]


@pytest.mark.django_db
def test_layout_queries_do_not_grow_with_notifications_or_moderated_categories(client, member):
    from forum.models import Category, Notification, NotificationKind
    from tests.forum.factories import PostFactory, ThreadFactory

    general = Category.objects.get(slug="kelembagaan-bkm")
    before = len(_queries(client, member))
    thread = ThreadFactory(category=general)
    actor = UserFactory()
    for _ in range(3):
        post = PostFactory(thread=thread, author=actor)
        Notification.objects.create(user=member, kind=NotificationKind.REPLY, post=post, actor=actor)
    general.moderators.add(member)
    assert len(_queries(client, member)) == before


def test_templates_are_compiled_once_per_process():
    """Django's cached loader (its default when TEMPLATES sets no loaders): a page does not re-read and
    re-parse base.html and its partials on every request. Setting `loaders` without it would."""
    from django.template import engines

    loaders = engines["django"].engine.template_loaders  # type: ignore[attr-defined]
    assert [type(loader).__module__ for loader in loaders] == ["django.template.loaders.cached"]
