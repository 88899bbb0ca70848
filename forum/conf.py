"""Forum settings with defaults; each may be overridden in Django settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Author edit window.
    "FORUM_EDIT_WINDOW_MINUTES": 30,
    # Flood control: at most N posts per author within the window (Misago #1823, Spirit @ratelimit).
    "FORUM_RATE_LIMIT_POSTS": 5,
    "FORUM_RATE_LIMIT_SECONDS": 60,
    # Double-post guard (Spirit ST_DOUBLE_POST_THRESHOLD_MINUTES).
    "FORUM_DUPLICATE_WINDOW_MINUTES": 10,
    "FORUM_ATTACHMENT_MAX_BYTES": 5 * 1024 * 1024,
    # Images larger than this (width × height) are refused from their header, before any pixel is
    # decoded: a small PNG can declare 10 000 × 10 000 pixels and cost ~700 MB to decode.
    "FORUM_ATTACHMENT_MAX_PIXELS": 24_000_000,
    "FORUM_ATTACHMENTS_PER_POST": 5,
    "FORUM_POSTS_PER_PAGE": 20,
    "FORUM_THREADS_PER_PAGE": 25,
    # Postgres text search configuration; `indonesian` ships with PostgreSQL (Snowball).
    "FORUM_SEARCH_CONFIG": "indonesian",
    # Newest matching posts that are ranked; older ones are reached by narrowing the query.
    "FORUM_SEARCH_CANDIDATES": 1000,
    # Capacity building: the library's upload limit, list page size, and the assessment score
    # (0–100) below which an aspect counts as weak and draws suggestions on the BKM page.
    "FORUM_LIBRARY_MAX_BYTES": 20 * 1024 * 1024,
    "FORUM_LIBRARY_PER_PAGE": 20,
    "FORUM_CAPACITY_WEAK_SCORE": 60,
}


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
