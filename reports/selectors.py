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
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

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


# --- Forum (aggregates the forum app has no selector for) ---------------------------
#
# Every read goes through forum.permissions' filters for the given reader, so a
# recap never counts what its reader could not open on the forum's screens.


@dataclass(frozen=True)
class ForumActivityRow:
    label: str
    threads: int
    posts: int
    last_post_at: datetime | None = None
    kecamatan: str = ""
    bkm_id: int | None = None


@dataclass(frozen=True)
class ForumActivity:
    total: ForumActivityRow
    by_bkm: list[ForumActivityRow]
    by_category: list[ForumActivityRow]
    # (BKM, category) pairs with any activity, BKM by BKM.
    by_bkm_category: list[tuple[str, str, int, int]]


def _year_range(year: int | None) -> Q:
    return Q(created_at__year=year) if year else Q()


def forum_activity(*, user: Any, year: int | None = None) -> ForumActivity:
    """Threads started and posts written by the members of each BKM, and per category; visible ones only.

    A post belongs to a BKM through its author (`User.bkm`). Every active BKM has
    a row, silent ones with zeros. Four aggregate queries whatever the volume.
    """
    from forum.models import Category, Post, Thread
    from forum.permissions import filter_visible_posts, filter_visible_threads

    posts = filter_visible_posts(user, Post.objects.filter(_year_range(year))).filter(
        is_hidden=False, thread__is_hidden=False
    )
    threads = filter_visible_threads(user, Thread.objects.filter(_year_range(year))).filter(is_hidden=False)
    post_by_bkm = {
        r["author__bkm_id"]: r
        for r in posts.order_by().values("author__bkm_id").annotate(n=Count("id"), last=Max("created_at"))
    }
    thread_by_bkm = {
        r["author__bkm_id"]: r["n"] for r in threads.order_by().values("author__bkm_id").annotate(n=Count("id"))
    }
    bkms = BKM.objects.filter(Q(status=BKMStatus.AKTIF) | Q(pk__in=[k for k in post_by_bkm if k])).select_related(
        "kelurahan__kecamatan"
    )
    by_bkm = [
        ForumActivityRow(
            label=b.name,
            threads=thread_by_bkm.get(b.pk, 0),
            posts=post_by_bkm.get(b.pk, {}).get("n", 0),
            last_post_at=post_by_bkm.get(b.pk, {}).get("last"),
            kecamatan=b.kelurahan.kecamatan.name,
            bkm_id=b.pk,
        )
        for b in bkms.order_by("kelurahan__kecamatan__name", "name", "pk")
    ]
    if None in post_by_bkm or None in thread_by_bkm:
        # Staff and UPK managers write too; their posts count in the totals as "not a BKM".
        by_bkm.append(
            ForumActivityRow(
                label=gettext("Staf dan pengguna lain"),
                threads=thread_by_bkm.get(None, 0),
                posts=post_by_bkm.get(None, {}).get("n", 0),
                last_post_at=post_by_bkm.get(None, {}).get("last"),
            )
        )
    post_by_cat = {
        r["thread__category_id"]: r["n"] for r in posts.order_by().values("thread__category_id").annotate(n=Count("id"))
    }
    thread_by_cat = {r["category_id"]: r["n"] for r in threads.order_by().values("category_id").annotate(n=Count("id"))}
    from forum.permissions import filter_visible_categories

    by_category = [
        ForumActivityRow(label=c.name, threads=thread_by_cat.get(c.pk, 0), posts=post_by_cat.get(c.pk, 0))
        for c in filter_visible_categories(user, Category.objects.all()).order_by("position", "name")
    ]
    pair_threads = {
        (r["author__bkm__name"], r["category__name"]): r["n"]
        for r in threads.filter(author__bkm__isnull=False)
        .order_by()
        .values("author__bkm__name", "category__name")
        .annotate(n=Count("id"))
    }
    pairs = [
        (
            r["author__bkm__name"],
            r["thread__category__name"],
            pair_threads.get((r["author__bkm__name"], r["thread__category__name"]), 0),
            r["n"],
        )
        for r in posts.filter(author__bkm__isnull=False)
        .order_by()
        .values("author__bkm__name", "thread__category__name", "thread__category__position")
        .annotate(n=Count("id"))
        .order_by("author__bkm__name", "thread__category__position", "thread__category__name")
    ]
    total = ForumActivityRow(
        label=gettext("Jumlah"),
        threads=sum(thread_by_bkm.values()),
        posts=sum(r["n"] for r in post_by_bkm.values()),
        last_post_at=max((r["last"] for r in post_by_bkm.values() if r["last"]), default=None),
    )
    return ForumActivity(total=total, by_bkm=by_bkm, by_category=by_category, by_bkm_category=pairs)


def forum_meetings_recap(*, user: Any, year: int | None = None, until: datetime | None = None) -> list[Any]:
    """Meetings held (started before `until`, default now) the user may see, oldest first.

    Each is annotated with invited BKMs, RSVP "hadir" and attendance counts, and
    carries its decisions with their follow-ups (three queries in all).
    """
    from django.db.models import Prefetch
    from django.utils import timezone

    from forum.models import FollowUpAction, Meeting, MeetingDecision
    from forum.permissions import filter_visible_meetings

    until = until or timezone.now()
    qs = Meeting.objects.filter(starts_at__lt=until)
    if year:
        qs = qs.filter(starts_at__year=year)
    visible = filter_visible_meetings(user, Meeting.objects.all()).values("pk")
    return list(
        Meeting.objects.filter(pk__in=qs.values("pk"))
        .filter(pk__in=visible)
        .annotate(
            n_invited=Count("invited_bkms", distinct=True),
            n_yes=Count("rsvps", filter=Q(rsvps__response="yes"), distinct=True),
            n_attended=Count("rsvps", filter=Q(rsvps__attended=True), distinct=True),
        )
        .prefetch_related(
            Prefetch(
                "decisions",
                queryset=MeetingDecision.objects.order_by("position", "id").prefetch_related(
                    Prefetch(
                        "follow_ups",
                        queryset=FollowUpAction.objects.select_related("assignee_bkm", "assignee_opd").order_by(
                            "due_date", "id"
                        ),
                    )
                ),
            )
        )
        .order_by("starts_at", "id")
    )


def follow_up_status_counts(meetings: list[Any]) -> dict[str, int]:
    """Follow-ups of these meetings by status (every status listed, in the forum's order)."""
    from forum.models import FollowUpStatus

    counts = dict.fromkeys(FollowUpStatus.values, 0)
    for meeting in meetings:
        for decision in meeting.decisions.all():
            for action in decision.follow_ups.all():
                counts[action.status] += 1
    return counts


def bkm_forum_last_post(*, since: datetime) -> list[tuple[BKM, datetime | None]]:
    """Active BKMs whose members wrote no visible forum post since `since`, with their last post time.

    BKMs registered after `since` are not listed (they have not had the time to be silent).
    """
    from forum.models import Post

    last = (
        Post.objects.filter(author__bkm=OuterRef("pk"), is_hidden=False, thread__is_hidden=False)
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    qs = (
        BKM.objects.filter(status=BKMStatus.AKTIF, created_at__lt=since)
        .annotate(last_post_at=Subquery(last, output_field=DateTimeField()))
        .filter(Q(last_post_at__lt=since) | Q(last_post_at__isnull=True))
        .select_related("kelurahan")
        .order_by("name", "pk")
    )
    return [(b, b.last_post_at) for b in qs]  # type: ignore[attr-defined]
