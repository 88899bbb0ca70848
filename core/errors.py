"""Error pages in the portal's layout, in Indonesian, with the navigation.

Django's defaults are bare English pages ("403 Forbidden") with no way back.
These render `templates/<status>.html` (extending base.html) with the request,
so a signed-in user keeps the menu. The 500 page must not fail in turn: if
rendering with the request fails (e.g. the database is what broke), it is
rendered again without the request's context (no menu, still Indonesian).
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.template import loader

logger = logging.getLogger(__name__)


def _page(request: HttpRequest, template_name: str, status: int, **context: object) -> HttpResponse:
    try:
        body = loader.render_to_string(template_name, context, request=request)
    except Exception:
        if status != 500:
            raise
        logger.exception("Rendering the error page with the request failed; rendering it plainly")
        body = loader.render_to_string(template_name, context)
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, "400.html", 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, "403.html", 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, "404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return _page(request, "500.html", 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the form was sent from an expired or foreign page."""
    return _page(request, "403_csrf.html", 403)
