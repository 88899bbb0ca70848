"""Database sessions that ignore malformed session cookies.

Django's database backend passes the cookie value straight to a query;
PostgreSQL refuses strings with NUL bytes, so a forged cookie gave a 500 on
every page. Keys Django issues are 32 lowercase letters and digits: anything
else is treated as no session at all.
"""

from __future__ import annotations

import re

from django.contrib.sessions.backends.db import SessionStore as DBSessionStore

_VALID_KEY = re.compile(r"^[a-z0-9]{8,64}$")


class SessionStore(DBSessionStore):
    def _validate_session_key(self, key: str | None) -> bool:
        return bool(key) and _VALID_KEY.match(key or "") is not None
