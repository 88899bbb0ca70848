"""Who may see and change what in the BKM/LKM registry.

Every view, list, export, search, PDF and email of the registry — and the other
apps when they show registry data — goes through these functions:

- staff (admin, viewer, sysadmin) read every BKM; staff admin and sysadmin edit
  everything, the viewer edits nothing;
- a BKM coordinator edits their own BKM's contacts, board (with its elections),
  units (with their people) and documents;
- BKM members read their own BKM only; UPK managers read the BKM(s) whose UPK
  unit they manage;
- anonymous users read nothing (views also require login).

`check_*` raise `PermissionDenied` (403) when the user may see the object but
not do the action, and `Http404` when the object is out of the user's scope, so
other BKMs' existence is not confirmed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from core.permissions import is_staff, is_staff_admin

from .models import BKM, Document, DocumentVersion, Proposal, Unit


class Part:
    """Parts of a BKM record that are edited separately."""

    PROFILE = "profile"  # name, kelurahan, status, legal basis
    CONTACTS = "contacts"  # sekretariat address, phone, email
    BOARD = "board"  # board members and the elections that chose them
    UNITS = "units"  # units and their people
    DOCUMENTS = "documents"
    BANK = "bank"
    HANDOVER = "handover"
    PROPOSALS = "proposals"
    ASSESSMENT = "assessment"
    AUDIT = "audit"
    RPLP = "rplp"  # the BKM's own settlement plan (RPLP) items

    ALL = frozenset({PROFILE, CONTACTS, BOARD, UNITS, DOCUMENTS, BANK, HANDOVER, PROPOSALS, ASSESSMENT, AUDIT, RPLP})
    # What the coordinator of a BKM may edit on their own BKM (issue 2; the RPLP is the BKM's plan, issue 15).
    COORDINATOR = frozenset({CONTACTS, BOARD, UNITS, DOCUMENTS, RPLP})


def _authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def bkm_ids_for(user: Any) -> set[int] | None:
    """The ids of the BKMs a non-staff user is bound to; None means all (staff)."""
    if not _authenticated(user):
        return set()
    if is_staff(user):
        return None
    ids: set[int] = set()
    if user.is_bkm_member:
        ids.add(user.bkm_id)
    if user.is_upk_manager:
        ids.update(Unit.objects.filter(managers=user).values_list("bkm_id", flat=True))
    return ids


def filter_bkms_for(user: Any, qs: QuerySet[BKM] | None = None) -> QuerySet[BKM]:
    qs = BKM.objects.all() if qs is None else qs
    if not _authenticated(user):
        return qs.none()
    if is_staff(user):
        return qs
    if user.is_bkm_member:
        return qs.filter(pk=user.bkm_id)
    if user.is_upk_manager:
        # A subquery, not a join: keeps one row per BKM without DISTINCT.
        return qs.filter(pk__in=Unit.objects.filter(managers=user).values("bkm_id"))
    return qs.none()


def can_view_bkm(user: Any, bkm: BKM) -> bool:
    ids = bkm_ids_for(user)
    return ids is None or bkm.pk in ids


def can_edit_bkm(user: Any, bkm: BKM, part: str) -> bool:
    if part not in Part.ALL:
        raise ValueError(f"Unknown BKM part {part!r}")
    if not _authenticated(user):
        return False
    if is_staff_admin(user):
        return True
    return bool(user.is_bkm_member and user.is_coordinator and user.bkm_id == bkm.pk and part in Part.COORDINATOR)


def editable_parts(user: Any, bkm: BKM) -> frozenset[str]:
    """Parts the user may edit, for templates deciding which buttons to show."""
    return frozenset(p for p in Part.ALL if can_edit_bkm(user, bkm, p))


def check_bkm_view(user: Any, bkm: BKM) -> None:
    if not _authenticated(user):
        raise PermissionDenied
    if not can_view_bkm(user, bkm):
        raise Http404


def check_bkm_edit(user: Any, bkm: BKM, part: str) -> None:
    check_bkm_view(user, bkm)
    if not can_edit_bkm(user, bkm, part):
        raise PermissionDenied


def can_create_bkm(user: Any) -> bool:
    return is_staff_admin(user)


def check_bkm_create(user: Any) -> None:
    if not can_create_bkm(user):
        raise PermissionDenied


def check_bkm_export(user: Any) -> None:
    """Anyone logged in may export; what they get is narrowed by filter_bkms_for."""
    if not _authenticated(user):
        raise PermissionDenied


# --- Documents -----------------------------------------------------------------


def filter_documents_for(user: Any, qs: QuerySet[Document] | None = None) -> QuerySet[Document]:
    qs = Document.objects.all() if qs is None else qs
    return qs.filter(bkm__in=filter_bkms_for(user))


def check_document_download(user: Any, version: DocumentVersion | Document) -> None:
    document = version.document if isinstance(version, DocumentVersion) else version
    check_bkm_view(user, document.bkm)


# --- Registry-wide reference data (slum areas, OPD directory) ------------------


def check_reference_view(user: Any) -> None:
    """Slum areas and the OPD directory are city facts every logged-in user may read."""
    if not _authenticated(user):
        raise PermissionDenied


def can_edit_reference(user: Any) -> bool:
    return is_staff_admin(user)


def check_reference_edit(user: Any) -> None:
    if not can_edit_reference(user):
        raise PermissionDenied


# --- Collaboration proposals ---------------------------------------------------


def filter_proposals_for(user: Any, qs: QuerySet[Proposal] | None = None) -> QuerySet[Proposal]:
    qs = Proposal.objects.all() if qs is None else qs
    if not _authenticated(user):
        return qs.none()
    if is_staff(user):
        return qs
    return qs.filter(bkm__in=filter_bkms_for(user))


def check_proposal_view(user: Any, proposal: Proposal) -> None:
    check_bkm_view(user, proposal.bkm)


def can_edit_proposal(user: Any, proposal: Proposal | None = None, bkm: BKM | None = None) -> bool:
    target = proposal.bkm if proposal is not None else bkm
    return target is not None and can_edit_bkm(user, target, Part.PROPOSALS)


def check_proposal_edit(user: Any, proposal: Proposal) -> None:
    check_bkm_edit(user, proposal.bkm, Part.PROPOSALS)


def check_proposal_transition(user: Any, proposal: Proposal) -> None:
    # Moving a proposal is the POKJA-PKP's liaison act: staff admin only.
    check_bkm_edit(user, proposal.bkm, Part.PROPOSALS)


# --- The public face (issue 15) ----------------------------------------------------------


def can_publish_documents(user: Any) -> bool:
    """Staff admins decide which documents the public pages show."""
    return is_staff_admin(user)


def check_document_publish(user: Any, document: Document) -> None:
    check_bkm_view(user, document.bkm)
    if not can_publish_documents(user):
        raise PermissionDenied
