"""The public face: no login, server-rendered, cached for anonymous visitors (`public.cache`).

Thin: reads through `public.selectors`, which fetch only the fields `public.fields` lists.
"""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from bkm.models import BKM, SLUM_ASPECTS, DocumentVersion
from core.storage import open_stored

from . import selectors
from .cache import cached_public_page


def _map_context(**focus: int) -> dict[str, object]:
    return {
        "map": {
            "src": reverse("public:map_data"),
            "tiles": settings.MAP_TILE_URL,
            "attribution": settings.MAP_TILE_ATTRIBUTION,
            "bkm_url": reverse("public:bkm", args=[0]),
            **focus,
        }
    }


@cached_public_page
def overview(request: HttpRequest) -> HttpResponse:
    """The city overview; also `/` for visitors who are not signed in (`core.landing`)."""
    return render(request, "public/overview.html", {"o": selectors.city_overview(), **_map_context()})


@cached_public_page
def bkm_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        data = selectors.bkm_public(pk=pk)
    except BKM.DoesNotExist:
        raise Http404 from None
    context = {
        "p": data,
        "slum_aspects": [str(label) for _field, label in SLUM_ASPECTS],
        **_map_context(kelurahan=data.bkm["kelurahan_id"]),
    }
    return render(request, "public/bkm.html", context)


@cached_public_page
def upk_bands(request: HttpRequest) -> HttpResponse:
    return render(request, "public/upk.html", {"table": selectors.upk_bands()})


@cached_public_page
def map_data(request: HttpRequest) -> HttpResponse:
    return JsonResponse(selectors.map_data())


def document_download(request: HttpRequest, pk: int) -> FileResponse:
    """The latest version of a document staff published; 404 for any other."""
    try:
        version = selectors.published_document_version(document_id=pk)
    except DocumentVersion.DoesNotExist:
        raise Http404 from None
    handle = open_stored(version.file.name, what=f"document version {version.pk}")
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"dokumen-{pk}-v{version.version}.{version.extension}",
        content_type=version.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
