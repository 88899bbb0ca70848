"""Sessions read from the shared cache (Redis), written through to the database.

Every signed-in request reads its session; from Redis that is one key read instead of a query on
`django_session`. Writes (login, logout, a language or message change) go to the database and the
cache, and logout deletes both, so the database stays the record (a cache flushed or lost only costs
each session one database read). Safe only with a cache every web process shares: with a cache per
process, a logout in one worker would leave the session alive in another's cache —
`pokja_portal.settings` picks this store only for the Redis cache backend.

A cached copy lives at most CACHE_SECONDS, not the session's two weeks: if Redis refuses the delete
of a logout (it is down, or the network drops the command), the database row is gone but the copy
would still open the session; the short life bounds that to minutes (and the logout itself stands:
the failed cache delete is logged, not raised). An active user's session is read from the database
again once per CACHE_SECONDS.

Malformed cookies are refused as in `core.sessions` (before they reach the cache or a query).
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBSessionStore

from core.sessions import ValidKeyMixin

CACHE_SECONDS = 300

logger = logging.getLogger(__name__)


class _ShortLivedCache:
    """The cache with every timeout capped at CACHE_SECONDS (cached_db sets the session's own age)."""

    def __init__(self, cache: Any) -> None:
        self._cache = cache

    def set(self, key: str, value: Any, timeout: int | None = None) -> None:
        self._cache.set(key, value, CACHE_SECONDS if timeout is None else min(timeout, CACHE_SECONDS))

    def delete(self, key: str) -> None:
        # The database row is already deleted (the record): the logout stands, and the copy expires soon.
        try:
            self._cache.delete(key)
        except Exception:
            logger.exception("Session %s… not deleted from the cache; it expires within %d s", key[-6:], CACHE_SECONDS)

    def __contains__(self, key: str) -> bool:
        return key in self._cache

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cache, name)


class SessionStore(ValidKeyMixin, CachedDBSessionStore):
    _cache: Any

    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._cache = _ShortLivedCache(self._cache)
