"""Factories for forum models. Posts built here bypass the services (no rate
limit), but render and index exactly as the services do."""

from __future__ import annotations

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from forum.markup import content_hash, render_markdown
from forum.models import Category, Meeting, Post, Thread
from forum.search import post_update_search_vector
from tests.factories import UserFactory


class ThreadFactory(DjangoModelFactory):
    class Meta:
        model = Thread

    category = factory.LazyFunction(lambda: Category.objects.get(slug="kelembagaan-bkm"))
    title = factory.Sequence(lambda n: f"Topik uji {n}")
    author = factory.SubFactory(UserFactory, role="staff_admin")
    last_post_at = factory.LazyFunction(timezone.now)


class PostFactory(DjangoModelFactory):
    class Meta:
        model = Post

    thread = factory.SubFactory(ThreadFactory)
    author = factory.LazyAttribute(lambda p: p.thread.author)
    body_source = factory.Sequence(lambda n: f"Isi tulisan uji nomor {n}")
    body_html = factory.LazyAttribute(lambda p: render_markdown(p.body_source))
    content_hash = factory.LazyAttribute(lambda p: content_hash(p.body_source))

    @factory.post_generation
    def index(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            post_update_search_vector(post_id=obj.pk, title=obj.thread.title)
            # factory_boy saves again after post-generation; reload so that save keeps the vector.
            obj.refresh_from_db(fields=["search_vector"])


class MeetingFactory(DjangoModelFactory):
    class Meta:
        model = Meeting

    title = factory.Sequence(lambda n: f"Pertemuan uji {n}")
    agenda = "1. Laporan\n2. Lain-lain"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=7))
    place = "Aula Bappedalitbang"
    created_by = factory.SubFactory(UserFactory, role="staff_admin")
