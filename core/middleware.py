"""Middleware for every view: request/response guards (issue 13) and the interface language (issue 10)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers


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


def chosen_language(request: HttpRequest) -> str:
    """The language the user picked, or the portal's own."""
    choice = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return choice if choice in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class UserLanguageMiddleware:
    """Interface language: Indonesian unless the user picked English.

    Django's LocaleMiddleware follows the browser's Accept-Language, so a browser
    set to English showed the whole portal in English. Here the language comes
    only from the user's own choice — the language cookie that the user menu's
    "English" / "Bahasa Indonesia" button sets through Django's `set_language`
    view — and is `settings.LANGUAGE_CODE` ("id") otherwise.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = chosen_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
