"""Settings for the POKJA-PKP portal, read from the environment.

Nothing set: SQLite file and in-process Celery tasks (the embedded default).
DATABASE_URL and CELERY_BROKER_URL set: PostgreSQL and a Celery worker on Redis.
See .env.example for every variable.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

from pokja_portal.celery_queues import task_routes

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me-in-production")
# Off unless set: a deployment that forgets the variable must not show tracebacks (`make run` sets it).
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "simple_history",
    "axes",
    "django_celery_beat",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_filters",
    "core",
    "bkm",
    "upk",
    "forum",
    "reports",
    "public",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed (static files come pre-compressed from WhiteNoise, above, which answers them
    # before this runs). Django's GZipMiddleware pads each response with random bytes against BREACH;
    # CSRF tokens are masked per response as well. Nothing below rewrites the body.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.UserLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.PrivateCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the user and messages exist, so the 400 page renders like every other page.
    "core.middleware.RejectNulMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "core.outbox.OutboxSweepMiddleware",
    # Axes must be last: it turns lockouts into responses.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pokja_portal.urls"
WSGI_APPLICATION = "pokja_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if IS_POSTGRES:
    # Server-side prepared statements for the cursors that ask for them (the
    # ledger's posting statements, `upk.ledger.writes.hot_cursor`; Django's own
    # cursors bind on the client and never prepare): a statement is prepared
    # the second time it runs on a connection. Behind a transaction-mode
    # pooler (PgBouncer < 1.21) set DATABASE_PREPARE_THRESHOLD to "" to disable.
    _threshold = env("DATABASE_PREPARE_THRESHOLD", default="2")
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = int(_threshold) if _threshold else None
    # No JIT compilation, on every connection: the portal's statements are short, and where the
    # planner's estimate crossed jit_above_cost (the ledger aggregate at 200k loans, the stuck-proposal
    # history look-ups) compiling took 70 ms to 4 s and saved nothing (EXPLAIN ANALYZE,
    # docs/performance.md). One setting here instead of a SET LOCAL (and its round trips) per query.
    DATABASES["default"]["OPTIONS"]["options"] = "-c jit=off"
    # Keep connections between requests (and so their prepared statements);
    # a connection found broken is replaced before use.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Optional read replica (streaming replication of the primary): reports, the dashboard and the API read
# from it (core/db_router.py); writes and every other read stay on the primary.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **env.db("DATABASE_REPLICA_URL"),
        "ATOMIC_REQUESTS": False,
        "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {})),
        "CONN_MAX_AGE": DATABASES["default"].get("CONN_MAX_AGE", 0),
        "CONN_HEALTH_CHECKS": DATABASES["default"].get("CONN_HEALTH_CHECKS", False),
    }
DATABASE_REPLICA_READS = "replica" in DATABASES
DATABASE_ROUTERS = ["core.db_router.ReplicaRouter"]

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Brute-force lockout: 5 failures per username+IP lock for an hour.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Indonesian unless the user picks English in the user menu (core.middleware:
# the browser's Accept-Language is not followed); the choice is kept a year.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["pokja_portal.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files are private: they are never served from a public URL, only
# through views that check permissions first (see bkm.views document download).
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    # Temp name, fsync, link, remove on every failure path (core/storage.py).
    "default": {"BACKEND": "core.storage.SafeFileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="core.static.FingerprintedStaticStorage",
        )
    },
}
WHITENOISE_MAX_AGE = 60 * 60 * 24 * 30
# Files served at the site root (favicon.ico for browsers that ask without reading <link rel=icon>).
WHITENOISE_ROOT = BASE_DIR / "webroot"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="POKJA-PKP Palangka Raya <noreply@palangkaraya.go.id>")
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Celery: no broker set means tasks run eagerly in the calling process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = CELERY_BROKER_URL or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="pokja")
# A broker that is down must refuse quickly: the outbox (core/outbox.py) keeps the task and tries later.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
# Reports, imports and mail each on a queue of their own (pokja_portal/celery_queues.py).
CELERY_TASK_ROUTES = task_routes(CELERY_TASK_DEFAULT_QUEUE)

# Content Security Policy: no inline scripts anywhere, no third-party hosts.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'self'"],
        "form-action": ["'self'"],
    }
}

# The public map (issue 15): Leaflet is vendored; a base-map tile source is optional (none by
# default: the polygons read alone). Setting MAP_TILE_URL, e.g.
# "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", also allows that host in the CSP's img-src.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="")
MAP_TILE_ATTRIBUTION = env.str("MAP_TILE_ATTRIBUTION", default="")
if MAP_TILE_URL:
    from pokja_portal.csp import tile_source

    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(tile_source(MAP_TILE_URL))
# Kota Palangka Raya's bounding box (lon_min, lat_min, lon_max, lat_max): uploaded geometry must lie inside.
MAP_BOUNDS = (113.5, -2.5, 114.2, -1.6)
GEOJSON_MAX_BYTES = env.int("GEOJSON_MAX_BYTES", default=2 * 1024 * 1024)
GEOJSON_MAX_VERTICES = env.int("GEOJSON_MAX_VERTICES", default=20_000)

# Cache of the public pages (public/cache.py; anonymous visitors only). CACHE_URL, e.g.
# redis://127.0.0.1:6379/2, in production so every web worker shares it; in-process memory otherwise.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://pokja")}
PUBLIC_CACHE_SECONDS = env.int("PUBLIC_CACHE_SECONDS", default=300)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "POKJA-PKP Kota Palangka Raya — Open Data API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Registry warnings (configurable): board size range and term warning window.
BKM_BOARD_SIZE_MIN = env.int("BKM_BOARD_SIZE_MIN", default=9)
BKM_BOARD_SIZE_MAX = env.int("BKM_BOARD_SIZE_MAX", default=13)
BKM_TERM_WARNING_DAYS = env.int("BKM_TERM_WARNING_DAYS", default=90)
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)


# Sessions in the database, read through the cache when every web process shares it (Redis:
# CACHE_URL in production): one Redis read per signed-in request instead of a query. A cache per
# process (the default locmem) would keep a logged-out session alive in the other workers.
def session_engine(caches: dict) -> str:
    return "core.sessions_cached" if caches["default"]["BACKEND"].endswith(".RedisCache") else "core.sessions"


SESSION_ENGINE = session_engine(CACHES)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"
X_FRAME_OPTIONS = "SAMEORIGIN"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    LANGUAGE_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
