"""The portal's URLs plus the page bench's floor: a minimal Django view that reads one row.

Served only by the page bench's gunicorn (settings `bench.pages_settings`), never by the portal.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path

from core.models import User


def floor(request: HttpRequest) -> HttpResponse:
    pk = User.objects.order_by("pk").values_list("pk", flat=True).first()
    return HttpResponse(f"{pk}", content_type="text/plain")


def layout(request: HttpRequest) -> HttpResponse:
    """The floor's row inside the portal's page layout (base.html: navigation, messages, footer).

    Not the floor the ratios are taken to: it shows what every HTML page pays for its layout, the
    difference between a page and this being the page's own work.
    """
    pk = User.objects.order_by("pk").values_list("pk", flat=True).first()
    return render(request, "bench_layout.html", {"pk": pk})


urlpatterns = [
    path("__floor__/", floor),
    path("__layout__/", layout),
    path("", include("pokja_portal.urls")),
]
