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

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from core.models import Role
from core.permissions import is_staff, is_staff_admin

from .models import (
    BKM,
    Document,
    DocumentVersion,
    LPJReport,
    Notice,
    Proposal,
    ProposalAttachment,
    ProposalStatus,
    SlumMeasureUpdate,
    SubmissionStatus,
    Unit,
)


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


# A BKM's draft is its own business until submitted: no one outside the BKM sees it.
PRIVATE_PROPOSAL_STATUSES = frozenset({ProposalStatus.DRAF})
# Steps only the BKM takes (its coordinator submits, or resubmits after a return);
# every other step of the table is the secretariat's (staff admin).
BKM_PROPOSAL_STEPS = frozenset({ProposalStatus.DIAJUKAN})
# While the BKM holds a proposal (draft, or returned to it) its coordinator may change it.
BKM_EDITABLE_PROPOSAL_STATUSES = frozenset({ProposalStatus.DRAF, ProposalStatus.DIKEMBALIKAN})


def is_coordinator_of(user: Any, bkm: BKM) -> bool:
    """The coordinator of this BKM: the one who submits for it (issue 15)."""
    return bool(_authenticated(user) and user.is_bkm_member and user.is_coordinator and user.bkm_id == bkm.pk)


def filter_city_proposals(qs: QuerySet[Proposal] | None = None) -> QuerySet[Proposal]:
    """What the city sees of the proposals (staff screens, city-wide reports, warnings): no BKM drafts."""
    qs = Proposal.objects.all() if qs is None else qs
    return qs.exclude(status__in=PRIVATE_PROPOSAL_STATUSES)


def filter_proposals_for(user: Any, qs: QuerySet[Proposal] | None = None) -> QuerySet[Proposal]:
    qs = Proposal.objects.all() if qs is None else qs
    if not _authenticated(user):
        return qs.none()
    if is_staff(user):
        return filter_city_proposals(qs)
    return qs.filter(bkm__in=filter_bkms_for(user))


def check_proposal_view(user: Any, proposal: Proposal) -> None:
    check_bkm_view(user, proposal.bkm)
    if proposal.status in PRIVATE_PROPOSAL_STATUSES and bkm_ids_for(user) is None:
        raise Http404


def can_create_proposal(user: Any, bkm: BKM) -> bool:
    """Staff record a proposal received on paper; the coordinator drafts one for their BKM."""
    return can_edit_bkm(user, bkm, Part.PROPOSALS) or is_coordinator_of(user, bkm)


def can_edit_proposal(user: Any, proposal: Proposal | None = None, bkm: BKM | None = None) -> bool:
    """May change what the proposal says (not its status)."""
    if proposal is None:
        return bkm is not None and can_create_proposal(user, bkm)
    if proposal.status in BKM_EDITABLE_PROPOSAL_STATUSES and is_coordinator_of(user, proposal.bkm):
        return True
    return proposal.status not in PRIVATE_PROPOSAL_STATUSES and can_edit_bkm(user, proposal.bkm, Part.PROPOSALS)


def check_proposal_create(user: Any, bkm: BKM) -> None:
    check_bkm_view(user, bkm)
    if not can_create_proposal(user, bkm):
        raise PermissionDenied


def check_proposal_edit(user: Any, proposal: Proposal) -> None:
    check_proposal_view(user, proposal)
    if not can_edit_proposal(user, proposal):
        raise PermissionDenied


def proposal_steps_for(user: Any, proposal: Proposal, allowed: list[str]) -> list[str]:
    """Of the steps the transition table allows now, the ones this user may take."""
    if is_coordinator_of(user, proposal.bkm):
        return [s for s in allowed if s in BKM_PROPOSAL_STEPS]
    if can_edit_bkm(user, proposal.bkm, Part.PROPOSALS):
        # Moving a proposal through the city pipeline is the POKJA-PKP's liaison act: staff admin only.
        return [s for s in allowed if s not in BKM_PROPOSAL_STEPS]
    return []


def check_proposal_transition(user: Any, proposal: Proposal, to_status: str | None = None) -> None:
    check_proposal_view(user, proposal)
    if to_status is None:
        if not (is_coordinator_of(user, proposal.bkm) or can_edit_bkm(user, proposal.bkm, Part.PROPOSALS)):
            raise PermissionDenied
        return
    if to_status in BKM_PROPOSAL_STEPS:
        if not is_coordinator_of(user, proposal.bkm):
            raise PermissionDenied
    elif not can_edit_bkm(user, proposal.bkm, Part.PROPOSALS):
        raise PermissionDenied


def check_proposal_attachment_download(user: Any, attachment: ProposalAttachment) -> None:
    check_proposal_view(user, attachment.proposal)


# --- Self-service submissions: LPJ and slum-measure updates (issue 15) ---------

Submission = LPJReport | SlumMeasureUpdate


def filter_lpj_reports_for(user: Any, qs: QuerySet[LPJReport] | None = None) -> QuerySet[LPJReport]:
    qs = LPJReport.objects.all() if qs is None else qs
    return qs if bkm_ids_for(user) is None and _authenticated(user) else qs.filter(bkm__in=filter_bkms_for(user))


def filter_measure_updates_for(user: Any, qs: QuerySet[SlumMeasureUpdate] | None = None) -> QuerySet[SlumMeasureUpdate]:
    qs = SlumMeasureUpdate.objects.all() if qs is None else qs
    return qs if bkm_ids_for(user) is None and _authenticated(user) else qs.filter(bkm__in=filter_bkms_for(user))


def can_submit_for(user: Any, bkm: BKM) -> bool:
    return is_coordinator_of(user, bkm)


def check_submit_for(user: Any, bkm: BKM) -> None:
    """A new submission (LPJ, measure update) for this BKM: its coordinator only."""
    check_bkm_view(user, bkm)
    if not can_submit_for(user, bkm):
        raise PermissionDenied


def check_submission_view(user: Any, submission: Submission) -> None:
    check_bkm_view(user, submission.bkm)


def can_resubmit(user: Any, submission: Submission) -> bool:
    return submission.status == SubmissionStatus.DIKEMBALIKAN and is_coordinator_of(user, submission.bkm)


def check_submission_resubmit(user: Any, submission: Submission) -> None:
    check_submission_view(user, submission)
    if not can_resubmit(user, submission):
        raise PermissionDenied


def can_verify(user: Any) -> bool:
    """Verifying what BKMs submit is the secretariat's act: staff admin (the viewer only reads)."""
    return is_staff_admin(user)


def check_submission_verify(user: Any, submission: Submission) -> None:
    check_submission_view(user, submission)
    if not can_verify(user):
        raise PermissionDenied


def verifier_users() -> QuerySet[Any]:
    """Who is told of a new submission: everyone who may verify it."""
    return get_user_model().objects.filter(
        Q(role__in=[Role.STAFF_ADMIN, Role.SYSADMIN]) | Q(is_superuser=True), is_active=True
    )


def coordinator_users(bkm: BKM) -> QuerySet[Any]:
    """Who is told of a verification: the BKM's coordinator login(s)."""
    return get_user_model().objects.filter(is_active=True, role=Role.BKM_MEMBER, bkm=bkm, is_coordinator=True)


def filter_notices_for(user: Any, qs: QuerySet[Notice] | None = None) -> QuerySet[Notice]:
    qs = Notice.objects.all() if qs is None else qs
    if not _authenticated(user):
        return qs.none()
    return qs.filter(user=user)


def can_still_see_notice(user: Any, notice: Notice) -> bool:
    """Re-checked when the e-mail goes out: a user moved off the BKM meanwhile gets nothing."""
    return bool(user.is_active) and can_view_bkm(user, notice.bkm)


# --- The public face (issue 15) ----------------------------------------------------------


def can_publish_documents(user: Any) -> bool:
    """Staff admins decide which documents the public pages show."""
    return is_staff_admin(user)


def check_document_publish(user: Any, document: Document) -> None:
    check_bkm_view(user, document.bkm)
    if not can_publish_documents(user):
        raise PermissionDenied
