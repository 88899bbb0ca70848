"""Reads for reports, the dashboard and the API.

Figures here are the ones the screens show: the PDF builders, the dashboard
and the open-data API all call these functions, never their own queries.

Proposal aggregates live here (the registry has no aggregate selector); who
may read which proposal is the registry's rule only: pass `user` and the rows
go through `bkm.permissions.filter_proposals_for`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
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
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from bkm.models import BKM, BKMStatus, Kecamatan, Proposal, ProposalStatus
from bkm.permissions import filter_city_proposals, filter_proposals_for

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
    # A BKM's draft is not yet a proposal to the city (issue 15).
    qs = filter_proposals_for(user, qs) if user is not None else filter_city_proposals(qs)
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
    # `last_other` runs inside `first_current`: its OuterRefs name that history row, whose primary key is
    # `history_id` — the proposal is its `id` (OuterRef("pk") there matched another proposal's history).
    last_other = Subquery(
        P.history.model.objects.filter(id=OuterRef("id"))  # type: ignore[attr-defined]
        .exclude(status=OuterRef("status"))
        .order_by("-history_date")
        .values("history_date")[:1],
        output_field=DateTimeField(),
    )
    first_current = Subquery(
        history.filter(status=OuterRef("status"), history_date__gt=Coalesce(last_other, Value(EPOCH)))
        .order_by("history_date")
        .values("history_date")[:1],
        output_field=DateTimeField(),
    )
    return (
        filter_city_proposals(Proposal.objects.exclude(status__in=TERMINAL_PROPOSAL_STATUSES))
        .annotate(status_since=Coalesce(first_current, F("created_at")))
        .select_related("bkm", "opd", "kelurahan__kecamatan")
    )


def proposals_stuck(*, older_than: datetime, proposal_ids: Collection[int] | None = None) -> list[Proposal]:
    qs = proposals_with_status_since().filter(status_since__lt=older_than)  # type: ignore[misc]
    if proposal_ids is not None:
        qs = qs.filter(pk__in=proposal_ids)
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
        .select_related("kelurahan__kecamatan")
        .order_by("name", "pk")
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


def bkms_incomplete_rows() -> QuerySet[BKM]:
    """Active BKMs missing a field of `BKM_REQUIRED_FIELDS` (None or blank, as `bkm_missing_fields` reads it):
    the rule of the incomplete-registry warning, a queryset so the dashboard counts it in SQL and builds
    only the rows it shows."""
    fields = [name for name, _ in BKM_REQUIRED_FIELDS]
    missing = Q()
    for name in fields:
        q = Q(**{f"{name}__isnull": True})
        if getattr(BKM._meta.get_field(name), "empty_strings_allowed", False):
            q |= Q(**{name: ""})
        missing |= q
    return (
        BKM.objects.filter(missing, status=BKMStatus.AKTIF)
        .select_related("kelurahan__kecamatan")
        .only("id", "name", "kelurahan", "kelurahan__kecamatan", "kelurahan__kecamatan__name", *fields)
        .order_by("name", "pk")
    )


def bkms_incomplete(
    *, bkm_ids: Collection[int] | None = None, rows: QuerySet[BKM] | None = None
) -> list[tuple[BKM, list[str]]]:
    """(BKM, missing field labels) for `rows` (default: every `bkms_incomplete_rows`, or those of `bkm_ids`)."""
    if rows is None:
        rows = bkms_incomplete_rows()
        if bkm_ids is not None:
            rows = rows.filter(pk__in=bkm_ids)
    return [(bkm, bkm_missing_fields(bkm)) for bkm in rows]


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
    """The city's registry and collaboration figures: 3 queries (the city totals are the sums of the
    kecamatan rows, every kelurahan being in one kecamatan, and of the proposal groups)."""
    kec_rows = (
        Kecamatan.objects.annotate(
            n_kel=Count("kelurahan", distinct=True),
            n_bkm=Count("kelurahan__bkms", distinct=True),
            n_active=Count("kelurahan__bkms", filter=Q(kelurahan__bkms__status=BKMStatus.AKTIF), distinct=True),
        )
        .order_by("name")
        .values("id", "name", "n_kel", "n_bkm", "n_active")
    )
    # Every proposal is in one group (those without a kelurahan in the None group), so the groups add
    # up to the city's totals.
    prop_by_kec = {
        d["kelurahan__kecamatan_id"]: d
        for d in Proposal.objects.order_by()
        .values("kelurahan__kecamatan_id")
        .annotate(
            n=Count("id"),
            n_open=Count("id", filter=~Q(status__in=TERMINAL_PROPOSAL_STATUSES)),
            proposed=Coalesce(Sum("budget_proposed"), Value(ZERO)),
            approved=Coalesce(Sum("budget_approved"), Value(ZERO)),
        )
    }
    by_kecamatan = []
    kelurahan = 0
    for row in kec_rows:
        kelurahan += row["n_kel"]
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
    groups = prop_by_kec.values()
    return CityFigures(
        kelurahan=kelurahan,
        bkm_total=sum(by_status.values()),
        bkm_by_status={value: by_status.get(value, 0) for value in BKMStatus.values},
        proposals=sum(g["n"] for g in groups),
        proposals_open=sum(g["n_open"] for g in groups),
        budget_proposed=sum((g["proposed"] for g in groups), ZERO),
        budget_approved=sum((g["approved"] for g in groups), ZERO),
        by_kecamatan=by_kecamatan,
    )


# --- Runs -------------------------------------------------------------------------


def report_run_list(*, qs: QuerySet[ReportRun]) -> QuerySet[ReportRun]:
    """Runs newest first (`filters.RunFilterSet` narrows them)."""
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


def bkm_forum_last_post(
    *, since: datetime, bkm_ids: Collection[int] | None = None
) -> list[tuple[BKM, datetime | None]]:
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
        .select_related("kelurahan__kecamatan")
        .order_by("name", "pk")
    )
    if bkm_ids is not None:
        qs = qs.filter(pk__in=bkm_ids)
    return [(b, b.last_post_at) for b in qs]  # type: ignore[attr-defined]


# --- UPK ledger: city figures over many UPKs ----------------------------------------
#
# Every figure comes from upk.selectors (portfolio_summary_many: three set-based
# queries per date whatever the number of UPKs or loans). What the ledger does
# not define — city/kecamatan aggregates, the "needs attention" rules, PAR trend
# rules and the package-submission rule — is defined once here and used by the
# city report, the dashboard panel and the early warnings alike.

BAND_ORDER = {"sehat": 0, "kurang_sehat": 1, "tidak_sehat": 2}


def parse_period(period: str) -> tuple[int, int]:
    """ "2026-03" → (2026, 3); ValueError on anything else."""
    year_s, month_s = period.split("-")
    year, month = int(year_s), int(month_s)
    if not (2000 <= year <= 2100 and 1 <= month <= 12) or len(year_s) != 4 or len(month_s) != 2:
        raise ValueError(period)
    return year, month


def month_ends(year: int, month: int, count: int) -> list[Any]:
    """The last `count` month ends up to (year, month), oldest first."""
    from upk.selectors import month_end

    out = []
    index = year * 12 + month - 1
    for k in range(count - 1, -1, -1):
        y, m = divmod(index - k, 12)
        out.append(month_end(y, m + 1))
    return out


def _upk_units_qs(*, kecamatan_id: int | None = None, upk_ids: list[int] | None = None) -> Any:
    from bkm.models import Unit, UnitType

    qs = Unit.objects.filter(unit_type=UnitType.UPK, upk_settings__isnull=False)
    if kecamatan_id:
        qs = qs.filter(bkm__kelurahan__kecamatan_id=kecamatan_id)
    if upk_ids is not None:
        qs = qs.filter(pk__any_of=upk_ids)
    return qs


def upk_units(*, kecamatan_id: int | None = None, upk_ids: list[int] | None = None) -> list[Any]:
    """UPK units with books (set up in the ledger), by kecamatan, kelurahan and BKM; one query."""
    qs = _upk_units_qs(kecamatan_id=kecamatan_id, upk_ids=upk_ids).select_related("bkm__kelurahan__kecamatan")
    return list(qs.order_by("bkm__kelurahan__kecamatan__name", "bkm__kelurahan__name", "bkm__name", "pk"))


def upk_unit_ids(*, upk_ids: list[int] | None = None) -> list[int]:
    """The ids of `upk_units` (no model instances: the warnings look at every UPK and name a few)."""
    return list(_upk_units_qs(upk_ids=upk_ids).order_by("pk").values_list("pk", flat=True))


def upk_label(unit: Any) -> str:
    return f"UPK {unit.bkm.name}"


@functools.cache
def _summed_fields() -> tuple[str, ...]:
    """Every PortfolioFigures field but its date: they all add up over UPKs (KSMs belong to one UPK, so
    counts add up too). Read from the dataclass, so a field added there is summed here."""
    from upk.selectors import PortfolioFigures

    return tuple(f.name for f in dataclasses.fields(PortfolioFigures) if f.name != "as_of")


def aggregate_figures(figures: list[Any], as_of: Any) -> Any:
    """Sum of UPKs' PortfolioFigures."""
    return _summed_figures([tuple(getattr(f, name) for name in _summed_fields()) for f in figures], as_of)


def _summed_figures(rows: list[tuple[int, ...]], as_of: Any) -> Any:
    """PortfolioFigures of the sum of `_summed_fields()` tuples."""
    from upk.selectors import PortfolioFigures

    total = PortfolioFigures(as_of)
    for name, value in zip(_summed_fields(), (sum(col) for col in zip(*rows, strict=True)), strict=False):
        setattr(total, name, value)
    return total


@dataclass(frozen=True)
class IndicatorColumn:
    code: str
    label: str
    short: str  # a column header where the full label is too wide (the PDF's tables)


# Column headers only; the list, order and labels are the ledger's.
_SHORT_LABELS = {"collection_rate": gettext_noop("Penagihan")}  # translated where shown


def indicator_columns() -> list[IndicatorColumn]:
    """The one indicator list (upk.selectors.INDICATORS) as the city report (PDF), the
    dashboard and the open-data API (`/api/upk-indikator/`) show it, in its order."""
    from upk.selectors import INDICATORS

    return [IndicatorColumn(d.code, str(d.label), _SHORT_LABELS.get(d.code, str(d.label))) for d in INDICATORS]


def indicator_values(figures: Any) -> dict[str, Decimal | None]:
    """Each ledger indicator (upk.selectors.INDICATORS, defined once there) of aggregated figures."""
    from upk.selectors import INDICATORS

    return {d.code: d.compute(figures) for d in INDICATORS}


def par_band_worsened(previous: Any, current: Any) -> bool:
    """PAR moved into a worse band (Sehat → Kurang Sehat → Tidak Sehat) from one month end to the next."""
    if previous is None or current is None or previous.band is None or current.band is None:
        return False
    return BAND_ORDER[current.band] > BAND_ORDER[previous.band]


def par_rising(values: list[Decimal | None], months: int = 3) -> bool:
    """PAR rose at each of the last `months` month ends (needs months + 1 values, none missing)."""
    tail = values[-(months + 1) :]
    if len(tail) < months + 1 or any(v is None for v in tail):
        return False
    return all(b > a for a, b in zip(tail, tail[1:], strict=False))  # type: ignore[operator]


def packages_submitted(*, upk_ids: list[int], year: int, month: int) -> set[int]:
    """UPKs that submitted the month's package (the ledger: submitting closes the month); one query."""
    from upk.selectors import upks_with_package

    return upks_with_package(upk_ids=upk_ids, year=year, month=month)


def package_due_date(year: int, month: int) -> date:
    """The last day the package of (year, month) is on time: day REPORTS_UPK_PACKAGE_DUE_DAY of the next
    month (clamped to that month's length; 0 means the month end itself, so it is late from the 1st)."""
    import calendar
    from datetime import timedelta

    from . import conf

    y, m = (year, month + 1) if month < 12 else (year + 1, 1)
    day = max(0, min(conf.get("REPORTS_UPK_PACKAGE_DUE_DAY"), calendar.monthrange(y, m)[1]))
    return date(y, m, 1) + timedelta(days=day - 1)


def upk_packages_missing_ids(*, upk_ids: list[int], year: int, month: int, today: date) -> set[int]:
    """The one rule of "the monthly package is missing" (city report, early warning, dashboard):
    the UPK has books by the month end, has not submitted the month's package, and its due day has
    passed (`package_due_date`). Nothing is missing before the due day. Two queries (none before it)."""
    from upk.selectors import month_end

    if today <= package_due_date(year, month):
        return set()
    expected = upks_with_books_before(upk_ids=upk_ids, day=month_end(year, month))
    return expected - packages_submitted(upk_ids=upk_ids, year=year, month=month)


def upks_with_books_before(*, upk_ids: list[int], day: Any) -> set[int]:
    """UPKs that posted anything on or before `day` (a month with no books is not expected); one query."""
    from upk.selectors import upks_posted_by

    return upks_posted_by(upk_ids=upk_ids, day=day)


@dataclass
class UpkRow:
    unit: Any
    label: str
    kecamatan: str
    indicators: Any  # upk.selectors.Indicators
    kolektibilitas: Any  # upk.selectors.Kolektibilitas (bucket totals)
    par_history: list[Any]  # IndicatorValue of PAR at each month end, oldest first
    submitted: bool
    expected: bool
    reasons: list[str]
    package_missing: bool = False  # upk_packages_missing_ids: submitted late or not at all, after the due day

    @property
    def reserve_shortfall(self) -> int:
        return max(0, self.kolektibilitas.required_reserve - self.kolektibilitas.booked_reserve)


@dataclass
class AreaFigures:
    label: str
    upks: int
    figures: Any  # aggregated PortfolioFigures
    values: dict[str, Decimal | None]
    required_reserve: int
    booked_reserve: int


@dataclass
class TrendPoint:
    as_of: Any
    figures: Any
    values: dict[str, Decimal | None]


@dataclass
class UpkCity:
    year: int
    month: int
    as_of: Any
    rows: list[UpkRow]
    by_kecamatan: list[AreaFigures]
    city: AreaFigures
    kol_buckets: list[tuple[str, str, int, int, int]]  # code, name, loans, outstanding, required
    trend: list[TrendPoint]

    @property
    def attention(self) -> list[UpkRow]:
        return [r for r in self.rows if r.reasons]


def pct_text(value: Decimal | None) -> str:
    from .pdf import format_decimal

    return "-" if value is None else f"{format_decimal(value)}%"


def upk_attention_reasons(row: UpkRow, *, period_label: str) -> list[str]:
    """Why a UPK needs attention: an indicator Tidak Sehat, PAR worse or rising, reserve short, package missing."""
    from django.utils.translation import gettext as _

    from .pdf import format_rupiah

    reasons = []
    for v in row.indicators.values.values():
        if v.band == "tidak_sehat":
            reasons.append(
                _("%(label)s %(value)s (%(band)s)")
                % {"label": v.label, "value": pct_text(v.value), "band": v.band_label}
            )
    history = row.par_history
    if len(history) >= 2 and par_band_worsened(history[-2], history[-1]):
        reasons.append(
            _("PAR memburuk dari %(old)s ke %(new)s") % {"old": history[-2].band_label, "new": history[-1].band_label}
        )
    values = [v.value if v is not None else None for v in history]
    if par_rising(values):
        reasons.append(
            _("PAR naik tiga bulan berturut-turut (%(series)s)")
            % {"series": " → ".join(pct_text(v) for v in values[-4:])}
        )
    if row.reserve_shortfall > 0:
        reasons.append(_("Cadangan resiko kurang %(amount)s") % {"amount": format_rupiah(row.reserve_shortfall)})
    if row.package_missing:
        reasons.append(_("Laporan bulanan %(period)s belum dikirim") % {"period": period_label})
    return reasons


def _area(label: str, rows: list[UpkRow], as_of: Any) -> AreaFigures:
    figures = aggregate_figures([r.indicators.figures for r in rows], as_of)
    return AreaFigures(
        label=label,
        upks=len(rows),
        figures=figures,
        values=indicator_values(figures),
        required_reserve=sum(r.kolektibilitas.required_reserve for r in rows),
        booked_reserve=sum(r.kolektibilitas.booked_reserve for r in rows),
    )


def upk_city(
    *,
    year: int,
    month: int,
    kecamatan_id: int | None = None,
    trend_months: int = 12,
    progress: Any = None,
    today: date | None = None,
) -> UpkCity:
    """Every UPK's indicators, kolektibilitas and PAR history as of each month end, with city aggregates.

    A package counts as missing only after its due day as of `today` (default: the local date).
    3 queries per month end (upk.selectors.portfolio_summary_many) plus 5;
    memory holds one summary per UPK per month, never loans.
    """
    from upk.selectors import portfolio_summary_many

    from .pdf import format_month

    units = upk_units(kecamatan_id=kecamatan_id)
    ids = [u.pk for u in units]
    ends = month_ends(year, month, trend_months)
    as_of = ends[-1]
    par_history: dict[int, list[Any]] = {i: [] for i in ids}
    trend: list[TrendPoint] = []
    current: dict[int, Any] = {}
    for k, end in enumerate(ends):
        summary = portfolio_summary_many(upk_ids=ids, as_of=end)
        for upk_id, (ind, _kol) in summary.items():
            par_history[upk_id].append(ind["par"])
        figures = aggregate_figures([ind.figures for ind, _kol in summary.values()], end)
        trend.append(TrendPoint(as_of=end, figures=figures, values=indicator_values(figures)))
        if end == as_of:
            current = summary
        if progress is not None:
            progress(10 + 60 * (k + 1) / len(ends), format_month(end))
    submitted = packages_submitted(upk_ids=ids, year=year, month=month)
    expected = upks_with_books_before(upk_ids=ids, day=as_of)
    missing = upk_packages_missing_ids(upk_ids=ids, year=year, month=month, today=today or timezone.localdate())
    label = format_month(as_of)
    rows = []
    for unit in units:
        ind, kol = current.get(unit.pk, (None, None))
        if ind is None:  # pragma: no cover - portfolio_summary_many returns every id asked for
            continue
        row = UpkRow(
            unit=unit,
            label=upk_label(unit),
            kecamatan=unit.bkm.kelurahan.kecamatan.name,
            indicators=ind,
            kolektibilitas=kol,
            par_history=par_history[unit.pk],
            submitted=unit.pk in submitted,
            expected=unit.pk in expected,
            reasons=[],
            package_missing=unit.pk in missing,
        )
        row.reasons = upk_attention_reasons(row, period_label=label)
        rows.append(row)
    by_kec: dict[str, list[UpkRow]] = {}
    for r in rows:
        by_kec.setdefault(r.kecamatan, []).append(r)
    return UpkCity(
        year=year,
        month=month,
        as_of=as_of,
        rows=rows,
        by_kecamatan=[_area(name, items, as_of) for name, items in by_kec.items()],
        city=_area("Kota Palangka Raya", rows, as_of),
        kol_buckets=_kol_totals(rows),
        trend=trend,
    )


def _kol_totals(rows: list[UpkRow]) -> list[tuple[str, str, int, int, int]]:
    from upk.selectors import KOL_NAMES

    buckets = []
    for b, (code, name) in enumerate(KOL_NAMES):
        loans = sum(r.kolektibilitas.buckets[b].loans for r in rows)
        outstanding = sum(r.kolektibilitas.buckets[b].outstanding for r in rows)
        required = sum(r.kolektibilitas.buckets[b].required for r in rows)
        buckets.append((code, str(name), loans, outstanding, required))
    return buckets


@dataclass
class UpkSnapshot:
    as_of: Any
    by_kecamatan: list[AreaFigures]
    city: AreaFigures
    kol_buckets: list[tuple[str, str, int, int, int]]


def _upk_places() -> list[tuple[int, str, str]]:
    """(UPK id, kecamatan name, figures version) of `upk_units`, in its order; values, not 1,000 units
    with their places."""
    from upk.figures import with_versions

    qs = _upk_units_qs().order_by("bkm__kelurahan__kecamatan__name", "bkm__kelurahan__name", "bkm__name", "pk")
    return list(with_versions(qs).values_list("pk", "bkm__kelurahan__kecamatan__name", "figures_version"))


# One UPK's share of the snapshot: its summed figures, kolektibilitas buckets (loans, outstanding,
# required reserve), required and booked reserve — each as the ledger's selectors computed it.
_ShareOfSnapshot = tuple[tuple[int, ...], tuple[tuple[int, int, int], ...], int, int]


def _snapshot_shares(upk_ids: list[int], as_of: Any) -> dict[int, _ShareOfSnapshot]:
    from upk.selectors import portfolio_summary_many

    return {
        upk_id: (
            tuple(getattr(ind.figures, name) for name in _summed_fields()),
            tuple((b.loans, b.outstanding, b.required) for b in kol.buckets),
            kol.required_reserve,
            kol.booked_reserve,
        )
        for upk_id, (ind, kol) in portfolio_summary_many(upk_ids=upk_ids, as_of=as_of).items()
    }


def _area_of_shares(label: str, shares: list[_ShareOfSnapshot], as_of: Any) -> AreaFigures:
    figures = _summed_figures([s[0] for s in shares], as_of)
    return AreaFigures(
        label=label,
        upks=len(shares),
        figures=figures,
        values=indicator_values(figures),
        required_reserve=sum(s[2] for s in shares),
        booked_reserve=sum(s[3] for s in shares),
    )


def upk_snapshot(*, as_of: Any) -> UpkSnapshot:
    """The city's and each kecamatan's UPK figures, indicators and reserves as of a day, and the
    kolektibilitas totals (the dashboard's UPK panel). Each UPK's share is the ledger's summary
    (`portfolio_summary_many`), kept under the UPK's figures version (`upk.figures.derived`): after a
    posting only that UPK's is computed again. The whole snapshot is kept too, under a digest of every
    UPK's version and kecamatan (`upk.figures.derived_whole`): one query and one small cache read when
    nothing changed."""
    from django.utils.translation import get_language

    from upk import figures as stored

    digest = stored.versions_digest(_upk_units_qs(), "bkm__kelurahan__kecamatan__name")
    name = f"snapshot-city:{as_of:%Y-%m-%d}:{get_language()}"
    return stored.derived_whole(name, digest, lambda: _upk_snapshot(as_of))


def _upk_snapshot(as_of: Any) -> UpkSnapshot:
    from upk import figures as stored
    from upk.selectors import KOL_NAMES

    places = _upk_places()
    shares = stored.derived(
        f"snapshot:{as_of:%Y-%m-%d}", {upk_id: v for upk_id, _k, v in places}, lambda ids: _snapshot_shares(ids, as_of)
    )
    by_kec: dict[str, list[_ShareOfSnapshot]] = {}
    for upk_id, kecamatan, _v in places:
        if upk_id in shares:
            by_kec.setdefault(kecamatan, []).append(shares[upk_id])
    every = [s for items in by_kec.values() for s in items]
    kol_buckets = []
    for b, (code, name) in enumerate(KOL_NAMES):
        loans = outstanding = required = 0
        for share in every:
            n, o, r = share[1][b]
            loans, outstanding, required = loans + n, outstanding + o, required + r
        kol_buckets.append((code, str(name), loans, outstanding, required))
    return UpkSnapshot(
        as_of=as_of,
        by_kecamatan=[_area_of_shares(name, items, as_of) for name, items in by_kec.items()],
        city=_area_of_shares("Kota Palangka Raya", every, as_of),
        kol_buckets=kol_buckets,
    )


@dataclass
class ParAlert:
    unit: Any
    worsened: bool
    rising: bool
    history: list[Any]  # PAR IndicatorValue at each month end, oldest first
    as_of: Any


# A UPK's PAR verdict at a month end: worsened, rising, and the PAR history when either (else empty).
_ParVerdict = tuple[bool, bool, tuple[Any, ...]]


def _par_verdicts(upk_ids: list[int], ends: list[Any]) -> dict[int, _ParVerdict]:
    from upk.selectors import indicators_dates

    by_date = indicators_dates(upk_ids=upk_ids, dates=ends)
    verdicts: dict[int, _ParVerdict] = {}
    for upk_id in upk_ids:
        h = [by_date[end][upk_id]["par"] for end in ends]
        worsened = len(h) >= 2 and par_band_worsened(h[-2], h[-1])
        rising = par_rising([v.value for v in h])
        verdicts[upk_id] = (worsened, rising, tuple(h) if worsened or rising else ())
    return verdicts


def upk_par_alerts(*, year: int, month: int, upk_ids: list[int] | None = None) -> list[ParAlert]:
    """UPKs whose PAR moved into a worse band at the end of (year, month), or rose at each of its last
    three month ends. Each UPK's verdict (PAR at 4 month ends: stored figures, upk/figures.py) is kept
    under its figures version (`upk.figures.derived`), so a request reads 1,000 verdicts, not 4,000
    figures, and a posting makes only its UPK's be judged again."""
    from upk import figures as stored

    versions = dict(
        stored.with_versions(_upk_units_qs(upk_ids=upk_ids)).order_by("pk").values_list("pk", "figures_version")
    )
    ends = month_ends(year, month, 4)
    verdicts = stored.derived(f"par-alert:{ends[-1]:%Y-%m}", versions, lambda stale: _par_verdicts(stale, ends))
    flags = {upk_id: v for upk_id, v in verdicts.items() if v[0] or v[1]}
    # Units (with their BKM and place) only for the UPKs that alert, in the usual order.
    units = upk_units(upk_ids=list(flags)) if flags else []
    return [
        ParAlert(unit=u, worsened=flags[u.pk][0], rising=flags[u.pk][1], history=list(flags[u.pk][2]), as_of=ends[-1])
        for u in units
    ]


def upk_packages_missing(*, year: int, month: int, today: date, upk_ids: list[int] | None = None) -> list[Any]:
    """UPKs whose package of (year, month) is missing as of `today` (`upk_packages_missing_ids`; 3 queries,
    none before the due day)."""
    if today <= package_due_date(year, month):  # nothing is missing yet: no need for the UPKs' ids
        return []
    missing = upk_packages_missing_ids(upk_ids=upk_unit_ids(upk_ids=upk_ids), year=year, month=month, today=today)
    return upk_units(upk_ids=sorted(missing)) if missing else []
