"""Role checks shared by every app.

Apps build their own `check_*` / `filter_*` on these; none of them reads
`user.role` directly.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied


def is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_portal_staff)


def is_staff_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_staff_admin)


def check_staff(user: Any) -> None:
    if not is_staff(user):
        raise PermissionDenied


def check_staff_admin(user: Any) -> None:
    if not is_staff_admin(user):
        raise PermissionDenied
