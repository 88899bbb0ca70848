"""Screen helpers of the UPK ledger: scope look-ups, dates from the query
string, list annotations and CSV/XLSX export.

Reads that the domain selectors do not offer in the shape a screen needs live
here (thin, set-based). Everything goes through `upk.permissions` first.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, F, IntegerField, OuterRef, QuerySet, Subquery, Sum, Window
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from bkm.models import Unit
from core import exports
from core.params import year_in_range

from . import permissions
from .ledger.savings import signed_amount
from .models import KSM, KSMMember, Loan, LoanMember, SavingsTransaction


def today() -> date:
    return timezone.localdate()


def parse_date(value: str | None, default: date | None = None) -> date:
    """A yyyy-mm-dd (HTML date input) or dd-mm-yyyy string; bad input (or a year outside
    core.params' range) gives the default."""
    if value:
        for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
            try:
                parsed = datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                continue
            if year_in_range(parsed.year):
                return parsed
    return default or today()


def as_of_from(request: HttpRequest) -> date:
    return parse_date(request.GET.get("as_of") or request.GET.get("tanggal"))


def upk_for_view(user: Any, upk_id: int) -> Unit:
    """A UPK the user may see at summary level, else 404."""
    upk = get_object_or_404(Unit.objects.select_related("bkm", "bkm__kelurahan"), pk=upk_id, unit_type="upk")
    permissions.check_view_upk(user, upk)
    return upk


def upk_for_borrowers(user: Any, upk_id: int) -> Unit:
    """A UPK whose borrower detail the user may see (404 outside scope, 403 for BKM members)."""
    upk = upk_for_view(user, upk_id)
    permissions.check_view_borrowers(user, upk)
    return upk


def upk_for_posting(user: Any, upk_id: int) -> Unit:
    upk = upk_for_borrowers(user, upk_id)
    permissions.check_post(user, upk)
    return upk


def screen_flags(request: HttpRequest, upk: Unit, **extra: Any) -> dict[str, Any]:
    """What the UPK pages' menus and buttons need to know about the user (the
    views check the same permissions before acting)."""
    user = request.user
    return {
        "upk": upk,
        "can_post": permissions.can_post(user, upk),
        "can_approve": permissions.can_approve(user),
        "can_borrowers": permissions.can_view_borrowers(user, upk),
        **extra,
    }


def scoped_object(user: Any, qs: QuerySet, filter_fn: Any, **lookup: Any) -> Any:
    """Fetch one object through a permissions.filter_* function: out of scope is 404.
    One row by its key: the model's ordering (for a loan or a KSM: the UPK's, then its BKM's name)
    would only add joins and their compiling, so none (`first` orders by the key)."""
    obj = filter_fn(user, qs).filter(**lookup).order_by().first()
    if obj is None:
        raise Http404
    return obj


def ksm_list_queryset(user: Any, upk: Unit) -> QuerySet[KSM]:
    """KSMs with member count, savings balance and live-loan count, one query."""
    balance = (
        SavingsTransaction.objects.filter(ksm=OuterRef("pk")).values("ksm").annotate(s=Sum(signed_amount())).values("s")
    )
    members = (
        KSMMember.objects.filter(ksm=OuterRef("pk"), is_active=True).values("ksm").annotate(n=Count("pk")).values("n")
    )
    live = (
        Loan.objects.filter(ksm=OuterRef("pk"), status__in=["active", "rescheduled"])
        .values("ksm")
        .annotate(n=Count("pk"))
        .values("n")
    )
    money: DecimalField = DecimalField(max_digits=15, decimal_places=0)
    return (
        permissions.filter_ksms(user, KSM.objects.filter(upk=upk))
        .select_related("kelurahan")
        .annotate(
            n_members=Coalesce(Subquery(members, output_field=IntegerField()), 0),
            n_live=Coalesce(Subquery(live, output_field=IntegerField()), 0),
            savings_total=Coalesce(Subquery(balance, output_field=money), Decimal(0), output_field=money),
        )
        .order_by("name", "pk")
    )


def savings_ledger(ksm: KSM) -> list[tuple[SavingsTransaction, int]]:
    """A KSM's savings movements with the running balance after each."""
    order = [F("date").asc(), F("pk").asc()]
    txs = (
        ksm.savings.select_related("repayment")
        .annotate(balance=Window(Sum(signed_amount()), order_by=order))
        .order_by(*order)
    )
    return [(tx, int(tx.balance)) for tx in txs]


def member_first_or_repeat(members: Iterable[Any]) -> set[int]:
    """Member pks that already had a disbursed loan (ceiling for a repeat loan)."""
    return set(
        LoanMember.objects.filter(member__in=list(members), loan__disbursed_on__isnull=False).values_list(
            "member_id", flat=True
        )
    )


# --- Export -------------------------------------------------------------------------


def export_response(
    fmt: str, filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str = ""
) -> HttpResponse:
    """CSV or XLSX through the one export writer (core.exports)."""
    return exports.table_response(
        fmt=fmt, filename=filename, rows=itertools.chain([list(headers)], rows), title=title or "Data"
    )


export_format = exports.requested_format
