"""Who may see and do what in the UPK ledger.

- UPK managers post only in their own UPK(s) (`user.upk_units`).
- Staff read every UPK but never post; staff admins give the staff approvals
  (reopen a month, approve a reschedule, approve a write-off).
- BKM members see their own UPK's summary indicators, never borrowers'
  personal data.
- NIKs are shown in full only to the managers of the UPK that holds them.

`check_*` raise PermissionDenied (Http404 for objects outside the user's
scope); `filter_*` narrow querysets. Services call the `check_*` for writes
themselves, so no caller can forget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from core.nik import mask_nik
from core.permissions import is_staff, is_staff_admin

from .ledger.actors import Actor

if TYPE_CHECKING:
    from core.models import User


def _upk_id(upk: Any) -> int:
    return upk if isinstance(upk, int) else upk.pk


_MANAGED_CACHE = "_pokja_managed_upk_ids"


def managed_upk_ids(user: Any) -> frozenset[int]:
    """The UPKs a manager is bound to. Read once per user object (a request's
    `request.user`): every check of a page or a posting after the first is
    free. `forget_managed_upks` (on any change of `upk_units`) drops it."""
    if not getattr(user, "is_authenticated", False) or not user.is_upk_manager:
        return frozenset()
    cached = user.__dict__.get(_MANAGED_CACHE)
    if cached is None:
        cached = frozenset(user.upk_units.filter(unit_type="upk").order_by().values_list("pk", flat=True))
        user.__dict__[_MANAGED_CACHE] = cached
    return cached


def forget_managed_upks(user: Any) -> None:
    user.__dict__.pop(_MANAGED_CACHE, None)


def is_manager_of(user: Any, upk: Any) -> bool:
    return _upk_id(upk) in managed_upk_ids(user)


def is_bkm_member_of(user: Any, upk: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_bkm_member:
        return False
    from bkm.models import Unit

    upk_obj = upk if isinstance(upk, Unit) else Unit.objects.only("bkm_id").get(pk=upk)
    return upk_obj.bkm_id == user.bkm_id


def can_view_upk(user: Any, upk: Any) -> bool:
    """Summary level: balances, indicators, kolektibilitas totals."""
    return is_staff(user) or is_manager_of(user, upk) or is_bkm_member_of(user, upk)


def can_view_borrowers(user: Any, upk: Any) -> bool:
    """KSM, member, loan and repayment detail (personal data)."""
    return is_staff(user) or is_manager_of(user, upk)


def can_post(user: Any, upk: Any) -> bool:
    return is_manager_of(user, upk)


def can_approve(user: Any) -> bool:
    return is_staff_admin(user)


def can_configure(user: Any, upk: Any) -> bool:
    """Products, rules and chart of accounts: the UPK's managers or a staff admin."""
    return is_manager_of(user, upk) or is_staff_admin(user)


def can_see_full_nik(user: Any, upk: Any) -> bool:
    return is_manager_of(user, upk)


def check_view_upk(user: Any, upk: Any) -> None:
    if not can_view_upk(user, upk):
        raise Http404


def check_view_borrowers(user: Any, upk: Any) -> None:
    if not can_view_upk(user, upk):
        raise Http404
    if not can_view_borrowers(user, upk):
        raise PermissionDenied


def _author(user: Actor) -> User:
    """The user as the ledger records them (only a signed-in user passes a check)."""
    from core.models import User

    if not isinstance(user, User):
        raise PermissionDenied
    return user


def check_post(user: Actor, upk: Any) -> User:
    """Writing money events in `upk`: only its own managers. Returns the user
    as the author the ledger records."""
    if not can_post(user, upk):
        raise PermissionDenied
    return _author(user)


def check_configure(user: Actor, upk: Any) -> User:
    """Editing a UPK's products, rules or chart of accounts (never money)."""
    if not can_configure(user, upk):
        raise PermissionDenied
    return _author(user)


def check_approve(user: Actor) -> User:
    """Staff approvals: reopen a month, approve a reschedule or a write-off."""
    if not can_approve(user):
        raise PermissionDenied
    return _author(user)


def display_nik(user: Any, member: Any) -> str:
    upk_id = member.ksm.upk_id
    return member.nik if can_see_full_nik(user, upk_id) else mask_nik(member.nik)


# --- Querysets -------------------------------------------------------------------


def filter_upks(user: Any, qs: QuerySet) -> QuerySet:
    """UPK units the user may see at summary level."""
    qs = qs.filter(unit_type="upk")
    if is_staff(user):
        return qs
    ids = managed_upk_ids(user)
    if getattr(user, "is_authenticated", False) and user.is_bkm_member:
        return qs.filter(pk__in=ids) | qs.filter(bkm_id=user.bkm_id)
    return qs.filter(pk__in=ids)


def _borrower_scope(user: Any, qs: QuerySet, field: str) -> QuerySet:
    if is_staff(user):
        return qs
    return qs.filter(**{f"{field}__in": managed_upk_ids(user)})


def filter_ksms(user: Any, qs: QuerySet) -> QuerySet:
    return _borrower_scope(user, qs, "upk_id")


def filter_members(user: Any, qs: QuerySet) -> QuerySet:
    return _borrower_scope(user, qs, "ksm__upk_id")


def filter_loans(user: Any, qs: QuerySet) -> QuerySet:
    return _borrower_scope(user, qs, "upk_id")


def filter_repayments(user: Any, qs: QuerySet) -> QuerySet:
    return _borrower_scope(user, qs, "upk_id")


def filter_journal_entries(user: Any, qs: QuerySet) -> QuerySet:
    """Journal lines name KSMs and loans, so they are borrower-level data."""
    return _borrower_scope(user, qs, "upk_id")
