"""The one source of forum permissions (Misago-style checks and querysets).

Every surface — category and thread pages, search, notifications, emails,
digests, the BKM/proposal partial, exports, meetings — narrows through the
`filter_*` functions here and guards single objects with the `check_*`
functions. Misago #1630/#2036 and Discourse's leak history show what happens
when a second, slightly different rule creeps in somewhere; do not add one.

Grants only (no negative grants): a user holds a permission on a category when
a `CategoryPermission` row for their role exists, and — for rows marked
`own_kecamatan_only` — their BKM lies in the category's kecamatan. Superusers
hold everything. Inactive and anonymous users hold nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import IntegerField, Q, QuerySet, Subquery, Value
from django.http import Http404

from bkm.models import BKM
from core.permissions import is_staff, is_staff_admin

from .models import (
    Attachment,
    Category,
    CategoryPermission,
    CategoryPermissionKind,
    Meeting,
    Post,
    Thread,
)

P = CategoryPermissionKind
_CACHE_ATTR = "_forum_grants"
_MODERATED_ATTR = "_forum_moderated"


def _user_kecamatan(user: Any) -> Subquery | None:
    """The kecamatan of a BKM member's BKM, as a subquery of the grants query (None for other users).

    The navigation reads the grants on every page: one query for the grants and the member's
    kecamatan, not three (the BKM row and its kelurahan row with its boundary polygon were loaded
    only for this id).
    """
    if not user.is_bkm_member:
        return None
    return Subquery(BKM.objects.filter(pk=user.bkm_id).values("kelurahan__kecamatan_id")[:1])


def category_grants(user: Any) -> dict[int, frozenset[str]]:
    """Category id → granted permission codes, cached on the user object per request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    grants: dict[int, set[str]] = {}
    if user.is_superuser:
        for cat_id in Category.objects.values_list("id", flat=True):
            grants[cat_id] = set(P.values)
    else:
        kecamatan = _user_kecamatan(user)
        rows = CategoryPermission.objects.filter(role=user.role).values_list(
            "category_id",
            "permission",
            "own_kecamatan_only",
            "category__kecamatan_id",
            kecamatan if kecamatan is not None else Value(None, output_field=IntegerField()),
        )
        for cat_id, perm, scoped, cat_kecamatan_id, kecamatan_id in rows:
            if scoped and (kecamatan_id is None or cat_kecamatan_id != kecamatan_id):
                continue
            grants.setdefault(cat_id, set()).add(perm)
    frozen = {cat_id: frozenset(perms) for cat_id, perms in grants.items()}
    setattr(user, _CACHE_ATTR, frozen)
    return frozen


def clear_cache(user: Any) -> None:
    for attr in (_CACHE_ATTR, _MODERATED_ATTR):
        if hasattr(user, attr):
            delattr(user, attr)


def categories_with(user: Any, perm: str) -> set[int]:
    # "read" without "see" would be a contradiction; treat read as implying see (machina #318).
    return {
        cat_id
        for cat_id, perms in category_grants(user).items()
        if perm in perms or (perm == P.SEE and P.READ in perms)
    }


def has_category_perm(user: Any, category_id: int, perm: str) -> bool:
    return category_id in categories_with(user, perm)


def moderated_category_ids(user: Any) -> set[int]:
    """Staff admins moderate every category; others only those they are named moderator of."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached = getattr(user, _MODERATED_ATTR, None)
    if cached is None:
        if is_staff_admin(user):
            cached = set(Category.objects.values_list("id", flat=True))
        else:
            cached = set(user.moderated_forum_categories.values_list("id", flat=True))
        setattr(user, _MODERATED_ATTR, cached)
    return set(cached)


def is_moderator(user: Any, category_id: int) -> bool:
    return category_id in moderated_category_ids(user)


def is_any_moderator(user: Any) -> bool:
    return bool(moderated_category_ids(user))


# --- Querysets -----------------------------------------------------------------


def filter_visible_categories(user: Any, qs: QuerySet[Category]) -> QuerySet[Category]:
    return qs.filter(id__in=categories_with(user, P.SEE))


def filter_visible_threads(user: Any, qs: QuerySet[Thread]) -> QuerySet[Thread]:
    """Threads in readable categories; hidden ones only for their category's moderators."""
    readable = categories_with(user, P.READ)
    moderated = moderated_category_ids(user) & readable
    return qs.filter(Q(category_id__in=readable, is_hidden=False) | Q(category_id__in=moderated))


def filter_visible_posts(user: Any, qs: QuerySet[Post]) -> QuerySet[Post]:
    """Posts of visible threads; hidden posts only for moderators of the category."""
    readable = categories_with(user, P.READ)
    moderated = moderated_category_ids(user) & readable
    return qs.filter(
        Q(thread__category_id__in=readable, thread__is_hidden=False, is_hidden=False)
        | Q(thread__category_id__in=moderated)
    )


def filter_mentionable_users(user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    """Users a viewer may look up for @mentions: active portal users, only for forum readers."""
    if not categories_with(user, P.READ):
        return qs.none()
    return qs.filter(is_active=True)


def filter_visible_meetings(user: Any, qs: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """Staff see all; others see meetings open to everyone (no invitees) or inviting their BKM."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if is_staff(user):
        return qs
    bkm_ids: list[int] = []
    if user.is_bkm_member:
        bkm_ids = [user.bkm_id]
    elif user.is_upk_manager:
        bkm_ids = list(user.upk_units.values_list("bkm_id", flat=True))
    open_ids = Meeting.objects.filter(invited_bkms__isnull=True).values("id")
    return qs.filter(Q(id__in=open_ids) | Q(invited_bkms__id__in=bkm_ids)).distinct()


def filter_linkable_proposals(user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    """Proposals a user may link a thread to: staff all, BKM members their own BKM's."""
    if is_staff(user):
        return qs
    if getattr(user, "is_authenticated", False) and user.is_bkm_member:
        return qs.filter(bkm_id=user.bkm_id)
    return qs.none()


# --- Checks --------------------------------------------------------------------


def check_forum_access(user: Any) -> None:
    if not categories_with(user, P.SEE):
        raise PermissionDenied


def check_see_category(user: Any, category: Category) -> None:
    if not has_category_perm(user, category.id, P.SEE):
        raise Http404


def check_read_category(user: Any, category: Category) -> None:
    check_see_category(user, category)
    if not has_category_perm(user, category.id, P.READ):
        raise PermissionDenied


def check_start_thread(user: Any, category: Category) -> None:
    check_read_category(user, category)
    if not has_category_perm(user, category.id, P.START):
        raise PermissionDenied


def check_read_thread(user: Any, thread: Thread) -> None:
    if not filter_visible_threads(user, Thread.objects.filter(pk=thread.pk)).exists():
        raise Http404


def can_reply(user: Any, thread: Thread) -> bool:
    if not has_category_perm(user, thread.category_id, P.REPLY):
        return False
    if thread.is_hidden:
        return False
    # Locked threads take replies only from their moderators.
    return not thread.is_locked or is_moderator(user, thread.category_id)


def check_reply_thread(user: Any, thread: Thread) -> None:
    check_read_thread(user, thread)
    if not can_reply(user, thread):
        raise PermissionDenied


def can_attach(user: Any, category_id: int) -> bool:
    return has_category_perm(user, category_id, P.ATTACH)


def check_read_post(user: Any, post: Post) -> None:
    if not filter_visible_posts(user, Post.objects.filter(pk=post.pk)).exists():
        raise Http404


def can_edit_post(user: Any, post: Post, *, now: Any, window_minutes: int) -> bool:
    if is_moderator(user, post.thread.category_id):
        return True
    if post.author_id != user.id or post.is_hidden or post.thread.is_locked:
        return False
    return (now - post.created_at).total_seconds() <= window_minutes * 60


def check_edit_post(user: Any, post: Post, *, now: Any, window_minutes: int) -> None:
    check_read_post(user, post)
    if not can_edit_post(user, post, now=now, window_minutes=window_minutes):
        raise PermissionDenied


def check_moderate_category(user: Any, category_id: int) -> None:
    if not is_moderator(user, category_id):
        raise PermissionDenied


def check_moderate_any(user: Any) -> None:
    if not is_any_moderator(user):
        raise PermissionDenied


def can_deactivate_users(user: Any) -> bool:
    """Deactivating an account is staff work: it shuts the person out of the whole portal,
    not only the categories a moderator looks after."""
    return is_staff_admin(user)


def check_deactivate_user(user: Any) -> None:
    if not can_deactivate_users(user):
        raise PermissionDenied


def check_download_attachment(user: Any, attachment: Attachment) -> None:
    check_read_post(user, attachment.post)


def check_export(user: Any, category_id: int) -> None:
    """CSV exports: moderators of the category and portal staff who may read it."""
    if not has_category_perm(user, category_id, P.READ):
        raise Http404
    if not (is_moderator(user, category_id) or is_staff(user)):
        raise PermissionDenied


def check_view_meeting(user: Any, meeting: Meeting) -> None:
    if not filter_visible_meetings(user, Meeting.objects.filter(pk=meeting.pk)).exists():
        raise Http404


def is_staff_admin_user(user: Any) -> bool:
    return is_staff_admin(user)


def can_manage_meetings(user: Any) -> bool:
    return is_staff_admin(user)


def check_manage_meetings(user: Any) -> None:
    if not can_manage_meetings(user):
        raise PermissionDenied


def can_rsvp(user: Any, meeting: Meeting) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


# --- Capacity building: library and trainings ------------------------------------------------
# Readers: every signed-in BKM user (members with a BKM, UPK managers) and portal staff.
# The library and the trainings are managed by staff admins; a BKM coordinator registers
# their own BKM's people for a training. Participant names are seen by staff and by the
# people of the participant's own BKM only.


def can_read_library(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return is_staff(user) or user.is_bkm_member or user.is_upk_manager


def check_read_library(user: Any) -> None:
    if not can_read_library(user):
        raise PermissionDenied


def can_manage_library(user: Any) -> bool:
    return is_staff_admin(user)


def check_manage_library(user: Any) -> None:
    if not can_manage_library(user):
        raise PermissionDenied


def filter_visible_materials(user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    """Readers see the materials in use; staff admins also the archived ones."""
    if not can_read_library(user):
        return qs.none()
    if can_manage_library(user):
        return qs
    return qs.filter(is_archived=False)


def check_view_material(user: Any, material: Any) -> None:
    check_read_library(user)
    if material.is_archived and not can_manage_library(user):
        raise Http404


def filter_visible_trainings(user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs if can_read_library(user) else qs.none()


def check_view_training(user: Any, training: Any) -> None:
    check_read_library(user)


def can_manage_trainings(user: Any) -> bool:
    return is_staff_admin(user)


def check_manage_trainings(user: Any) -> None:
    if not can_manage_trainings(user):
        raise PermissionDenied


def _own_bkm_ids(user: Any) -> list[int]:
    """The BKMs a non-staff user belongs to: a member's BKM, a UPK manager's units' BKMs."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_bkm_member:
        return [user.bkm_id]
    if user.is_upk_manager:
        cached = getattr(user, "_forum_upk_bkm_ids", None)
        if cached is None:
            cached = list(user.upk_units.values_list("bkm_id", flat=True).distinct())
            user._forum_upk_bkm_ids = cached
        return list(cached)
    return []


def filter_visible_participants(user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    if not can_read_library(user):
        return qs.none()
    if is_staff(user):
        return qs
    return qs.filter(bkm_id__in=_own_bkm_ids(user))


def filter_registrable_bkms(user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    """BKMs whose people this user may register for a training: staff admins all, a coordinator their own."""
    if is_staff_admin(user):
        return qs
    if getattr(user, "is_authenticated", False) and user.is_bkm_member and user.is_coordinator:
        return qs.filter(pk=user.bkm_id)
    return qs.none()


def can_register_participants(user: Any) -> bool:
    return is_staff_admin(user) or bool(
        getattr(user, "is_authenticated", False) and user.is_bkm_member and user.is_coordinator
    )


def check_register_participant(user: Any, bkm: Any) -> None:
    """Register (or withdraw) a person of `bkm`: staff admins any BKM, a coordinator only their own."""
    if is_staff_admin(user):
        return
    if can_register_participants(user) and bkm.pk == user.bkm_id:
        return
    raise PermissionDenied


def check_record_attendance(user: Any) -> None:
    if not is_staff_admin(user):
        raise PermissionDenied
