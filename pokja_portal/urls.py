from django.contrib import admin
from django.urls import include, path

from core import pwa
from core import views as core_views
from core.health import healthz

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    # The installable portal (core/pwa.py): the worker must sit at the root to cover every page.
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("luring/", pwa.offline_page, name="offline"),
    path("akun/", include("core.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("bkm/", include("bkm.urls")),
    path("upk/", include("upk.urls")),
    path("forum/", include("forum.urls")),
    path("laporan/", include("reports.urls")),
    path("api/", include("reports.api_urls")),
    path("publik/", include("public.urls")),
    path("admin/", admin.site.urls),
]

# Error pages in the portal's layout (core/errors.py).
handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
