"""A user's forum grants are kept in the cache (forum.permissions._access, core.versions): every
change to what they are computed from shows at once, whatever wrote it."""

from __future__ import annotations

import pytest

from bkm.models import Kelurahan
from forum import permissions as perms
from forum.models import CategoryPermission

pytestmark = pytest.mark.django_db


def test_access_follows_a_revoked_grant_at_once(member, general):
    assert perms.has_category_perm(member, general.id, "read")  # now kept in the cache
    CategoryPermission.objects.filter(category=general, role=member.role).delete()
    perms.clear_cache(member)  # the next request's user object
    assert not perms.has_category_perm(member, general.id, "read")


def test_access_follows_a_member_moved_to_another_kecamatan(member, home_kecamatan_category):
    assert perms.has_category_perm(member, home_kecamatan_category.id, "read")
    other = (
        Kelurahan.objects.exclude(kecamatan=member.bkm.kelurahan.kecamatan)
        .filter(bkms__isnull=True)
        .order_by("id")
        .first()
    )
    member.bkm.kelurahan = other
    member.bkm.save()
    perms.clear_cache(member)
    assert not perms.has_category_perm(member, home_kecamatan_category.id, "read")


def test_access_follows_the_users_own_unsaved_role(member, general):
    assert not perms.is_any_moderator(member)
    member.role = "staff_admin"
    perms.clear_cache(member)
    assert perms.is_any_moderator(member)


def test_access_is_read_from_the_cache_while_nothing_changed(member, django_assert_num_queries):
    perms.category_grants(member)
    perms.clear_cache(member)
    with django_assert_num_queries(1):  # the version; not the grants
        assert perms.category_grants(member)


def test_unread_count_follows_a_new_notification_and_a_hidden_post(member, general):
    from forum.models import Notification, NotificationKind
    from forum.selectors import unread_notification_count
    from tests.factories import UserFactory
    from tests.forum.factories import PostFactory, ThreadFactory

    assert unread_notification_count(user=member) == 0  # now kept
    actor = UserFactory()
    post = PostFactory(thread=ThreadFactory(category=general), author=actor)
    Notification.objects.create(user=member, kind=NotificationKind.REPLY, post=post, actor=actor)
    assert unread_notification_count(user=member) == 1
    type(post).objects.filter(pk=post.pk).update(is_hidden=True)  # a moderator hides it
    assert unread_notification_count(user=member) == 0


def test_unread_count_is_read_from_the_cache_while_nothing_changed(member, django_assert_num_queries):
    from forum.selectors import unread_notification_count

    unread_notification_count(user=member)
    perms.clear_cache(member)
    with django_assert_num_queries(1):  # both versions in one token; no count
        unread_notification_count(user=member)


def test_a_new_bkm_keeps_every_users_kept_access(member, django_assert_num_queries):
    from tests.factories import BKMFactory

    perms.category_grants(member)
    BKMFactory()  # a registry import adds BKMs all day; nobody's grants change
    perms.clear_cache(member)
    with django_assert_num_queries(1):  # the version; not the grants
        perms.category_grants(member)
