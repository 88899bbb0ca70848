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
from django.db.models import Q, QuerySet, Subquery, Value
from django.http import Http404

from bkm.models import BKM
from core import versions
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
_CACHE_ATTR = "_forum_access"
# Marks a moderated category in the access query's rows; not a CategoryPermissionKind.
_MODERATES = "moderates"
_EVERY_GRANT = "*"
# The data version of everything `_access_rows` reads besides the user (migration 0007).
ACCESS_VERSION = "forum_access"


def _access_rows(user: Any) -> QuerySet[Any]:
    """(category id, grant or _MODERATES) rows of an active user: their grants and the categories
    they moderate in ONE query (a UNION), since every forum page and the navigation read both.

    Grants: a superuser holds every grant on every category; others hold their role's rows, a row
    marked `own_kecamatan_only` only when their BKM lies in the category's kecamatan.
    Moderated: staff admins moderate every category, others those they are named moderator of."""
    granted: QuerySet[Any]
    moderated: QuerySet[Any]
    if user.is_superuser:
        granted = Category.objects.order_by().annotate(g=Value(_EVERY_GRANT)).values_list("id", "g")
    else:
        in_scope = Q(own_kecamatan_only=False)
        if user.is_bkm_member:
            own_kecamatan = BKM.objects.filter(pk=user.bkm_id).values("kelurahan__kecamatan_id")[:1]
            in_scope |= Q(category__kecamatan_id=Subquery(own_kecamatan))
        granted = (
            CategoryPermission.objects.filter(in_scope, role=user.role)
            .order_by()
            .values_list("category_id", "permission")
        )
    if is_staff_admin(user):
        moderated = Category.objects.order_by().annotate(g=Value(_MODERATES)).values_list("id", "g")
    else:
        named: Any = Category.moderators.through.objects  # the m2m table: no model class of ours to type it
        moderated = (
            named.filter(user_id=user.pk).order_by().annotate(g=Value(_MODERATES)).values_list("category_id", "g")
        )
    return granted.union(moderated, all=True)


def access_key(user: Any) -> str:
    """The user's fields their access is computed from: with the `forum_access` version, the key of
    what is kept from it (an unsaved change to them is never answered from the cache)."""
    return f"{user.pk}:{user.role}:{int(user.is_superuser)}:{int(is_staff_admin(user))}:{user.bkm_id}:{int(user.is_active)}"


def _access(user: Any) -> tuple[dict[int, frozenset[str]], frozenset[int]]:
    """(category id → granted permission codes, moderated category ids), cached on the user object per request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}, frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached

    def compute() -> tuple[dict[int, frozenset[str]], frozenset[int]]:
        grants: dict[int, set[str]] = {}
        moderated: set[int] = set()
        for cat_id, code in _access_rows(user):
            if code == _MODERATES:
                moderated.add(cat_id)
            elif code == _EVERY_GRANT:
                grants.setdefault(cat_id, set()).update(P.values)
            else:
                grants.setdefault(cat_id, set()).add(code)
        return {cat_id: frozenset(codes) for cat_id, codes in grants.items()}, frozenset(moderated)

    # Every page's navigation asks; the query costs little but building it ~1 ms of Python. Kept per
    # user under the `forum_access` version, raised by every write to the grants, moderators,
    # categories' and BKMs' kecamatan (forum migration 0007); the user's own fields the rows depend
    # on are in the key, so an unsaved change to them is never answered from the cache.
    access = versions.kept(ACCESS_VERSION, access_key(user), compute)
    setattr(user, _CACHE_ATTR, access)
    return access


def category_grants(user: Any) -> dict[int, frozenset[str]]:
    """Category id → granted permission codes, cached on the user object per request."""
    return _access(user)[0]


def clear_cache(user: Any) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


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
    return set(_access(user)[1])


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
