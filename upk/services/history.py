"""Saving a KSM, member, product, account or settings row with its history
(django-simple-history) author and reason."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.models import User


def save_with_history(obj: Any, actor: User, reason: str = "", update_fields: list[str] | None = None) -> None:
    """Save a KSM, member, product, account or settings row so its history
    (django-simple-history) records who changed it and why, also outside a
    request (import, tasks)."""
    obj._history_user = actor
    obj._change_reason = reason[:100]
    obj.save(update_fields=update_fields)
