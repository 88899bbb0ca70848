"""The installable portal (issue 14): web app manifest, service worker and the
page shown offline.

The service worker is served from the site root (`/sw.js`) so its scope is the
whole portal, rendered from `templates/pwa/sw.js` because the static files it
keeps have fingerprinted names in production (`staticfiles_storage.url`). Its
cache name carries a hash of those URLs and of the worker itself: a deploy that
changes any of them installs a new worker, which drops the old caches.

What it keeps: the app shell (the static files below and the offline page) and
the offline collection page of each UPK the manager opened (`upk:collect_offline`,
whose data lives in IndexedDB, not in the cache). Every other page goes to the
network; offline, the offline page says plainly that the network is needed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from functools import lru_cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

THEME_COLOR = "#146c43"  # the navbar's green (Bootstrap success, one shade darker for contrast)
ICONS = [
    ("img/icons/pwa-192.png", 192, "any"),
    ("img/icons/pwa-512.png", 512, "any"),
    ("img/icons/pwa-maskable-512.png", 512, "maskable"),
]

# The app shell: every static file these templates name (`{% static '…' %}`) — the layout, the
# UPK pages' layout, the offline collection page and the offline page — and the icons. Read from
# the templates themselves, so a script added to or dropped from the layout is kept offline with
# no second list to update.
SHELL_TEMPLATES = ["base.html", "upk/_base.html", "upk/collect_offline.html", "pwa/offline.html"]
_STATIC_TAG = re.compile(r"""{%\s*static\s+['"]([^'"]+)['"]\s*%}""")


def shell_static() -> list[str]:
    paths: list[str] = []
    for name in SHELL_TEMPLATES:
        source = get_template(name).template.source  # type: ignore[attr-defined]
        paths.extend(_STATIC_TAG.findall(source))
    paths.extend(path for path, _size, _purpose in ICONS)
    return list(dict.fromkeys(paths))


# Pages kept offline, as a JavaScript regular expression on the path (the
# offline collection page; `upk/urls.py` names it `collect_offline`).
OFFLINE_PAGES = r"^/upk/\d+/penagihan/luring/$"


@lru_cache(maxsize=4)
def _shell(debug: bool) -> tuple[list[str], str]:
    paths = shell_static()
    urls = [staticfiles_storage.url(path) for path in paths]
    stamps = urls
    if debug:
        # Unfingerprinted names in development: the files' times stand in for the hashes, so an
        # edited script reaches the browser instead of the worker's cached copy.
        found = [finders.find(path) for path in paths]
        stamps = [*urls, *(str(os.stat(f).st_mtime_ns) for f in found if isinstance(f, str))]
    return urls, hashlib.sha256("\n".join(stamps).encode()).hexdigest()[:12]


def shell_urls() -> tuple[list[str], str]:
    """The static URLs to precache and a hash of them (recomputed on every request in DEBUG)."""
    if settings.DEBUG:
        _shell.cache_clear()
    return _shell(settings.DEBUG)


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    urls, urls_hash = shell_urls()
    offline_url = reverse("offline")
    context = {
        "precache": json.dumps([*urls, offline_url]),
        "offline_url": json.dumps(offline_url),
        "offline_pages": json.dumps(OFFLINE_PAGES),
        "static_prefix": json.dumps(settings.STATIC_URL),
    }
    text = str(render_to_string("pwa/sw.js", context))
    # The version covers the worker's own text too: a changed worker renames its caches.
    version = hashlib.sha256((text + urls_hash).encode()).hexdigest()[:12]
    body = text.replace('var VERSION = "pending";', f"var VERSION = {json.dumps(version)};", 1)
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    # Always revalidated: a new deploy reaches phones on their next visit.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    data = {
        "name": _("Portal POKJA-PKP Kota Palangka Raya"),
        "short_name": "POKJA-PKP",
        "description": _("BKM/LKM, pembukuan UPK dan forum POKJA-PKP Kota Palangka Raya"),
        "lang": request.LANGUAGE_CODE if hasattr(request, "LANGUAGE_CODE") else settings.LANGUAGE_CODE,
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "icons": [
            {"src": staticfiles_storage.url(path), "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}
            for path, size, purpose in ICONS
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline_page(request: HttpRequest) -> HttpResponse:
    """What the service worker shows for any page it does not keep, when the network is down.

    Cached once for every user of the phone: it names no one (no navigation, no user menu)."""
    response = render(request, "pwa/offline.html")
    response["Cache-Control"] = "no-cache"
    return response
