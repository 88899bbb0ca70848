"""Test settings: always PostgreSQL and Redis, never the embedded defaults.

POKJA_TEST_DB and POKJA_TEST_REDIS_DB let parallel checkouts share one server.
"""

import os

os.environ.setdefault(
    "DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/" + os.environ.get("POKJA_TEST_DB", "pokja"),
)
os.environ.setdefault(
    "CELERY_BROKER_URL",
    "redis://127.0.0.1:6379/" + os.environ.get("POKJA_TEST_REDIS_DB", "1"),
)
os.environ.setdefault("STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage")
os.environ.setdefault("AXES_FAILURE_LIMIT", "5")

from pokja_portal.celery_queues import task_routes  # noqa: E402

from .base import *  # noqa: E402,F401,F403
from .base import BASE_DIR, CELERY_BROKER_URL, session_engine  # noqa: E402

# Queues of our own (the default one and one per kind of work) so a worker
# started by one checkout's tests does not steal tasks queued by another's.
CELERY_TASK_DEFAULT_QUEUE = "pokja-test-" + os.environ.get("POKJA_TEST_DB", "pokja")
CELERY_TASK_ROUTES = task_routes(CELERY_TASK_DEFAULT_QUEUE)
CELERY_TASK_ALWAYS_EAGER = False
assert CELERY_BROKER_URL.startswith("redis://")
# A second alias on the same test database for the read-replica router's tests (tests/test_db_router.py);
# off unless a test turns DATABASE_REPLICA_READS on.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
DATABASE_REPLICA_READS = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / "var" / "test-media" / os.environ.get("POKJA_TEST_DB", "pokja")
DEBUG = False
# The public pages' cache on the test Redis, under a prefix of this checkout. Tests never flush it
# (that Redis database is also the Celery broker): tests/conftest.py starts a new public-cache
# generation before each test instead (public.cache.invalidate).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CELERY_BROKER_URL,
        "KEY_PREFIX": "pokja-test-" + os.environ.get("POKJA_TEST_DB", "pokja"),
    }
}
SESSION_ENGINE = session_engine(CACHES)  # sessions through that Redis cache, as in production
