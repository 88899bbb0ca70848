"""Reads for reports, the dashboard and the API.

Figures here are the ones the screens show: the PDF builders, the dashboard
and the open-data API all call these functions, never their own queries.

Proposal aggregates live here (the registry has no aggregate selector); who
may read which proposal is the registry's rule only: pass `user` and the rows
go through `bkm.permissions.filter_proposals_for`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from bkm.models import BKM, BKMStatus, Kecamatan, Kelurahan, Proposal, ProposalStatus

from .models import ReportRun

ZERO = Decimal(0)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TERMINAL_PROPOSAL_STATUSES = (ProposalStatus.DITOLAK, ProposalStatus.SELESAI)


# --- Collaboration proposals -------------------------------------------------


def proposal_list(*, user: Any = None, year: int | None = None, kecamatan_id: int | None = None) -> QuerySet[Proposal]:
    """Proposals located in a kecamatan (by their kelurahan) and/or of a year.

    With `user`, only those the user may read (the registry's permission filter);
    without, the whole city (staff-only reports and the scheduler).
    """
    qs = Proposal.objects.select_related("bkm", "opd", "kelurahan__kecamatan")
    if user is not None:
        from bkm.permissions import filter_proposals_for

        qs = filter_proposals_for(user, qs)
    if year:
        qs = qs.filter(year=year)
    if kecamatan_id:
        qs = qs.filter(kelurahan__kecamatan_id=kecamatan_id)
    return qs.order_by("-year", "kelurahan__kecamatan__name", "bkm__name", "title", "id")


@dataclass(frozen=True)
class ProposalRow:
    label: str
    count: int
    budget_proposed: Decimal
    budget_approved: Decimal


def _rows(qs: QuerySet[Proposal], key: str, label_of: Any = None) -> list[ProposalRow]:
    data = (
        qs.order_by()
        .values(key)
        .annotate(
            n=Count("id"),
            proposed=Coalesce(Sum("budget_proposed"), Value(ZERO)),
            approved=Coalesce(Sum("budget_approved"), Value(ZERO)),
        )
        .order_by(key)
    )
    return [
        ProposalRow(
            label=str(label_of(d[key]) if label_of else d[key]),
            count=d["n"],
            budget_proposed=d["proposed"],
            budget_approved=d["approved"],
        )
        for d in data
    ]


@dataclass(frozen=True)
class ProposalSummary:
    total: ProposalRow
    by_status: list[ProposalRow]
    by_opd: list[ProposalRow]
    by_kecamatan: list[ProposalRow]
    by_year: list[ProposalRow]
    by_funding: list[ProposalRow]


def proposal_summary(*, user: Any = None, year: int | None = None, kecamatan_id: int | None = None) -> ProposalSummary:
    """Counts and budgets (proposed, approved) by status, OPD, kecamatan, year and funding source."""
    qs = proposal_list(user=user, year=year, kecamatan_id=kecamatan_id)
    totals = qs.order_by().aggregate(
        n=Count("id"),
        proposed=Coalesce(Sum("budget_proposed"), Value(ZERO)),
        approved=Coalesce(Sum("budget_approved"), Value(ZERO)),
    )
    status_labels = dict(ProposalStatus.choices)
    by_status_map = {r.label: r for r in _rows(qs, "status")}
    # Every status appears, in pipeline order, even with no proposals.
    by_status = [by_status_map.get(value, ProposalRow(value, 0, ZERO, ZERO)) for value in ProposalStatus.values]
    by_status = [
        ProposalRow(str(status_labels[r.label]), r.count, r.budget_proposed, r.budget_approved) for r in by_status
    ]
    from bkm.models import FundingSource

    funding_labels = dict(FundingSource.choices)
    return ProposalSummary(
        total=ProposalRow("Jumlah", totals["n"], totals["proposed"], totals["approved"]),
        by_status=by_status,
        by_opd=_rows(qs, "opd__name"),
        by_kecamatan=_rows(qs, "kelurahan__kecamatan__name"),
        by_year=_rows(qs, "year"),
        by_funding=_rows(qs, "funding_source", lambda v: funding_labels.get(v, v)),
    )


def proposals_with_status_since() -> QuerySet[Proposal]:
    """Open proposals annotated with `status_since`: when they entered their current status.

    Read from the change history (django-simple-history): the first record in
    the current status after the last record in another status. A proposal
    whose history is missing falls back to its creation time.
    """
    from bkm.models import Proposal as P

    history = P.history.model.objects.filter(id=OuterRef("pk"))  # type: ignore[attr-defined]
    last_other = Subquery(
        history.exclude(status=OuterRef("status")).order_by("-history_date").values("history_date")[:1],
        output_field=DateTimeField(),
    )
    first_current = Subquery(
        history.filter(status=OuterRef("status"), history_date__gt=Coalesce(last_other, Value(EPOCH)))
        .order_by("history_date")
        .values("history_date")[:1],
        output_field=DateTimeField(),
    )
    return (
        Proposal.objects.exclude(status__in=TERMINAL_PROPOSAL_STATUSES)
        .annotate(status_since=Coalesce(first_current, F("created_at")))
        .select_related("bkm", "opd", "kelurahan")
    )


def proposals_stuck(*, older_than: datetime) -> list[Proposal]:
    qs = proposals_with_status_since().filter(status_since__lt=older_than)  # type: ignore[misc]
    return list(qs.order_by("status_since"))


# --- BKMs ---------------------------------------------------------------------


def bkm_profile_list(*, bkm_id: int | None = None, kecamatan_id: int | None = None) -> QuerySet[BKM]:
    """BKMs for the profile book, ordered by kecamatan then kelurahan, with their proposal figures."""
    qs = BKM.objects.select_related("kelurahan__kecamatan")
    if bkm_id:
        qs = qs.filter(pk=bkm_id)
    if kecamatan_id:
        qs = qs.filter(kelurahan__kecamatan_id=kecamatan_id)
    return qs.order_by("kelurahan__kecamatan__name", "kelurahan__name", "name", "id")


def bkms_without_coordinator() -> QuerySet[BKM]:
    """Active BKMs with no active portal user marked coordinator."""
    return (
        BKM.objects.filter(status=BKMStatus.AKTIF)
        .annotate(n_coord=Count("users", filter=Q(users__is_coordinator=True, users__is_active=True)))
        .filter(n_coord=0)
        .select_related("kelurahan")
        .order_by("name")
    )


# Registry fields a complete BKM record must have, with their labels.
BKM_REQUIRED_FIELDS: list[tuple[str, str]] = [
    ("address", "alamat sekretariat"),
    ("phone", "telepon"),
    ("date_formed", "tanggal pembentukan"),
    ("akta_number", "nomor akta notaris"),
    ("akta_date", "tanggal akta"),
    ("adart_version", "versi AD/ART"),
]


def bkm_missing_fields(bkm: BKM) -> list[str]:
    return [label for name, label in BKM_REQUIRED_FIELDS if getattr(bkm, name) in (None, "")]


def bkms_incomplete() -> list[tuple[BKM, list[str]]]:
    fields = [name for name, _ in BKM_REQUIRED_FIELDS]
    bkms = BKM.objects.filter(status=BKMStatus.AKTIF).only("id", "name", *fields).order_by("name")
    result = []
    for bkm in bkms:
        missing = bkm_missing_fields(bkm)
        if missing:
            result.append((bkm, missing))
    return result


# --- City figures (dashboard) ---------------------------------------------------


@dataclass(frozen=True)
class KecamatanFigures:
    id: int
    name: str
    kelurahan: int
    bkm_active: int
    bkm_total: int
    proposals: int
    budget_proposed: Decimal
    budget_approved: Decimal


@dataclass(frozen=True)
class CityFigures:
    kelurahan: int
    bkm_total: int
    bkm_by_status: dict[str, int]
    proposals: int
    proposals_open: int
    budget_proposed: Decimal
    budget_approved: Decimal
    by_kecamatan: list[KecamatanFigures]


def city_figures() -> CityFigures:
    """The city's registry and collaboration figures, in a fixed number of queries."""
    kec_rows = (
        Kecamatan.objects.annotate(
            n_kel=Count("kelurahan", distinct=True),
            n_bkm=Count("kelurahan__bkms", distinct=True),
            n_active=Count("kelurahan__bkms", filter=Q(kelurahan__bkms__status=BKMStatus.AKTIF), distinct=True),
        )
        .order_by("name")
        .values("id", "name", "n_kel", "n_bkm", "n_active")
    )
    prop_by_kec = {
        d["kelurahan__kecamatan_id"]: d
        for d in Proposal.objects.order_by()
        .values("kelurahan__kecamatan_id")
        .annotate(
            n=Count("id"),
            proposed=Coalesce(Sum("budget_proposed"), Value(ZERO)),
            approved=Coalesce(Sum("budget_approved"), Value(ZERO)),
        )
    }
    by_kecamatan = []
    for row in kec_rows:
        p = prop_by_kec.get(row["id"], {"n": 0, "proposed": ZERO, "approved": ZERO})
        by_kecamatan.append(
            KecamatanFigures(
                id=row["id"],
                name=row["name"],
                kelurahan=row["n_kel"],
                bkm_active=row["n_active"],
                bkm_total=row["n_bkm"],
                proposals=p["n"],
                budget_proposed=p["proposed"],
                budget_approved=p["approved"],
            )
        )
    by_status = {d["status"]: d["n"] for d in BKM.objects.order_by().values("status").annotate(n=Count("id"))}
    totals = Proposal.objects.order_by().aggregate(
        n=Count("id"),
        n_open=Count("id", filter=~Q(status__in=TERMINAL_PROPOSAL_STATUSES)),
        proposed=Coalesce(Sum("budget_proposed"), Value(ZERO)),
        approved=Coalesce(Sum("budget_approved"), Value(ZERO)),
    )
    return CityFigures(
        kelurahan=Kelurahan.objects.count(),
        bkm_total=sum(by_status.values()),
        bkm_by_status={value: by_status.get(value, 0) for value in BKMStatus.values},
        proposals=totals["n"],
        proposals_open=totals["n_open"],
        budget_proposed=totals["proposed"],
        budget_approved=totals["approved"],
        by_kecamatan=by_kecamatan,
    )


# --- Runs -------------------------------------------------------------------------


def report_run_list(*, qs: QuerySet[ReportRun], report_type: str | None = None) -> QuerySet[ReportRun]:
    if report_type:
        qs = qs.filter(report_type=report_type)
    return qs.select_related("requested_by").order_by("-queued_at", "-id")
