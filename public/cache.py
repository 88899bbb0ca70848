"""Cache of the public pages: anonymous visitors only, keyed on a data generation.

A page is stored under (generation, language, path with query) for `settings.PUBLIC_CACHE_SECONDS`
(default 5 minutes; Redis when CACHE_URL is set, so every web worker shares it). Any save or delete of
a record the public pages show starts a new generation (`invalidate`, connected in `PublicConfig.ready`),
so an edit shows at once; the ledger's postings do not (a UPK band per month end changes only when a
month closes), the time limit covers them. Signed-in users are never served from or stored in the
cache: their pages carry their menu and are `private, no-store` (core.middleware.PrivateCacheMiddleware).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language

from core import versions

GENERATION_KEY = "public:generation"
# Browsers and shared caches may keep an anonymous public page this long (Vary: Cookie holds).
BROWSER_MAX_AGE = 60


def generation() -> int:
    return versions.generation(GENERATION_KEY)


def invalidate(**_kwargs: Any) -> None:
    """Start a new generation: every stored public page is stale from now on (signal receiver)."""
    versions.new_generation(GENERATION_KEY)


def _key(request: HttpRequest) -> str:
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    return f"public:page:{generation()}:{get_language()}:{path}"


def cached_public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve an anonymous GET from the cache, or render and store it (200 responses only)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = getattr(request, "user", None)
        if request.method not in ("GET", "HEAD") or (user is not None and user.is_authenticated):
            return view(request, *args, **kwargs)
        key = _key(request)
        stored = cache.get(key)
        if stored is not None:
            content, content_type = stored
            response = HttpResponse(content, content_type=content_type)
            response["X-Public-Cache"] = "hit"
        else:
            response = view(request, *args, **kwargs)
            if response.status_code != 200 or response.streaming or response.cookies:
                return response
            if hasattr(response, "render"):
                response.render()
            cache.set(key, (response.content, response["Content-Type"]), settings.PUBLIC_CACHE_SECONDS)
            response["X-Public-Cache"] = "miss"
        patch_cache_control(response, public=True, max_age=BROWSER_MAX_AGE)
        return response

    return wrapper
