from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.models import User
from forum.models import Category, FollowUpAction, Meeting, Notification, Post, Thread
from forum.permissions import filter_visible_posts

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_lively_forum_content():
    call_command("seed_demo", "--seed", "11", "--scale", "small", stdout=StringIO())
    for category in Category.objects.all():
        assert Thread.objects.filter(category=category).exists(), category
    assert Post.objects.count() > Thread.objects.count()  # replies exist
    assert Notification.objects.filter(kind="mention").exists()
    now = timezone.now()
    past = Meeting.objects.filter(starts_at__lt=now).exclude(minutes="").get()
    assert past.decisions.exists() and FollowUpAction.objects.filter(decision__meeting=past).exists()
    assert Meeting.objects.filter(starts_at__gt=now).exists()
    anggota = User.objects.get(username="anggota")
    assert filter_visible_posts(anggota, Post.objects.all()).exists()


def test_seed_demo_forum_is_deterministic():
    call_command("seed_demo", "--seed", "5", "--scale", "small", stdout=StringIO())
    first = list(Post.objects.order_by("id").values_list("body_source", flat=True))
    Thread.objects.all().delete()
    Meeting.objects.all().delete()
    import random

    from forum import demo

    demo.seed(rng=random.Random("5-forum.demo"), scale="small")
    assert list(Post.objects.order_by("id").values_list("body_source", flat=True)) == first


def test_seed_demo_notifications_respect_permissions():
    call_command("seed_demo", "--seed", "3", "--scale", "small", stdout=StringIO())
    for notification in Notification.objects.select_related("user", "post"):
        assert filter_visible_posts(notification.user, Post.objects.filter(pk=notification.post_id)).exists()
