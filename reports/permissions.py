"""Who may ask for, see and download which report; who sees the dashboard and API rows.

`check_*` raise PermissionDenied (the user may not use this at all) or Http404
(the object exists but is outside the user's scope, so we do not confirm it).
`filter_*` narrow querysets. Every view, download, email link and API list
goes through these.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from core.permissions import check_staff, is_staff, is_staff_admin

from .models import ReportRun
from .registry import ReportType, UnknownReportType, get_report_type


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def can_request_type(user: Any, report_type: ReportType) -> bool:
    """May the user ask for this type with *some* parameters (their own BKM/UPK)?"""
    if is_staff(user):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if report_type.scope == "bkm":
        return bool(user.is_bkm_member and user.is_coordinator)
    if report_type.scope == "upk":
        return bool(user.is_upk_manager)
    return False


def check_report_request(user: Any, report_type: ReportType, params: dict[str, Any]) -> None:
    if is_staff(user):
        return
    if not can_request_type(user, report_type):
        raise PermissionDenied
    if report_type.scope == "bkm":
        if _as_int(params.get("bkm")) != user.bkm_id:
            raise Http404
    elif report_type.scope == "upk":
        from upk.permissions import is_manager_of

        # The ledger's rule: a manager reads the books of the UPK(s) they manage.
        upk_id = _as_int(params.get("upk"))
        if upk_id is None or not is_manager_of(user, upk_id):
            raise Http404
    else:  # pragma: no cover - staff scope handled by can_request_type
        raise PermissionDenied


def available_report_types(user: Any) -> list[ReportType]:
    from .registry import all_report_types

    return [rt for rt in all_report_types() if can_request_type(user, rt)]


def check_run_access(user: Any, run: ReportRun) -> None:
    """Seeing a run (and downloading its PDF) needs the right to ask for it now."""
    if is_staff(user):
        return
    try:
        report_type = get_report_type(run.report_type)
        check_report_request(user, report_type, run.parameters)
    except (PermissionDenied, UnknownReportType):
        raise Http404 from None


def filter_runs(user: Any, qs: QuerySet[ReportRun]) -> QuerySet[ReportRun]:
    if is_staff(user):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(requested_by=user)


def check_subscribe(user: Any, report_type: ReportType) -> None:
    if not report_type.is_schedulable:
        raise Http404
    # Scheduled reports cover the whole city: staff only.
    check_staff(user)


def check_dashboard(user: Any) -> None:
    check_staff(user)


def check_warning_acknowledge(user: Any) -> None:
    if not is_staff_admin(user):
        raise PermissionDenied


def filter_proposals(user: Any, qs: QuerySet) -> QuerySet:
    """Collaboration proposals a user may read: the registry's rule, `bkm.permissions.filter_proposals_for`.

    Kept as the reports' entry point so the API and report code have one name
    to call; the rule itself lives only in the registry.
    """
    from bkm.permissions import filter_proposals_for

    return filter_proposals_for(user, qs)
