"""Database sessions that ignore malformed session cookies.

Django's database backend passes the cookie value straight to a query;
PostgreSQL refuses strings with NUL bytes, so a forged cookie gave a 500 on
every page. Keys Django issues are 32 lowercase letters and digits: anything
else is treated as no session at all.

`core.sessions_cached` is the same store with a cache in front (the setting
`SESSION_ENGINE` picks it when the cache is shared by every web process).
"""

from __future__ import annotations

import re

from django.contrib.sessions.backends.db import SessionStore as DBSessionStore

_VALID_KEY = re.compile(r"^[a-z0-9]{8,64}$")


class ValidKeyMixin:
    def _validate_session_key(self, key: str | None) -> bool:
        return bool(key) and _VALID_KEY.match(key or "") is not None


class SessionStore(ValidKeyMixin, DBSessionStore):
    pass
