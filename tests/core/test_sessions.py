"""Sessions are read through the shared Redis cache and written through to the database."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache, caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import sessions_cached
from pokja_portal.settings.base import session_engine


def test_session_engine_is_cached_only_with_a_shared_cache():
    assert session_engine({"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}) == (
        "core.sessions_cached"
    )
    # A cache per process would keep a logged-out session alive in the other workers.
    assert session_engine({"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}) == "core.sessions"
    assert settings.SESSION_ENGINE == "core.sessions_cached"  # the test settings' cache is Redis


def _session_queries(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "django_session" in q["sql"]]


@pytest.mark.django_db
def test_signed_in_request_reads_its_session_from_the_cache(client, staff_admin):
    client.force_login(staff_admin)
    client.get(reverse("password_change"))  # the first read may fill the cache
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("password_change"))
    assert response.status_code == 200 and response.context["user"] == staff_admin
    assert _session_queries(ctx) == []


@pytest.mark.django_db
def test_session_is_written_to_the_database_too(client, staff_admin):
    client.force_login(staff_admin)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).exists()
    cache.delete(sessions_cached.SessionStore.cache_key_prefix + key)  # a cache flushed or lost
    response = client.get(reverse("password_change"))
    assert response.status_code == 200 and response.context["user"] == staff_admin


@pytest.mark.django_db
def test_logout_ends_the_session_in_the_cache_and_the_database(client, staff_admin):
    client.force_login(staff_admin)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.get(reverse("password_change"))
    client.post(reverse("logout"))
    assert cache.get(sessions_cached.SessionStore.cache_key_prefix + key) is None
    assert not Session.objects.filter(session_key=key).exists()
    client.cookies[settings.SESSION_COOKIE_NAME] = key  # the old cookie replayed
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.django_db
def test_cached_session_store_ignores_malformed_keys(client):
    for key in ("abc\x00def12345", "ABC", "a" * 65, "../../etc"):
        assert sessions_cached.SessionStore(key).session_key is None
    client.cookies[settings.SESSION_COOKIE_NAME] = "abc\x00def12345"
    assert client.get(reverse("login")).status_code == 200


@pytest.mark.django_db
def test_cached_session_copy_lives_minutes_not_the_session_age(client, staff_admin):
    """A logout whose cache delete Redis refused leaves the copy alive at most CACHE_SECONDS."""
    client.force_login(staff_admin)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.get(reverse("password_change"))
    redis = cache._cache.get_client()  # type: ignore[attr-defined]
    ttl = redis.ttl(cache.make_key(sessions_cached.SessionStore.cache_key_prefix + key))
    assert 0 < ttl <= sessions_cached.CACHE_SECONDS < settings.SESSION_COOKIE_AGE


@pytest.mark.django_db
def test_logout_stands_when_redis_refuses_the_cache_delete(client, staff_admin, monkeypatch):
    client.force_login(staff_admin)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.get(reverse("password_change"))

    def refuse(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(type(caches["default"]), "delete", refuse)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
