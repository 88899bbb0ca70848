"""The portal's URLs plus the page bench's floor: a minimal Django view that reads one row.

Served only by the page bench's gunicorn (settings `bench.pages_settings`), never by the portal.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from core.models import User


def floor(request: HttpRequest) -> HttpResponse:
    pk = User.objects.order_by("pk").values_list("pk", flat=True).first()
    return HttpResponse(f"{pk}", content_type="text/plain")


urlpatterns = [
    path("__floor__/", floor),
    path("", include("pokja_portal.urls")),
]
