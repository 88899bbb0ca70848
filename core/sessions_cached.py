"""Sessions read from the shared cache (Redis), written through to the database.

Every signed-in request reads its session; from Redis that is one key read instead of a query on
`django_session`. Writes (login, logout, a language or message change) go to the database and the
cache, and logout deletes both, so the database stays the record (a cache flushed or lost only costs
each session one database read). Safe only with a cache every web process shares: with a cache per
process, a logout in one worker would leave the session alive in another's cache —
`pokja_portal.settings` picks this store only for the Redis cache backend.

Malformed cookies are refused as in `core.sessions` (before they reach the cache or a query).
"""

from __future__ import annotations

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBSessionStore

from core.sessions import ValidKeyMixin


class SessionStore(ValidKeyMixin, CachedDBSessionStore):
    pass
