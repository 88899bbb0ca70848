"""Reads of the BKM/LKM registry, shared by screens, exports, reports and the dashboard.

The warning rules are defined once here:

- term: the current board's earliest `term_end` has passed ("expired") or falls
  within settings.BKM_TERM_WARNING_DAYS ("ending");
- board size: the number of active board members is outside
  settings.BKM_BOARD_SIZE_MIN..BKM_BOARD_SIZE_MAX;
- women: women are less than settings.BKM_WOMEN_SHARE_MIN_PCT (default 30 %) of
  the active board (the 30 % figure is the KOTAKU participation norm).

`bkm_list_with_warnings` computes the inputs of all three as SQL annotations, so
a page, an export or a city report costs a fixed number of queries whatever the
number of BKMs; `bkm_warnings(bkm)` turns one annotated (or plain) BKM into the
list of warnings.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from core.nik import mask_nik
from core.versions import kept

from .models import (
    BKM,
    REQUIRED_DOCUMENT_TYPES,
    Assessment,
    AssessmentScore,
    AuditRecord,
    BankAccount,
    BoardMember,
    BoardPosition,
    Document,
    DocumentVersion,
    Election,
    Gender,
    Handover,
    LPJReport,
    Notice,
    Proposal,
    ProposalEvent,
    ProposalStatus,
    RPLPItem,
    RPLPStatus,
    SlumArea,
    SlumMeasure,
    SlumMeasureUpdate,
    SubmissionKind,
    SubmissionStatus,
    Unit,
    UnitPerson,
    rplp_status_from,
)
from .permissions import (
    filter_bkms_for,
    filter_lpj_reports_for,
    filter_measure_updates_for,
    filter_notices_for,
    filter_proposals_for,
)


def women_share_min_pct() -> int:
    return getattr(settings, "BKM_WOMEN_SHARE_MIN_PCT", 30)


def today() -> datetime.date:
    return timezone.localdate()


# --- Warnings ------------------------------------------------------------------


class WarningCode:
    TERM_EXPIRED = "term_expired"
    TERM_ENDING = "term_ending"
    NO_BOARD = "no_board"
    BOARD_SMALL = "board_small"
    BOARD_LARGE = "board_large"
    WOMEN_LOW = "women_low"


@dataclass(frozen=True)
class BKMWarning:
    code: str
    message: str
    level: str = "warning"  # Bootstrap colour: "danger" or "warning"


WARNING_FILTER_CHOICES = [
    ("any", gettext_lazy("Ada peringatan apa pun")),
    ("term", gettext_lazy("Masa bakti habis / segera habis")),
    (WarningCode.TERM_EXPIRED, gettext_lazy("Masa bakti sudah habis")),
    (WarningCode.TERM_ENDING, gettext_lazy("Masa bakti segera habis")),
    ("board_size", gettext_lazy("Jumlah pengurus di luar batas")),
    (WarningCode.WOMEN_LOW, gettext_lazy("Keterwakilan perempuan kurang")),
    ("none", gettext_lazy("Tanpa peringatan")),
]


def _active_board() -> QuerySet[BoardMember]:
    return BoardMember.objects.filter(bkm=OuterRef("pk"), is_active=True)


def _count_subquery(qs: QuerySet[Any]) -> Coalesce:
    counted = qs.order_by().values("bkm").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def annotate_bkm_stats(qs: QuerySet[BKM]) -> QuerySet[BKM]:
    """Board size, women, earliest term end, coordinator, handover: one SQL query. The kelurahan comes
    without its boundary (GeoJSON: kilobytes a kelurahan once real boundaries are loaded, decoded for
    every row of a list that only shows its name)."""
    active = _active_board()
    return (
        qs.select_related("kelurahan__kecamatan")
        .defer("kelurahan__boundary")
        .annotate(
            board_size=_count_subquery(active),
            women_count=_count_subquery(active.filter(gender=Gender.PEREMPUAN)),
            term_end_min=Subquery(active.order_by("term_end").values("term_end")[:1]),
            coordinator_name=Subquery(
                active.filter(position=BoardPosition.KOORDINATOR).order_by("pk").values("name")[:1]
            ),
            handover_done=Exists(Handover.objects.filter(bkm=OuterRef("pk"))),
        )
    )


def _warning_q(code: str, *, on: datetime.date) -> Q:
    horizon = on + datetime.timedelta(days=settings.BKM_TERM_WARNING_DAYS)
    lo, hi = settings.BKM_BOARD_SIZE_MIN, settings.BKM_BOARD_SIZE_MAX
    share = women_share_min_pct()
    if code == WarningCode.TERM_EXPIRED:
        return Q(term_end_min__lt=on)
    if code == WarningCode.TERM_ENDING:
        return Q(term_end_min__gte=on, term_end_min__lte=horizon)
    if code == "term":
        return Q(term_end_min__lte=horizon)
    if code == "board_size":
        return _warning_q("board_short", on=on) | Q(board_size__gt=hi)
    if code == "board_short":  # NO_BOARD or BOARD_SMALL in `bkm_warnings` (the dashboard counts it)
        return Q(board_size__lt=lo)
    if code == WarningCode.WOMEN_LOW:
        return Q(board_size__gt=0, women_pct_x__lt=share * F("board_size"))
    if code == "any":
        return _warning_q("term", on=on) | _warning_q("board_size", on=on) | _warning_q(WarningCode.WOMEN_LOW, on=on)
    raise ValueError(code)


def filter_bkms_by_warning(qs: QuerySet[BKM], code: str, *, on: datetime.date | None = None) -> QuerySet[BKM]:
    """Narrow an `annotate_bkm_stats` queryset to the BKMs with the given warning."""
    on = on or today()
    qs = qs.annotate(women_pct_x=ExpressionWrapper(F("women_count") * 100, output_field=IntegerField()))
    if code == "none":
        return qs.exclude(_warning_q("any", on=on))
    return qs.filter(_warning_q(code, on=on))


def bkm_warnings(bkm: Any, *, on: datetime.date | None = None) -> list[BKMWarning]:
    """The warnings of one BKM; uses the annotations when present, else queries."""
    on = on or today()
    if hasattr(bkm, "board_size"):
        size, women, term_end = bkm.board_size, bkm.women_count, bkm.term_end_min
    else:
        board = list(bkm.board_members.filter(is_active=True).values_list("gender", "term_end"))
        size = len(board)
        women = sum(1 for g, _e in board if g == Gender.PEREMPUAN)
        term_end = min((e for _g, e in board), default=None)
    lo, hi = settings.BKM_BOARD_SIZE_MIN, settings.BKM_BOARD_SIZE_MAX
    warnings: list[BKMWarning] = []
    if term_end is not None:
        days = (term_end - on).days
        if days < 0:
            warnings.append(
                BKMWarning(
                    WarningCode.TERM_EXPIRED,
                    _("Masa bakti pengurus habis sejak %(date)s.") % {"date": term_end.strftime("%d-%m-%Y")},
                    "danger",
                )
            )
        elif days <= settings.BKM_TERM_WARNING_DAYS:
            warnings.append(
                BKMWarning(
                    WarningCode.TERM_ENDING,
                    _("Masa bakti pengurus habis dalam %(days)s hari (%(date)s).")
                    % {"days": days, "date": term_end.strftime("%d-%m-%Y")},
                )
            )
    if size == 0:
        warnings.append(BKMWarning(WarningCode.NO_BOARD, _("Belum ada pengurus aktif tercatat."), "danger"))
    elif size < lo:
        warnings.append(
            BKMWarning(
                WarningCode.BOARD_SMALL,
                _("Jumlah pengurus %(n)s, kurang dari minimal %(min)s.") % {"n": size, "min": lo},
            )
        )
    elif size > hi:
        warnings.append(
            BKMWarning(
                WarningCode.BOARD_LARGE,
                _("Jumlah pengurus %(n)s, lebih dari maksimal %(max)s.") % {"n": size, "max": hi},
            )
        )
    if size and women * 100 < women_share_min_pct() * size:
        warnings.append(
            BKMWarning(
                WarningCode.WOMEN_LOW,
                _("Perempuan hanya %(pct)s%% pengurus (minimal %(min)s%%).")
                % {"pct": women_share_pct(women, size), "min": women_share_min_pct()},
            )
        )
    return warnings


def women_share_pct(women: int, size: int) -> Decimal | None:
    if not size:
        return None
    return (Decimal(women) * 100 / Decimal(size)).quantize(Decimal(1), rounding=ROUND_HALF_UP)


# --- The BKM list ---------------------------------------------------------------


def bkm_list_with_warnings(*, user: Any) -> QuerySet[BKM]:
    """The BKMs the user may see, each annotated for `bkm_warnings` (`filters.BKMFilterSet` narrows it).

    One SQL query for any number of rows (plus one for a count when paginated).
    """
    qs = annotate_bkm_stats(filter_bkms_for(user, BKM.objects.all()))
    return qs.order_by("kelurahan__kecamatan__name", "kelurahan__name", "name")


def bkm_export_rows(qs: Iterable[Any], *, on: datetime.date | None = None) -> Iterable[list[Any]]:
    """Header then one row per annotated BKM, for CSV and XLSX alike."""
    yield [
        _("Nama BKM/LKM"),
        _("Kecamatan"),
        _("Kelurahan"),
        _("Status"),
        _("Alamat sekretariat"),
        _("Telepon"),
        _("Email"),
        _("Tanggal pembentukan"),
        _("Nomor akta"),
        _("Koordinator"),
        _("Jumlah pengurus"),
        _("Perempuan (%)"),
        _("Akhir masa bakti"),
        _("Serah terima"),
        _("Peringatan"),
    ]
    for bkm in qs:
        share = women_share_pct(bkm.women_count, bkm.board_size)
        yield [
            bkm.name,
            bkm.kelurahan.kecamatan.name,
            bkm.kelurahan.name,
            bkm.get_status_display(),
            bkm.address,
            bkm.phone,
            bkm.email,
            bkm.date_formed,
            bkm.akta_number,
            bkm.coordinator_name or "",
            bkm.board_size,
            "" if share is None else int(share),
            bkm.term_end_min,
            _("Ya") if bkm.handover_done else _("Belum"),
            "; ".join(w.message for w in bkm_warnings(bkm, on=on)),
        ]


# --- One BKM ----------------------------------------------------------------------


def bkm_profile_queryset() -> QuerySet[BKM]:
    """BKMs as `bkm_profile` reads them: annotated, with their handover (a one-to-one) in the same query."""
    return annotate_bkm_stats(BKM.objects.select_related("handover__berita_acara"))


def bkm_get_annotated(*, pk: int) -> BKM:
    return bkm_profile_queryset().get(pk=pk)


@dataclass(frozen=True)
class RPLPRow:
    """An RPLP item with its status (derived by `models.rplp_status_from`) and the proposals carrying it out."""

    item: RPLPItem
    status: RPLPStatus
    proposals: list[Proposal]


def rplp_item_rows(qs: QuerySet[RPLPItem]) -> list[RPLPRow]:
    """RPLP items with their derived status, in two queries whatever their number.

    The screens, the public pages and the open-data API read an item's status
    here, so the rule stays in `rplp_status_from` alone.
    """
    items = list(
        qs.select_related("slum_area", "bkm").prefetch_related(
            Prefetch(
                "proposals",
                queryset=Proposal.objects.only("pk", "title", "status", "year", "rplp_item_id").order_by("year", "pk"),
            )
        )
    )
    rows = []
    for item in items:
        proposals = list(item.proposals.all())
        rows.append(RPLPRow(item, rplp_status_from(p.status for p in proposals), proposals))
    return rows


@dataclass
class BKMProfile:
    """Everything the BKM page (and the Profil BKM report) shows about one BKM."""

    bkm: BKM
    warnings: list[BKMWarning]
    board: list[BoardMember]
    former_board: list[BoardMember]
    elections: list[Election]
    units: list[Unit]
    documents: list[Document]
    missing_document_types: list[str]
    bank_accounts: list[BankAccount]
    handover: Handover | None
    slum_areas: list[SlumArea]
    proposals: list[Proposal]
    assessments: list[Assessment]
    audits: list[AuditRecord]
    women_share: Decimal | None
    rplp: list[RPLPRow]


def _missing_document_types(present: set[str]) -> list[str]:
    return [str(t.label) for t in REQUIRED_DOCUMENT_TYPES if t not in present]


@dataclass(frozen=True)
class BKMTodo:
    """What a BKM must put right: its warnings (term, board) and missing documents."""

    warnings: list[BKMWarning]
    missing_document_types: list[str]

    @property
    def empty(self) -> bool:
        return not (self.warnings or self.missing_document_types)


def bkm_todo(*, bkm: BKM, on: datetime.date | None = None) -> BKMTodo:
    """The coordinator's to-do list (one query with an `annotate_bkm_stats` BKM, three without)."""
    present = set(bkm.documents.values_list("doc_type", flat=True))
    return BKMTodo(bkm_warnings(bkm, on=on), _missing_document_types(present))


@dataclass
class BKMOverview:
    """The top of the BKM page: its warnings, board, elections, units, accounts and slum areas."""

    bkm: BKM
    warnings: list[BKMWarning]
    board: list[BoardMember]
    former_board: list[BoardMember]
    elections: list[Election]
    units: list[Unit]
    bank_accounts: list[BankAccount]
    slum_areas: list[SlumArea]
    women_share: Decimal | None


@dataclass
class BKMRecords:
    """The BKM page's records below the fold (loaded on demand): documents, handover, RPLP, proposals,
    assessments and audits."""

    documents: list[Document]
    missing_document_types: list[str]
    handover: Handover | None
    proposals: list[Proposal]
    assessments: list[Assessment]
    audits: list[AuditRecord]
    rplp: list[RPLPRow]


def bkm_overview(*, bkm: BKM, on: datetime.date | None = None) -> BKMOverview:
    """Five queries with an `annotate_bkm_stats` BKM (six without)."""
    annotated: Any = bkm if hasattr(bkm, "board_size") else bkm_get_annotated(pk=bkm.pk)
    bkm = annotated
    # "-position": koordinator sorts before anggota.
    members = list(bkm.board_members.select_related("election").order_by("-is_active", "-position", "name"))
    return BKMOverview(
        bkm=bkm,
        warnings=bkm_warnings(bkm, on=on),
        board=[m for m in members if m.is_active],
        former_board=[m for m in members if not m.is_active],
        elections=list(bkm.elections.all()),
        units=list(
            bkm.units.prefetch_related(
                Prefetch("people", queryset=UnitPerson.objects.order_by("-is_active", "position", "name"))
            )
        ),
        bank_accounts=list(bkm.bank_accounts.all()),
        slum_areas=list(
            SlumArea.objects.filter(kelurahan_id=bkm.kelurahan_id)
            .defer("geometry")  # the page's map reads it from the map data, not from here
            .prefetch_related(Prefetch("measures", queryset=SlumMeasure.objects.order_by("year")))
        ),
        women_share=women_share_pct(annotated.women_count, annotated.board_size),
    )


def bkm_records(*, bkm: BKM) -> BKMRecords:
    """A bounded number of queries (about ten) whatever the size of the record; the handover is read
    from the BKM when it was selected with it (`bkm_profile_queryset`)."""
    documents = list(
        bkm.documents.prefetch_related(
            Prefetch("versions", queryset=DocumentVersion.objects.select_related("uploaded_by").order_by("-version"))
        )
    )
    try:
        handover: Handover | None = bkm.handover
    except Handover.DoesNotExist:
        handover = None
    return BKMRecords(
        documents=documents,
        missing_document_types=_missing_document_types({d.doc_type for d in documents}),
        handover=handover,
        proposals=list(
            bkm.proposals.select_related("opd", "slum_area").defer("slum_area__geometry").order_by("-year", "title")
        ),
        assessments=list(
            bkm.assessments.prefetch_related(
                Prefetch("scores", queryset=AssessmentScore.objects.select_related("aspect"))
            )
        ),
        audits=list(bkm.audits.select_related("report_document")),
        rplp=rplp_item_rows(bkm.rplp_items.all()),
    )


def bkm_profile(*, bkm: BKM, on: datetime.date | None = None) -> BKMProfile:
    """The whole record (the Profil BKM report): the page's overview and its records, about a dozen
    queries whatever the size of the record."""
    overview = bkm_overview(bkm=bkm, on=on)
    records = bkm_records(bkm=overview.bkm)
    return BKMProfile(**vars(overview), **vars(records))


# The data version raised by every write to the registry's tables (migration 0012): the BKM page's
# overview, records and history are kept in the cache under it.
REGISTRY_VERSION = "bkm_registry"


def bkm_overview_kept(*, pk: int) -> BKMOverview:
    """`bkm_overview` of BKM `pk` today, read as the BKM page reads it (`bkm_profile_queryset`), kept
    under the registry's version; keyed by the day (its warnings read the clock) and the language (their
    messages are translated when computed). `BKM.DoesNotExist` when there is none."""
    on = today()

    def compute() -> BKMOverview:
        return bkm_overview(bkm=bkm_get_annotated(pk=pk), on=on)

    return kept(REGISTRY_VERSION, f"bkm-overview:{pk}:{on.isoformat()}:{get_language()}", compute)


@dataclass
class BKMRecordsPage:
    """What the BKM page's records fragment reads: the BKM (with its handover), its records and the
    latest entries of its history."""

    bkm: BKM
    records: BKMRecords
    history: list[HistoryEntry]


def bkm_records_kept(*, pk: int, history_limit: int) -> BKMRecordsPage:
    """`bkm_records` and `bkm_history` of BKM `pk`, kept under the registry's version (keyed by the
    language: history labels and values are translated when computed). `BKM.DoesNotExist` when there
    is none."""

    def compute() -> BKMRecordsPage:
        bkm = BKM.objects.select_related("kelurahan__kecamatan", "handover__berita_acara").get(pk=pk)
        return BKMRecordsPage(bkm, bkm_records(bkm=bkm), bkm_history(bkm=bkm, limit=history_limit))

    return kept(REGISTRY_VERSION, f"bkm-records:{pk}:{history_limit}:{get_language()}", compute)


# --- Change history -----------------------------------------------------------------


@dataclass
class HistoryChange:
    field: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: datetime.datetime
    who: str
    model: str
    obj: str
    action: str
    changes: list[HistoryChange]


_ACTIONS = {"+": "dibuat", "~": "diubah", "-": "dihapus"}


def _display(model_field: Any, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if model_field.name == "nik":
        # History is read by every reader of the BKM: never the full NIK.
        return mask_nik(str(value))
    choices = getattr(model_field, "choices", None)
    if choices:
        return str(dict(choices).get(value, value))
    if isinstance(value, bool):
        return _("ya") if value else _("tidak")
    if isinstance(value, datetime.date):
        return value.strftime("%d-%m-%Y")
    return str(value)


@functools.cache
def _history_model(model: Any) -> Any:
    """`model.history.model`, looked up once: simple_history's `history` descriptor builds a new manager
    class on every access (~0.1 ms; fifteen per BKM history read)."""
    return model.history.model


def _history_sources(bkm: BKM) -> list[tuple[Any, str, list[Any]]]:
    """Each historical model of the registry and the SQL condition (on its table, aliased `h`) of
    its rows that belong to this BKM: the BKM's own records by their `bkm` column, those under
    units, documents, proposals and assessments through their parent's."""

    def column(model: Any, name: str) -> str:
        return str(model._meta.get_field(name).column)

    def own(model: Any) -> tuple[Any, str, list[Any]]:
        return _history_model(model), f"h.{column(model, 'bkm')} = %s", [bkm.pk]

    def under(model: Any, parent_field: str) -> tuple[Any, str, list[Any]]:
        parent = model._meta.get_field(parent_field).related_model
        sql = f"h.{column(model, parent_field)} IN (SELECT id FROM {parent._meta.db_table} WHERE {column(parent, 'bkm')} = %s)"  # noqa: S608, E501 - names from the models
        return _history_model(model), sql, [bkm.pk]

    return [
        (_history_model(BKM), "h.id = %s", [bkm.pk]),
        own(BoardMember),
        own(Election),
        own(Unit),
        under(UnitPerson, "unit"),
        own(Document),
        under(DocumentVersion, "document"),
        own(BankAccount),
        own(Handover),
        own(Proposal),
        under(ProposalEvent, "proposal"),
        own(Assessment),
        under(AssessmentScore, "assessment"),
        own(AuditRecord),
        own(RPLPItem),
    ]


_HIDDEN_FIELDS = {"id", "created_at", "updated_at", "sha256", "file"}


def _history_rows(sources: list[tuple[Any, str, list[Any]]]) -> list[list[dict[str, Any]]]:
    """The rows of every source, each as a dict of column → database value, in ONE query.

    The fifteen historical tables have different columns, so each source's rows are read as JSON
    and the sources joined with UNION ALL: the BKM page paid one round trip per table before (15,
    plus 4 to list the children's ids and one for the aspect names). A score row carries its
    aspect's name (`_object_label`). Decimals are read back as Decimal, dates and times as ISO
    text (`_history_values` converts them).
    """
    from .models import AssessmentAspect

    if connection.vendor != "postgresql":
        return _history_rows_portable(sources)
    parts: list[str] = []
    params: list[Any] = []
    for index, (hist_model, condition, condition_params) in enumerate(sources):
        row = "to_jsonb(h)"
        if hist_model.instance_type is AssessmentScore:
            aspect = f"(SELECT a.name FROM {AssessmentAspect._meta.db_table} a WHERE a.id = h.aspect_id)"  # noqa: S608
            row = f"to_jsonb(h) || jsonb_build_object('aspect_name', {aspect})"
        table = hist_model._meta.db_table
        parts.append(f"SELECT {index} AS src, ({row})::text AS row FROM {table} h WHERE {condition}")  # noqa: S608
        params.extend(condition_params)
    rows: list[list[dict[str, Any]]] = [[] for _ in sources]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for src, text in cursor.fetchall():
            rows[src].append(json.loads(text, parse_float=Decimal))
    for source_rows in rows:
        source_rows.sort(key=lambda r: (r["id"], r["history_id"]))
    return rows


def _history_rows_portable(sources: list[tuple[Any, str, list[Any]]]) -> list[list[dict[str, Any]]]:
    """`_history_rows` elsewhere than PostgreSQL (the embedded SQLite demo has no `to_jsonb`): one
    query per source, each row as the same dict (the history date as ISO text, as JSON gives it)."""
    from .models import AssessmentAspect

    rows: list[list[dict[str, Any]]] = []
    for hist_model, condition, condition_params in sources:
        extra = ""
        if hist_model.instance_type is AssessmentScore:
            extra = (
                f", (SELECT a.name FROM {AssessmentAspect._meta.db_table} a WHERE a.id = h.aspect_id) AS aspect_name"  # noqa: S608 - names from the models
            )
        table = hist_model._meta.db_table
        source_rows = []
        for obj in hist_model.objects.raw(f"SELECT h.*{extra} FROM {table} h WHERE {condition}", condition_params):  # noqa: S608
            row = {f.attname: getattr(obj, f.attname) for f in hist_model._meta.concrete_fields}
            row["history_date"] = obj.history_date.isoformat()
            if extra:
                row["aspect_name"] = getattr(obj, "aspect_name", None)
            source_rows.append(row)
        source_rows.sort(key=lambda r: (r["id"], r["history_id"]))
        rows.append(source_rows)
    return rows


def _history_values(row: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """A JSON history row's tracked fields as Python values (what a model instance would hold)."""
    values = {}
    for name, model_field in fields.items():
        raw = row.get(model_field.attname)
        try:
            values[name] = None if raw is None else model_field.to_python(raw)
        except ValidationError:
            values[name] = raw
    return values


def bkm_history(*, bkm: BKM, limit: int | None = 50) -> list[HistoryEntry]:
    """The change history of a BKM and everything recorded under it, newest first.

    Two queries whatever the number of historical models (the rows of all of them, then their
    users); diffs computed in memory
    between consecutive versions of each object, field by field as `diff_against` does.
    """
    entries: list[HistoryEntry] = []
    sources = _history_sources(bkm)
    all_rows = _history_rows(sources)
    user_ids = {r["history_user_id"] for rows in all_rows for r in rows if r.get("history_user_id")}
    users = get_user_model().objects.in_bulk(user_ids) if user_ids else {}
    for (hist_model, _condition, _params), rows in zip(sources, all_rows, strict=True):
        instance_model = hist_model.instance_type
        fields = {f.name: f for f in instance_model._meta.fields if f.name not in _HIDDEN_FIELDS and f.editable}
        previous: dict[int, dict[str, Any]] = {}
        verbose = str(instance_model._meta.verbose_name)
        for row in rows:
            values = _history_values(row, fields)
            prev = previous.get(row["id"])
            changes: list[HistoryChange] = []
            if prev is not None and row["history_type"] == "~":
                for name in sorted(fields):  # by field name, as `diff_against` orders its changes
                    if values[name] != prev[name]:
                        model_field = fields[name]
                        changes.append(
                            HistoryChange(
                                field=str(model_field.verbose_name),
                                old=_display(model_field, prev[name]),
                                new=_display(model_field, values[name]),
                            )
                        )
            previous[row["id"]] = values
            if row["history_type"] == "~" and prev is not None and not changes:
                continue  # a save that changed nothing visible
            user = users.get(row.get("history_user_id"))
            entries.append(
                HistoryEntry(
                    when=parse_datetime(row["history_date"]) or timezone.now(),
                    who=str(user) if user else _("sistem"),
                    model=verbose,
                    obj=_object_label(row, instance_model),
                    action=_ACTIONS.get(row["history_type"], row["history_type"]),
                    changes=changes,
                )
            )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit] if limit else entries


def _object_label(row: dict[str, Any], instance_model: Any) -> str:
    if instance_model is AssessmentScore:
        return row.get("aspect_name") or f"#{row['id']}"
    if instance_model is DocumentVersion:
        return f"{row['original_name']} (v{row['version']})"
    for attr in ("name", "title", "fiscal_year", "year", "version"):
        value = row.get(attr)
        if value not in (None, ""):
            return str(value)
    if instance_model is ProposalEvent:
        return f"{row['from_status'] or '-'} → {row['to_status']}"
    if instance_model is Handover:
        return str(_("serah terima"))
    return f"#{row['id']}"


# --- Proposals, slum areas, OPD -------------------------------------------------------


def proposal_list(*, user: Any) -> QuerySet[Proposal]:
    """The proposals the user may see (`filters.ProposalFilterSet` narrows it), with the time of the last step."""
    # Without the kelurahan's boundary and the slum area's delineation (GeoJSON the lists never show).
    qs = (
        filter_proposals_for(user, Proposal.objects.all())
        .select_related("bkm", "opd", "kelurahan__kecamatan", "slum_area")
        .defer("kelurahan__boundary", "slum_area__geometry")
    )
    # Time of the last step, for "stuck in one status" warnings of the dashboard.
    last_step = ProposalEvent.objects.filter(proposal=OuterRef("pk")).order_by("-at", "-pk").values("at")[:1]
    return qs.annotate(status_since=Subquery(last_step)).order_by("-year", "bkm__name", "title")


def proposal_detail(*, pk: int) -> Proposal:
    return (
        Proposal.objects.select_related("bkm__kelurahan", "opd", "kelurahan__kecamatan", "slum_area", "rplp_item")
        .prefetch_related(
            Prefetch("events", queryset=ProposalEvent.objects.select_related("actor").order_by("at", "pk")),
            "attachments",
        )
        .get(pk=pk)
    )


def slum_area_list(*, kecamatan: int | None = None, kelurahan: int | None = None) -> QuerySet[SlumArea]:
    qs = SlumArea.objects.select_related("kelurahan__kecamatan").prefetch_related(
        Prefetch("measures", queryset=SlumMeasure.objects.order_by("year"))
    )
    if kecamatan:
        qs = qs.filter(kelurahan__kecamatan_id=kecamatan)
    if kelurahan:
        qs = qs.filter(kelurahan_id=kelurahan)
    return qs.order_by("kelurahan__kecamatan__name", "kelurahan__name", "name")


# --- Self-service submissions: where each stands (issue 15) -------------------------------


class Stage:
    """Where a submission stands, across proposals, LPJs and measure updates."""

    DRAFT = "draf"
    WAITING = "menunggu"
    RETURNED = "dikembalikan"
    ACCEPTED = "diterima"

    LABELS: dict[str, Any] = {
        DRAFT: gettext_lazy("Draf (belum diajukan)"),
        WAITING: gettext_lazy("Menunggu verifikasi"),
        RETURNED: gettext_lazy("Dikembalikan ke BKM"),
        ACCEPTED: gettext_lazy("Diterima"),
    }
    # The one mapping: for each stage, the proposal statuses and the submission statuses it covers.
    STATUSES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
        DRAFT: (frozenset({ProposalStatus.DRAF}), frozenset()),
        WAITING: (frozenset({ProposalStatus.DIAJUKAN}), frozenset({SubmissionStatus.DIAJUKAN})),
        RETURNED: (frozenset({ProposalStatus.DIKEMBALIKAN}), frozenset({SubmissionStatus.DIKEMBALIKAN})),
        ACCEPTED: (
            frozenset(ProposalStatus.values)
            - {ProposalStatus.DRAF, ProposalStatus.DIAJUKAN, ProposalStatus.DIKEMBALIKAN},
            frozenset({SubmissionStatus.DITERIMA}),
        ),
    }

    @classmethod
    def of(cls, kind: str, status: str) -> str:
        index = 0 if kind == SubmissionKind.PROPOSAL else 1
        return next(stage for stage, sets in cls.STATUSES.items() if status in sets[index])


@dataclass(frozen=True)
class SubmissionRow:
    kind: str
    kind_label: str
    title: str
    bkm: BKM
    status_label: str
    stage: str
    stage_label: str
    at: datetime.datetime | None
    review_note: str
    url: str


def _self_service_proposals() -> QuerySet[Proposal]:
    """Proposals the BKM itself drafted (self-service), not the ones staff recorded from paper."""
    return Proposal.objects.filter(
        Exists(ProposalEvent.objects.filter(proposal=OuterRef("pk"), to_status=ProposalStatus.DRAF))
    )


def submission_rows(
    *,
    user: Any,
    stage: str | None = None,
    bkm_id: int | None = None,
    kind: str | None = None,
    year: int | None = None,
) -> list[SubmissionRow]:
    """The user's visible submissions of every kind, newest first (at most three queries; a kind
    filter skips the other kinds' queries). The filters are those of `bkm.filters.SubmissionFilterSet`."""
    proposal_statuses: set[str] | None = None
    submission_statuses: set[str] | None = None
    if stage in Stage.STATUSES:
        proposal_statuses, submission_statuses = (set(s) for s in Stage.STATUSES[stage])
    proposals = filter_proposals_for(user, _self_service_proposals()).select_related("bkm")
    lpjs = filter_lpj_reports_for(user).select_related("bkm")
    updates = filter_measure_updates_for(user).select_related("bkm", "slum_area")
    if bkm_id is not None:
        proposals, lpjs, updates = (qs.filter(bkm_id=bkm_id) for qs in (proposals, lpjs, updates))  # type: ignore[assignment]
    if year is not None:
        proposals, lpjs, updates = (qs.filter(year=year) for qs in (proposals, lpjs, updates))  # type: ignore[assignment]
    if kind in SubmissionKind.values:
        proposals, lpjs, updates = (  # type: ignore[assignment]
            qs if k == kind else qs.none()
            for k, qs in (
                (SubmissionKind.PROPOSAL, proposals),
                (SubmissionKind.LPJ, lpjs),
                (SubmissionKind.MEASURE, updates),
            )
        )
    if proposal_statuses is not None:
        proposals = proposals.filter(status__in=proposal_statuses)
        lpjs = lpjs.filter(status__in=submission_statuses)
        updates = updates.filter(status__in=submission_statuses)
    last_step = ProposalEvent.objects.filter(proposal=OuterRef("pk")).order_by("-at", "-pk")
    proposals = proposals.annotate(
        last_at=Subquery(last_step.values("at")[:1]), last_note=Subquery(last_step.values("note")[:1])
    )
    rows: list[SubmissionRow] = []
    kind_labels = dict(SubmissionKind.choices)
    for p in proposals:
        st = Stage.of(SubmissionKind.PROPOSAL, p.status)
        rows.append(
            SubmissionRow(
                SubmissionKind.PROPOSAL,
                str(kind_labels[SubmissionKind.PROPOSAL]),
                p.title,
                p.bkm,
                p.get_status_display(),
                st,
                str(Stage.LABELS[st]),
                p.last_at,  # type: ignore[attr-defined]
                (p.last_note or "") if st == Stage.RETURNED else "",  # type: ignore[attr-defined]
                reverse("bkm:proposal_detail", args=[p.pk]),
            )
        )
    for lpj in lpjs:
        st = Stage.of(SubmissionKind.LPJ, lpj.status)
        rows.append(
            SubmissionRow(
                SubmissionKind.LPJ,
                str(kind_labels[SubmissionKind.LPJ]),
                _("LPJ tahun %(year)s") % {"year": lpj.year},
                lpj.bkm,
                lpj.get_status_display(),
                st,
                str(Stage.LABELS[st]),
                lpj.reviewed_at if lpj.reviewed_at and lpj.reviewed_at > lpj.submitted_at else lpj.submitted_at,
                lpj.review_note if st == Stage.RETURNED else "",
                reverse("bkm:lpj_detail", args=[lpj.pk]),
            )
        )
    for u in updates:
        st = Stage.of(SubmissionKind.MEASURE, u.status)
        rows.append(
            SubmissionRow(
                SubmissionKind.MEASURE,
                str(kind_labels[SubmissionKind.MEASURE]),
                f"{u.slum_area.name} {u.year}",
                u.bkm,
                u.get_status_display(),
                st,
                str(Stage.LABELS[st]),
                u.reviewed_at if u.reviewed_at and u.reviewed_at > u.submitted_at else u.submitted_at,
                u.review_note if st == Stage.RETURNED else "",
                reverse("bkm:measure_update_detail", args=[u.pk]),
            )
        )
    epoch = timezone.make_aware(datetime.datetime(2000, 1, 1))
    rows.sort(key=lambda r: r.at or epoch, reverse=True)
    return rows


def notices_for(*, user: Any, limit: int = 20) -> list[Notice]:
    return list(filter_notices_for(user).select_related("bkm", "actor").order_by("read_at", "-created_at")[:limit])


def unread_notice_count(*, user: Any) -> int:
    return filter_notices_for(user).filter(read_at__isnull=True).count()


def lpj_detail(*, pk: int) -> LPJReport:
    return LPJReport.objects.select_related("bkm__kelurahan", "submitted_by", "reviewed_by", "document").get(pk=pk)


def measure_update_detail(*, pk: int) -> SlumMeasureUpdate:
    return SlumMeasureUpdate.objects.select_related(
        "bkm__kelurahan", "slum_area__kelurahan", "submitted_by", "reviewed_by", "measure"
    ).get(pk=pk)
