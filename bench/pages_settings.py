"""Settings of the page bench's server: the portal's own, plus the floor view's URL.

The cache is Redis, as in a deployment (docker-compose.yml's CACHE_URL), so sessions are read
through it (`core.sessions_cached`) and the public pages' cache is shared by the workers. Redis
database 10 of the development server unless POKJA_BENCH_CACHE_URL says otherwise; keys carry a
prefix of their own.
"""

import os

from pokja_portal.settings.base import *  # noqa: F403
from pokja_portal.settings.base import session_engine

ROOT_URLCONF = "bench.pages_urls"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("POKJA_BENCH_CACHE_URL", "redis://127.0.0.1:6379/10"),
        "KEY_PREFIX": "pokja-bench-pages",
    }
}
SESSION_ENGINE = session_engine(CACHES)
