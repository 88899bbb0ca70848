"""Request/response guards that hold for every view (issue 13)."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class RejectNulMiddleware:
    """A NUL byte in the path or a query parameter is a 400 before any view or database sees it.

    PostgreSQL refuses NUL in text, so such a parameter could only ever end as a 500. Forms already
    refuse NUL in POSTed fields (Django's ProhibitNullCharactersValidator on every CharField).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()
        ):
            raise BadRequest("NUL in the request")
        return self.get_response(request)


class PrivateCacheMiddleware:
    """`Cache-Control: private, no-store` on every page of a signed-in user and on every download.

    Shared caches and the browser's back/forward history must not keep ledger or registry pages
    after logout; a response that sets its own Cache-Control keeps it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        signed_in = bool(user is not None and user.is_authenticated)
        if signed_in or "attachment" in response.get("Content-Disposition", ""):
            patch_cache_control(response, private=True, no_store=True)
        return response
