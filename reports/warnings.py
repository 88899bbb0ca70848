"""Early warnings: a registry of providers, shown on the staff dashboard, the
warnings list and the page of each warning's subject.

A provider is a function `provider(only=None)` returning `EarlyWarning`s;
register it with `@warning_provider(subject="bkm" | "proposal" | "upk")`.
`only` narrows it to some subjects (ids of its subject type), so the subject's
page (`{% subject_warnings %}`, reports_tags) runs the very rule the dashboard
runs, for one subject. Providers read through selectors, like every screen.
Each domain's rule is its own (the registry's board rules are
`bkm.selectors.bkm_warnings`, the package due day is
`selectors.upk_packages_missing_ids`); providers only turn them into lines.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Collection, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from django.db import connections, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.links import id_url

from . import conf
from .models import WarningAcknowledgement

if TYPE_CHECKING:
    from .kept import Tokens

logger = logging.getLogger(__name__)

Severity = Literal["danger", "warning", "info"]
SEVERITY_ORDER = {"danger": 0, "warning": 1, "info": 2}
SEVERITY_CHOICES = [
    ("danger", gettext_lazy("Tinggi")),
    ("warning", gettext_lazy("Sedang")),
    ("info", gettext_lazy("Info")),
]

# Each kind of warning (the first part of its key), in the order the lists group them.
KIND_LABELS: dict[str, Any] = {
    "upk-par": gettext_lazy("PAR UPK memburuk atau naik terus"),
    "upk-package-missing": gettext_lazy("Laporan bulanan UPK belum dikirim"),
    "proposal-stuck": gettext_lazy("Usulan tertahan di satu status"),
    "bkm-term": gettext_lazy("Masa bakti pengurus BKM"),
    "bkm-board-short": gettext_lazy("Pengurus BKM kurang"),
    "bkm-no-coordinator": gettext_lazy("BKM tanpa pengguna koordinator"),
    "bkm-incomplete": gettext_lazy("Data registri BKM belum lengkap"),
    "bkm-forum-silent": gettext_lazy("BKM tidak menulis di forum"),
    "provider-error": gettext_lazy("Pemeriksaan yang gagal"),
}


@dataclass(frozen=True)
class EarlyWarning:
    """One warning: `key` is stable for the same problem in the same state (acknowledgements hang on it)."""

    key: str
    severity: Severity
    subject: str
    url: str
    reason: str
    domain: str = ""
    # What the warning is about: the page `url` opens shows it too (reports_tags.subject_warnings).
    subject_type: str = ""  # "bkm", "proposal" or "upk"
    subject_id: int | None = None
    kecamatan_id: int | None = None
    kecamatan: str = ""

    @property
    def kind(self) -> str:
        return self.key.split(":", 1)[0]

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))


@dataclass
class WarningItem:
    warning: EarlyWarning
    acknowledgement: WarningAcknowledgement | None = None

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledgement is not None


Provider = Callable[..., Iterable[EarlyWarning]]


@dataclass
class _Registry:
    providers: dict[str, Provider] = field(default_factory=dict)
    subjects: dict[str, str] = field(default_factory=dict)  # provider name → subject type
    kinds: dict[str, str] = field(default_factory=dict)  # provider name → the one kind it reports, when declared
    # provider name → (kind, its rule as a queryset of subjects, one warning each): see `warning_summary`.
    counted: dict[str, tuple[str, Callable[[], QuerySet]]] = field(default_factory=dict)
    takes_subject: set[str] = field(default_factory=set)  # providers accepting `subject=` (see collect_warnings)
    kept: dict[str, str] = field(default_factory=dict)  # provider name → what keys its kept results (warning_summary)


_registry = _Registry()


def warning_provider(
    func: Provider | None = None,
    *,
    subject: str = "",
    kind: str = "",
    rows: Callable[[], QuerySet] | None = None,
    takes_subject: bool = False,
    kept: Literal["", "inputs", "upk"] = "",
) -> Any:
    """Register a provider: `@warning_provider(subject="bkm")` (or bare `@warning_provider`, no subject page).

    `kind`: the one kind of warning the provider reports, when it reports one (`collect_warnings(kind=…)`
    then runs only the providers of that kind, and those that declare none).
    A provider whose warnings are one per row of a queryset names it: `rows` (the rule, a queryset of its
    subjects ordered as the warnings are, one `kind`), and accepts `rows=` (a narrowed or sliced copy) besides
    `only=`. The dashboard then counts the rule in SQL and builds only the warnings it shows.
    `takes_subject`: the provider accepts `subject=`, the one subject's object as its page already read it
    (`collect_warnings(subject=…)`), and judges it instead of reading it again.
    `kept`: the dashboard keeps what the provider found (`reports.kept`) instead of running it on every
    request. "inputs": every table its rules read raises a version of the warnings' inputs (the list in
    migration reports.0004_warning_input_versions); "upk": every table its rules read is in that list or
    raises the UPKs' figures versions (`kept.Tokens.upk`)."""

    def register(f: Provider) -> Provider:
        name = f"{f.__module__}.{f.__name__}"
        _registry.providers[name] = f
        _registry.subjects[name] = subject
        if kind:
            _registry.kinds[name] = kind
        if rows is not None:
            _registry.counted[name] = (kind, rows)
        if takes_subject:
            _registry.takes_subject.add(name)
        if kept:
            _registry.kept[name] = kept
        return f

    return register(func) if func is not None else register


def registered_providers() -> list[Provider]:
    return list(_registry.providers.values())


def subject_url(url_names: Iterable[tuple[str, list]], admin_name: str = "", admin_args: list | None = None) -> str:
    """The first screen URL that exists (the registry's screens arrive after the merge), else the admin page."""
    for name, args in url_names:
        url = _reverse(name, tuple(args))
        if url is not None:
            return url
    if admin_name:
        return _reverse(admin_name, tuple(admin_args or ())) or ""
    return ""


def _reverse(name: str, args: tuple) -> str | None:
    """The subject's URL, or None when `name` does not exist (`core.links.id_url`: each name reversed
    once per process; warnings name thousands of subjects at province scale)."""
    try:
        return id_url(name, *args)
    except NoReverseMatch:
        return None


def collect_warnings(
    *, subject_type: str = "", subject_id: int | None = None, kind: str = "", subject: Any = None
) -> list[WarningItem]:
    """All current warnings (or those of one subject, from its type's providers only; or those of one
    `kind`, from the providers of that kind only), unacknowledged first, then by severity; acknowledgements
    in one query. `subject`: the subject `subject_id` names as its page read it (e.g. the BKM page's
    `annotate_bkm_stats` BKM), handed to the providers that take it so they need not read it again."""
    warnings: list[EarlyWarning] = []
    for name, provider in _registry.providers.items():
        if subject_type and _registry.subjects.get(name) != subject_type:
            continue
        if kind and _registry.kinds.get(name, kind) != kind:
            continue
        try:
            if subject_type:
                extra = {"subject": subject} if subject is not None and name in _registry.takes_subject else {}
                warnings.extend(w for w in provider(only=[subject_id], **extra) if w.subject_id == subject_id)
            else:
                warnings.extend(provider())
        except Exception:
            warnings.append(_provider_error(name))
    if kind:
        warnings = [w for w in warnings if w.kind == kind]
    return _items(warnings)


def _provider_error(name: str) -> EarlyWarning:
    # One broken provider must not take the dashboard down with it.
    logger.exception("Warning provider %s failed", name)
    return EarlyWarning(
        key=f"provider-error:{name}",
        severity="info",
        subject=_("Pemeriksaan peringatan"),
        url="",
        reason=_("Peringatan dari %(name)s tidak dapat dihitung.") % {"name": name},
    )


def _items(warnings: list[EarlyWarning]) -> list[WarningItem]:
    """Warnings with their acknowledgements (one query), unacknowledged first, then by severity and subject."""
    acks = {
        a.key: a
        for a in WarningAcknowledgement.objects.filter(key__any_of=[w.key for w in warnings]).select_related(
            "acknowledged_by"
        )
    }
    items = [WarningItem(w, acks.get(w.key)) for w in warnings]
    items.sort(key=lambda i: (i.is_acknowledged, SEVERITY_ORDER[i.warning.severity], i.warning.subject))
    return items


@dataclass
class WarningSummary:
    """What the dashboard shows: every current warning counted per kind, the first `shown` built."""

    items: list[WarningItem]  # the shown ones, in `collect_warnings` order
    groups: list[WarningGroup]  # every kind with warnings, with its full count and open count
    total: int
    open_total: int


def summary_token(tokens: Tokens) -> str | None:
    """The token `warning_summary` is kept under (of `kept.tokens()`), None when some provider is not kept."""
    return tokens.upk if _registry.kept.keys() == _registry.providers.keys() else None


def warning_summary(*, shown: int, tokens: Tokens | None = None) -> WarningSummary:
    """`collect_warnings` for the dashboard, without building every warning. A counted provider's rule
    (its `rows` queryset) is counted in SQL; only its first `shown` unacknowledged rows and the rows whose
    warning was acknowledged (few) are built, so the counts, the open counts and the first `shown` items
    are those of `collect_warnings` (a kind's rows are in subject order; one of mixed severity may show
    a lower-severity row before a higher one beyond its first `shown`). Other providers are run in full.
    What the `kept` providers found is kept in the cache under the versions of their inputs
    (`reports.kept`: a write to any of them, the next day or a few minutes make it computed again).
    `tokens`: `kept.tokens()` when the caller has read them."""
    from . import kept

    if tokens is None:
        tokens = kept.tokens() if _registry.kept else kept.Tokens(None, None)
    # Every provider kept: the whole summary is kept too (the acknowledgements are an input), so a request
    # that finds it reads one token and one cache entry; after a posting only the UPK providers run again.
    return kept.kept(
        f"warning-summary:{shown}",
        summary_token(tokens),
        functools.partial(_summary, shown=shown, tokens={"inputs": tokens.inputs, "upk": tokens.upk}),
        keep=lambda summary: not any(g.kind == "provider-error" for g in summary.groups),
    )


def _summary(*, shown: int, tokens: dict[str, str | None]) -> WarningSummary:
    """`warning_summary`, each group of kept providers' findings kept under its token."""
    from . import kept

    names = list(_registry.providers)
    found: dict[str, _Contribution] = {}
    for group, token in tokens.items():
        group_names = [n for n in names if _registry.kept.get(n) == group]
        if group_names:
            contributions: dict[str, _Contribution] = kept.kept(
                f"warnings:{group}:{shown}",
                token,
                functools.partial(_contributions, group_names, shown=shown),
                keep=lambda result: not any(failed for _w, _c, failed in result.values()),
            )
            found |= contributions
    found |= _contributions([n for n in names if n not in _registry.kept], shown=shown)
    warnings: list[EarlyWarning] = []
    counts: dict[str, int] = {}
    for name in names:  # in the registry's order, as `collect_warnings` runs them
        built, counted, _failed = found[name]
        warnings.extend(built)
        for kind, n in counted.items():
            counts[kind] = counts.get(kind, 0) + n
    items = _items(warnings)
    groups = group_by_kind(items)
    total = open_total = 0
    for g in groups:
        acknowledged = len(g.items) - g.open_count
        g.total = counts.get(g.kind, len(g.items))
        g.open_total = g.total - acknowledged
        total += g.total
        open_total += g.open_total
    return WarningSummary(items=items[:shown], groups=groups, total=total, open_total=open_total)


# What one provider found for the dashboard: the warnings built, the count of each kind, whether it failed.
_Contribution = tuple[list[EarlyWarning], dict[str, int], bool]


def _contributions(names: list[str], *, shown: int) -> dict[str, _Contribution]:
    """What each provider of `names` finds for `warning_summary` (the counted ones counted together)."""
    counted_names = [n for n in names if n in _registry.counted]
    acked_by_kind = _acknowledged_subject_ids([_registry.counted[n][0] for n in counted_names])
    rules = {name: _registry.counted[name][1]() for name in counted_names}
    counted_rows = _count_rows(rules)
    out: dict[str, _Contribution] = {}
    for name in names:
        provider = _registry.providers[name]
        counted = _registry.counted.get(name)
        warnings: list[EarlyWarning] = []
        counts: dict[str, int] = {}
        failed = False
        try:
            if counted is None:
                warnings = list(provider())
                for w in warnings:
                    counts[w.kind] = counts.get(w.kind, 0) + 1
            else:
                kind, _rule = counted
                rows = rules[name]
                counts[kind] = counted_rows[name] if name in counted_rows else rows.count()
                if counts[kind]:
                    # Subjects with an acknowledgement of this kind (the subject id follows the kind in every
                    # key): their warnings are built so whether the acknowledgement is still current is
                    # decided as usual.
                    acked = acked_by_kind.get(kind, [])
                    warnings.extend(provider(rows=rows.filter(pk__in=acked)) if acked else ())
                    warnings.extend(provider(rows=rows.exclude(pk__in=acked)[:shown]))
        except Exception:
            warnings.append(_provider_error(name))
            counts["provider-error"] = counts.get("provider-error", 0) + 1
            failed = True
        out[name] = (warnings, counts, failed)
    return out


def _count_rows(rows: dict[str, QuerySet]) -> dict[str, int]:
    """The number of rows of each queryset, in one statement per database (a round trip each was a
    tenth of the dashboard's on a loaded host). Empty when that statement fails: each is then counted
    on its own, so one broken rule still only breaks its own provider."""
    by_db: dict[str, list[tuple[str, QuerySet]]] = {}
    for name, qs in rows.items():
        by_db.setdefault(qs.db, []).append((name, qs))
    counts: dict[str, int] = {}
    for db, items in by_db.items():
        parts, params = [], []
        for n, (_name, qs) in enumerate(items):
            sql, p = qs.order_by().query.get_compiler(using=db).as_sql()
            parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{n})")  # noqa: S608 - the ORM's SQL, params apart
            params.extend(p)
        connection = connections[db]
        try:
            # A savepoint only inside a caller's transaction (a failed statement would abort it).
            savepoint = transaction.atomic(using=db) if connection.in_atomic_block else nullcontext()
            with savepoint, connection.cursor() as cursor:
                cursor.execute("SELECT " + ", ".join(parts), params)
                row = cursor.fetchone()
        except Exception:
            logger.warning("Warning rules not counted together (counted one by one)", exc_info=True)
            continue
        counts.update({name: int(value) for (name, _qs), value in zip(items, row, strict=True)})
    return counts


def _acknowledged_subject_ids(kinds: list[str]) -> dict[str, list[int]]:
    """Kind → ids of the subjects with an acknowledgement of that kind (current or not), one query."""
    if not kinds:
        return {}
    prefixes = Q()
    for kind in kinds:
        prefixes |= Q(key__startswith=f"{kind}:")
    ids: dict[str, list[int]] = {}
    for key in WarningAcknowledgement.objects.filter(prefixes).values_list("key", flat=True):
        kind, _sep, rest = key.partition(":")
        part = rest.split(":", 1)[0]
        if part.isdigit():
            ids.setdefault(kind, []).append(int(part))
    return ids


@dataclass
class WarningGroup:
    kind: str
    label: str
    items: list[WarningItem]
    # Set by `warning_summary` when `items` are only the shown ones.
    total: int | None = None
    open_total: int | None = None

    @property
    def open_count(self) -> int:
        return sum(1 for i in self.items if not i.is_acknowledged)

    @property
    def count(self) -> int:
        return len(self.items) if self.total is None else self.total

    @property
    def open(self) -> int:
        return self.open_count if self.open_total is None else self.open_total


def group_by_kind(items: Iterable[WarningItem]) -> list[WarningGroup]:
    """Warnings grouped by kind (in `KIND_LABELS` order), each group keeping the items' order."""
    groups: dict[str, WarningGroup] = {}
    for item in items:
        kind = item.warning.kind
        group = groups.get(kind)
        if group is None:  # the label (a translation) once per kind, not per item
            group = groups[kind] = WarningGroup(kind, item.warning.kind_label, [])
        group.items.append(item)
    order = list(KIND_LABELS)
    return sorted(groups.values(), key=lambda g: (order.index(g.kind) if g.kind in order else len(order), g.kind))


def _place(bkm: Any) -> dict[str, Any]:
    """Subject and kecamatan fields of a BKM's warning (the BKM's kelurahan__kecamatan selected)."""
    kecamatan = bkm.kelurahan.kecamatan
    return {"subject_type": "bkm", "subject_id": bkm.pk, "kecamatan_id": kecamatan.pk, "kecamatan": kecamatan.name}


def _upk_place(unit: Any) -> dict[str, Any]:
    kecamatan = unit.bkm.kelurahan.kecamatan
    return {"subject_type": "upk", "subject_id": unit.pk, "kecamatan_id": kecamatan.pk, "kecamatan": kecamatan.name}


# --- Providers available now (registry core) -------------------------------------


@warning_provider(subject="proposal", kind="proposal-stuck", kept="inputs")
def proposals_stuck(only: Collection[int] | None = None) -> Iterable[EarlyWarning]:
    from .selectors import proposals_stuck as select_stuck

    days = conf.get("REPORTS_PROPOSAL_STUCK_DAYS")
    now = timezone.now()
    for p in select_stuck(older_than=now - timedelta(days=days), proposal_ids=only):
        waited = (now - p.status_since).days  # type: ignore[attr-defined]
        yield EarlyWarning(
            # The status is part of the key: moving on and getting stuck again is a new warning.
            key=f"proposal-stuck:{p.pk}:{p.status}",
            severity="danger" if waited > 2 * days else "warning",
            subject=_("Usulan “%(title)s” (%(bkm)s)") % {"title": p.title, "bkm": p.bkm.name},
            url=subject_url([("bkm:proposal_detail", [p.pk]), ("bkm:proposal-detail", [p.pk])]) or _bkm_url(p.bkm_id),
            reason=_("Berstatus “%(status)s” selama %(days)d hari (batas %(limit)d hari).")
            % {"status": p.get_status_display(), "days": waited, "limit": days},
            domain="kolaborasi",
            subject_type="proposal",
            subject_id=p.pk,
            kecamatan_id=p.kelurahan.kecamatan_id,
            kecamatan=p.kelurahan.kecamatan.name,
        )


def _bkm_url(pk: int) -> str:
    return subject_url(
        [("bkm:bkm_detail", [pk]), ("bkm:detail", [pk]), ("bkm:bkm-detail", [pk])], "admin:bkm_bkm_change", [pk]
    )


def _rows(rule: Callable[[], QuerySet], only: Collection[int] | None, rows: QuerySet | None) -> QuerySet:
    """The rows a counted provider turns into warnings: `rows` when given, else its rule (narrowed to `only`)."""
    if rows is not None:
        return rows
    qs = rule()
    return qs.filter(pk__in=only) if only is not None else qs


def _judged_status() -> str:
    """The BKMs the registry providers judge (their rows' querysets filter on it): active ones."""
    from bkm.models import BKMStatus

    return BKMStatus.AKTIF


def _page_bkm(subject: Any) -> bool:
    """`subject` is a BKM as its page read it (`bkm.selectors.bkm_profile_queryset`: every field, annotated)."""
    return subject is not None and hasattr(subject, "term_end_min") and hasattr(subject, "board_size")


def _no_coordinator_rows() -> QuerySet:
    from .selectors import bkms_without_coordinator

    return bkms_without_coordinator()


@warning_provider(subject="bkm", kind="bkm-no-coordinator", rows=_no_coordinator_rows, kept="inputs")
def bkms_without_coordinator(
    only: Collection[int] | None = None, rows: QuerySet | None = None
) -> Iterable[EarlyWarning]:
    reason = _("Belum ada pengguna koordinator BKM di portal.")
    # Values, not BKM instances: `collect_warnings` names most BKMs at province scale.
    values = _rows(_no_coordinator_rows, only, rows).values_list(
        "pk", "name", "kelurahan__kecamatan_id", "kelurahan__kecamatan__name"
    )
    for pk, name, kecamatan_id, kecamatan in values:
        yield EarlyWarning(
            key=f"bkm-no-coordinator:{pk}",
            severity="warning",
            subject=name,
            url=_bkm_url(pk),
            reason=reason,
            domain="bkm",
            subject_type="bkm",
            subject_id=pk,
            kecamatan_id=kecamatan_id,
            kecamatan=kecamatan,
        )


def _incomplete_rows() -> QuerySet:
    from .selectors import bkms_incomplete_rows

    return bkms_incomplete_rows()


@warning_provider(subject="bkm", kind="bkm-incomplete", rows=_incomplete_rows, takes_subject=True, kept="inputs")
def bkms_incomplete(
    only: Collection[int] | None = None, rows: QuerySet | None = None, subject: Any = None
) -> Iterable[EarlyWarning]:
    from .selectors import bkm_missing_fields
    from .selectors import bkms_incomplete as select

    found: list[tuple[Any, list[str]]]
    if _page_bkm(subject):  # judged by the rule itself (`bkm_missing_fields`), without reading it again
        missing = bkm_missing_fields(subject) if subject.status == _judged_status() else []
        found = [(subject, missing)] if missing else []
    else:
        found = select(rows=_rows(_incomplete_rows, only, rows))
    for bkm, missing in found:
        yield EarlyWarning(
            # Missing fields in the key: filling some of them raises a fresh warning for the rest.
            key=f"bkm-incomplete:{bkm.pk}:{len(missing)}",
            severity="info",
            subject=bkm.name,
            url=_bkm_url(bkm.pk),
            reason=_("Data registri belum lengkap: %(fields)s.") % {"fields": ", ".join(missing)},
            domain="bkm",
            **_place(bkm),
        )


# --- Registry: board term and board size (rules from bkm.selectors) ----------------

# The registry's warning codes each provider reports (other codes, e.g. women's
# share, stay on the BKM page and in the list filter).
BOARD_TERM_CODES = {"term_expired": "danger", "term_ending": "warning"}
BOARD_SHORT_CODES = {"no_board": "danger", "board_small": "warning"}


def _board_rows(sql_filter: str) -> QuerySet:
    """Active BKMs with the board warning `sql_filter` (bkm.selectors' rule in SQL), in subject order."""
    from bkm.models import BKM
    from bkm.selectors import annotate_bkm_stats, filter_bkms_by_warning

    bkms = BKM.objects.filter(status=_judged_status())
    return filter_bkms_by_warning(annotate_bkm_stats(bkms), sql_filter).order_by("name", "pk")


def _board_short_rows() -> QuerySet:
    # Empty boards (NO_BOARD, danger) first, then by subject: the dashboard shows a kind's first rows, and
    # `collect_warnings` puts danger before warning. Ordering only; `bkm_warnings` still decides severity.
    empty_last = ExpressionWrapper(Q(board_size__gt=0), output_field=BooleanField())
    return _board_rows("board_short").order_by(empty_last, "name", "pk")


def _board_warnings(
    sql_filter: str,
    codes: dict[str, str],
    only: Collection[int] | None,
    rows: QuerySet | None = None,
    subject: Any = None,
) -> Iterable[tuple]:
    """(bkm, registry warning, severity) for active BKMs; one query, rules from bkm.selectors. A `subject`
    read by its page with `annotate_bkm_stats` is judged as it is, without a query: `sql_filter` only
    narrows the rows to those `bkm_warnings` (which decides, below) may warn about."""
    from bkm.selectors import bkm_warnings

    bkms: Iterable[Any]
    if _page_bkm(subject):
        bkms = [subject] if subject.status == _judged_status() else []
    else:
        bkms = _rows(lambda: _board_rows(sql_filter), only, rows)
    for bkm in bkms:
        for warning in bkm_warnings(bkm):
            if warning.code in codes:
                yield bkm, warning, codes[warning.code]


@warning_provider(subject="bkm", kind="bkm-term", takes_subject=True, kept="inputs")
def bkm_board_term(only: Collection[int] | None = None, subject: Any = None) -> Iterable[EarlyWarning]:
    """A BKM whose board term has expired or ends within settings.BKM_TERM_WARNING_DAYS."""
    for bkm, warning, severity in _board_warnings("term", BOARD_TERM_CODES, only, subject=subject):
        yield EarlyWarning(
            # The term end is part of the key: a new board's term raises a fresh warning later.
            key=f"bkm-term:{bkm.pk}:{warning.code}:{bkm.term_end_min:%Y-%m-%d}",
            severity=severity,  # type: ignore[arg-type]
            subject=bkm.name,
            url=_bkm_url(bkm.pk),
            reason=warning.message,
            domain="bkm",
            **_place(bkm),
        )


@warning_provider(subject="bkm", kind="bkm-board-short", rows=_board_short_rows, takes_subject=True, kept="inputs")
def bkm_board_short(
    only: Collection[int] | None = None, rows: QuerySet | None = None, subject: Any = None
) -> Iterable[EarlyWarning]:
    """A BKM with no active board or fewer members than settings.BKM_BOARD_SIZE_MIN (one warning a row of
    `_board_short_rows`: NO_BOARD or BOARD_SMALL)."""
    for bkm, warning, severity in _board_warnings("board_short", BOARD_SHORT_CODES, only, rows, subject):
        yield EarlyWarning(
            key=f"bkm-board-short:{bkm.pk}:{warning.code}",
            severity=severity,  # type: ignore[arg-type]
            subject=bkm.name,
            url=_bkm_url(bkm.pk),
            reason=warning.message,
            domain="bkm",
            **_place(bkm),
        )


# --- Forum: a BKM silent for months ------------------------------------------------


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (clamped to the month's last day)."""
    import calendar

    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@warning_provider(subject="bkm", kind="bkm-forum-silent", kept="inputs")
def bkm_forum_silent(only: Collection[int] | None = None) -> Iterable[EarlyWarning]:
    from .pdf import format_date
    from .selectors import bkm_forum_last_post

    months = conf.get("REPORTS_FORUM_SILENT_MONTHS")
    since = months_before(timezone.localtime(), months)
    for bkm, last in bkm_forum_last_post(since=since, bkm_ids=only):
        if last is None:
            reason = _("Anggota BKM belum pernah menulis di forum (batas %(n)d bulan).") % {"n": months}
        else:
            reason = _("Tidak ada tulisan anggota BKM di forum sejak %(date)s (lebih dari %(n)d bulan).") % {
                "date": format_date(timezone.localtime(last).date()),
                "n": months,
            }
        yield EarlyWarning(
            # The last post in the key: writing again and falling silent again is a new warning.
            key=f"bkm-forum-silent:{bkm.pk}:{last:%Y-%m-%d}" if last else f"bkm-forum-silent:{bkm.pk}:never",
            severity="info" if last is None else "warning",
            subject=bkm.name,
            url=_bkm_url(bkm.pk),
            reason=reason,
            domain="forum",
            **_place(bkm),
        )


# --- UPK ledger: PAR worse or rising; a month not submitted -------------------------


def _upk_url(unit_id: int) -> str:
    return subject_url([("upk:home", [unit_id]), ("upk:upk_home", [unit_id]), ("upk:detail", [unit_id])])


def _last_month(today: date) -> tuple[int, int]:
    return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)


@warning_provider(subject="upk", kind="upk-par", kept="upk")
def upk_par_worse(only: Collection[int] | None = None) -> Iterable[EarlyWarning]:
    """PAR crossed into a worse band at the last month end, or rose three month ends running."""
    from .pdf import format_month
    from .selectors import pct_text, upk_label, upk_par_alerts

    year, month = _last_month(timezone.localdate())
    for alert in upk_par_alerts(year=year, month=month, upk_ids=list(only) if only is not None else None):
        h = alert.history
        reasons = []
        if alert.worsened:
            reasons.append(
                _("PAR %(month)s %(value)s: memburuk dari %(old)s ke %(new)s.")
                % {
                    "month": format_month(alert.as_of),
                    "value": pct_text(h[-1].value),
                    "old": h[-2].band_label,
                    "new": h[-1].band_label,
                }
            )
        if alert.rising:
            reasons.append(
                _("PAR naik tiga bulan berturut-turut: %(series)s.")
                % {"series": " → ".join(pct_text(v.value) for v in h[-4:])}
            )
        yield EarlyWarning(
            key=f"upk-par:{alert.unit.pk}:{alert.as_of:%Y-%m}",
            severity="danger" if alert.worsened and h[-1].band == "tidak_sehat" else "warning",
            subject=upk_label(alert.unit),
            url=_upk_url(alert.unit.pk),
            reason=" ".join(reasons),
            domain="upk",
            **_upk_place(alert.unit),
        )


@warning_provider(subject="upk", kind="upk-package-missing", kept="upk")
def upk_month_not_submitted(only: Collection[int] | None = None) -> Iterable[EarlyWarning]:
    """Last month's package not submitted (the ledger: submitting closes the month) after its due day
    (`selectors.upk_packages_missing_ids`, the rule the city report uses)."""
    from .pdf import format_month
    from .selectors import package_due_date, upk_label, upk_packages_missing

    today = timezone.localdate()
    year, month = _last_month(today)
    due = package_due_date(year, month)
    label = format_month(date(year, month, 1))
    upk_ids = list(only) if only is not None else None
    for unit in upk_packages_missing(year=year, month=month, today=today, upk_ids=upk_ids):
        yield EarlyWarning(
            key=f"upk-package-missing:{unit.pk}:{year:04d}-{month:02d}",
            severity="warning",
            subject=upk_label(unit),
            url=_upk_url(unit.pk),
            reason=_("Laporan bulanan %(month)s belum dikirim (batas tanggal %(day)d).")
            % {"month": label, "day": due.day},
            domain="upk",
            **_upk_place(unit),
        )
