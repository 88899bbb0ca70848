"""The map on the staff dashboard: the same public map data, drawn by the same script."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse


def map_panel(user: Any) -> dict[str, Any]:
    """No query: the map's data come from the public map endpoint (cached)."""
    return {
        "map": {
            "src": reverse("public:map_data"),
            "tiles": settings.MAP_TILE_URL,
            "attribution": settings.MAP_TILE_ATTRIBUTION,
            "bkm_url": reverse("bkm:detail", args=[0]),
        }
    }
