from __future__ import annotations

from typing import Any

from django import template

from forum import library_selectors, selectors
from forum import permissions as perms

register = template.Library()


@register.simple_tag(takes_context=True)
def forum_nav(context: Any) -> dict[str, Any]:
    """Whether the forum shows in the navigation, and the unread notification count (one query)."""
    user = context.get("user")
    if user is None or not user.is_authenticated or not perms.categories_with(user, perms.P.SEE):
        return {"visible": False}
    return {
        "visible": True,
        "unread": selectors.unread_notification_count(user=user),
        "is_moderator": perms.is_any_moderator(user),
    }


@register.inclusion_tag("forum/_linked_threads.html", takes_context=True)
def forum_linked_threads(context: Any, bkm: Any = None, proposal: Any = None) -> dict[str, Any]:
    """`{% load forum_tags %}{% forum_linked_threads bkm=bkm %}` on the registry pages."""
    user = context.get("user")
    threads = selectors.threads_linked_to(user=user, bkm=bkm, proposal=proposal) if user else []
    return {"threads": threads, "bkm": bkm, "proposal": proposal}


@register.simple_tag(takes_context=True)
def capacity_nav(context: Any) -> bool:
    """Whether the library and trainings show in the navigation (role only: no query)."""
    user = context.get("user")
    return user is not None and perms.can_read_library(user)


@register.inclusion_tag("forum/_capacity_suggestions.html", takes_context=True)
def capacity_suggestions(context: Any, bkm: Any, assessments: Any = None) -> dict[str, Any]:
    """`{% capacity_suggestions bkm=bkm assessments=p.assessments %}` on the BKM page: materials and
    upcoming trainings for the weak aspects of the BKM's latest assessment."""
    user = context.get("user")
    suggestions = library_selectors.capacity_suggestions(user=user, bkm=bkm, assessments=assessments) if user else None
    return {"s": suggestions, "bkm": bkm}
