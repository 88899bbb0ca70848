from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from core.permissions import is_staff


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Flags the base template reads to adapt the navigation to the role."""
    user = request.user
    if not user.is_authenticated:
        return {}
    return {
        "nav_is_staff": is_staff(user),
        "nav_is_upk_manager": user.is_upk_manager,  # type: ignore[union-attr]
        "nav_is_bkm_member": user.is_bkm_member,  # type: ignore[union-attr]
    }
