"""One permission filter, every surface: a BKM member of another kecamatan
(`far_member`) may see that the kecamatan category exists but must find
nothing of its content anywhere."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from forum import permissions as perms
from forum import services
from forum.models import Category, Notification, Post, Thread
from forum.search import search_posts
from forum.selectors import digest_posts, notifications_for, threads_linked_to
from tests.forum.factories import PostFactory, ThreadFactory

pytestmark = pytest.mark.django_db

SECRET = "Rahasia kecamatan: kami sedang meminjam dana talangan"


@pytest.fixture
def private_thread(member, bkm, home_kecamatan_category):
    return services.thread_create(
        user=member, category=home_kecamatan_category, title="Urusan internal kecamatan", source=SECRET, bkm=bkm
    )


def test_category_grants_scope_kecamatan_category_to_own_members(member, far_member, home_kecamatan_category):
    assert perms.has_category_perm(member, home_kecamatan_category.id, "read")
    assert perms.has_category_perm(far_member, home_kecamatan_category.id, "see")
    assert not perms.has_category_perm(far_member, home_kecamatan_category.id, "read")
    assert not perms.has_category_perm(far_member, home_kecamatan_category.id, "start")


def test_category_grants_nothing_for_anonymous_or_inactive(member, general):
    from django.contrib.auth.models import AnonymousUser

    assert perms.category_grants(AnonymousUser()) == {}
    member.is_active = False
    perms.clear_cache(member)
    assert perms.category_grants(member) == {}


def test_staff_viewer_reads_but_cannot_post(staff_viewer, general):
    assert perms.has_category_perm(staff_viewer, general.id, "read")
    assert not perms.has_category_perm(staff_viewer, general.id, "reply")


def test_category_page_forbidden_without_read(client, far_member, home_kecamatan_category, private_thread):
    client.force_login(far_member)
    assert client.get(reverse("forum:category", args=[home_kecamatan_category.slug])).status_code == 403
    assert client.get(reverse("forum:thread", args=[private_thread.pk])).status_code == 404
    post = private_thread.posts.get()
    assert client.get(reverse("forum:post_redirect", args=[post.pk])).status_code == 404
    assert client.get(reverse("forum:post_history", args=[post.pk])).status_code == 404
    assert client.get(reverse("forum:post_report", args=[post.pk])).status_code == 404
    response = client.post(reverse("forum:thread_reply", args=[private_thread.pk]), {"body": "masuk?"})
    assert response.status_code == 404
    assert private_thread.posts.count() == 1


def test_index_shows_category_name_but_no_content(client, far_member, home_kecamatan_category, private_thread):
    client.force_login(far_member)
    html = client.get(reverse("forum:index")).content.decode()
    assert home_kecamatan_category.name in html
    assert private_thread.title not in html


def test_anonymous_is_sent_to_login(client, private_thread):
    response = client.get(reverse("forum:thread", args=[private_thread.pk]))
    assert response.status_code == 302 and "/akun/masuk/" in response["Location"]


def test_search_finds_nothing_without_read(far_member, member, private_thread):
    assert [h.post.thread_id for h in search_posts(user=member, query="pinjaman")] == [private_thread.pk]
    assert search_posts(user=far_member, query="pinjaman") == []
    assert search_posts(user=far_member, query="rahasia kecamatan") == []


def test_search_page_finds_nothing_without_read(client, far_member, private_thread):
    client.force_login(far_member)
    html = client.get(reverse("forum:search"), {"q": "meminjam"}).content.decode()
    assert private_thread.title not in html and "Rahasia" not in html


def test_notifications_list_drops_posts_the_user_cannot_read(member, far_member, private_thread):
    post = private_thread.posts.get()
    # A notification created while access existed (e.g. before a move) must not leak afterwards.
    Notification.objects.create(user=far_member, kind="reply", post=post, actor=member)
    assert list(notifications_for(user=far_member)) == []


def test_notifications_page_and_nav_count_hide_unreadable(client, member, far_member, private_thread):
    post = private_thread.posts.get()
    Notification.objects.create(user=far_member, kind="mention", post=post, actor=member)
    client.force_login(far_member)
    html = client.get(reverse("forum:notifications")).content.decode()
    assert private_thread.title not in html
    assert 'data-testid="forum-unread-count"' not in html


def test_digest_excludes_unreadable_and_hidden(member, far_member, private_thread, staff_admin, general):
    since = timezone.now() - timedelta(days=1)
    visible = PostFactory(thread=ThreadFactory(category=general), body_source="Terbuka untuk semua")
    hidden = PostFactory(thread=ThreadFactory(category=general), body_source="Disembunyikan", is_hidden=True)
    far_ids = set(digest_posts(user=far_member, since=since).values_list("id", flat=True))
    assert visible.pk in far_ids
    assert hidden.pk not in far_ids
    assert private_thread.posts.get().pk not in far_ids
    assert private_thread.posts.get().pk in set(digest_posts(user=member, since=since).values_list("id", flat=True))


def test_threads_linked_to_bkm_filtered(member, far_member, bkm, private_thread, general):
    open_thread = ThreadFactory(category=general, bkm=bkm)
    assert set(threads_linked_to(user=member, bkm=bkm)) == {open_thread, private_thread}
    assert list(threads_linked_to(user=far_member, bkm=bkm)) == [open_thread]
    assert list(threads_linked_to(user=far_member)) == []


def test_linked_threads_partial_renders_filtered(rf, far_member, bkm, private_thread, general):
    from django.template import Context, Template

    open_thread = ThreadFactory(category=general, bkm=bkm, title="Diskusi terbuka BKM")
    html = Template("{% load forum_tags %}{% forum_linked_threads bkm=bkm %}").render(
        Context({"user": far_member, "bkm": bkm})
    )
    assert open_thread.title in html and private_thread.title not in html


def test_export_refused_for_members_and_filtered_for_staff(client, member, staff_admin, private_thread, general):
    client.force_login(member)
    assert client.get(reverse("forum:thread_export", args=[private_thread.pk])).status_code == 403
    assert client.get(reverse("forum:category_export", args=[general.slug])).status_code == 403
    hidden = PostFactory(thread=ThreadFactory(category=general), body_source="tersembunyi", is_hidden=True)
    client.force_login(staff_admin)
    response = client.get(reverse("forum:category_export", args=[general.slug]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    # Staff admins moderate everything, so hidden posts are in their export and marked.
    assert "tersembunyi" in response.content.decode()
    assert hidden.pk


def test_hidden_thread_invisible_to_members_visible_to_moderator(member, staff_admin, general):
    thread = ThreadFactory(category=general, is_hidden=True)
    PostFactory(thread=thread)
    assert not perms.filter_visible_threads(member, Thread.objects.filter(pk=thread.pk)).exists()
    assert not perms.filter_visible_posts(member, Post.objects.filter(thread=thread)).exists()
    assert perms.filter_visible_threads(staff_admin, Thread.objects.filter(pk=thread.pk)).exists()


def test_category_moderator_without_read_grant_sees_nothing(far_member, home_kecamatan_category, private_thread):
    # Being named moderator does not bypass the read grant (no hidden second rule).
    home_kecamatan_category.moderators.add(far_member)
    perms.clear_cache(far_member)
    assert not perms.filter_visible_posts(far_member, Post.objects.all()).exists()


def test_mention_search_returns_only_for_forum_users(client, member, member_b):
    client.force_login(member)
    html = client.get(reverse("forum:mention_search"), {"body": "Halo @anggotab"}).content.decode()
    assert 'data-username="anggotab"' in html
    member_b.is_active = False
    member_b.save()
    html = client.get(reverse("forum:mention_search"), {"body": "Halo @anggotab"}).content.decode()
    assert "anggotab" not in html


def test_every_seeded_category_has_grants():
    for category in Category.objects.all():
        assert category.grants.filter(permission="read").exists(), category
