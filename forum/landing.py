"""The forum's landing panel: latest topics and next meetings (see `core.landing`)."""

from __future__ import annotations

from typing import Any

from . import permissions, selectors


def forum_panel(user: Any) -> dict[str, Any] | None:
    """For every forum reader (three queries); None for users without forum access."""
    if not permissions.categories_with(user, permissions.P.SEE):
        return None
    return {
        "threads": selectors.latest_threads(user=user, limit=5),
        "meetings": selectors.next_meetings(user=user, limit=3),
    }
