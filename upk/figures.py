"""Stored portfolio figures (issue 12): each UPK's raw portfolio sums as of a
date, computed once by `selectors.portfolio_summary_many` and read back while
their inputs have not changed.

Why: the staff dashboard needs every UPK's figures as of today and at four
month ends (PAR warnings). At 1,000 UPKs and 200,000 loans one as-of aggregate
costs ~1-5 s, so five of them made a 23-second page. A figure as of a date
depends only on the rows the aggregate reads, so it stays valid until one of
those rows changes.

How validity is known: database triggers (migration
0020_stored_portfolio_figures) raise the UPK's `FiguresVersion` on every write
to a table the aggregate reads, whatever wrote it (services, imports, admin,
commands). A stored row carries the version it was computed under and is used
only while that is still the UPK's version. A month end that was closed when
computed is kept as `closed` across later postings (a closed month cannot
change); reopening the month deletes those rows (trigger on the periods). So a
posting makes exactly its own UPK's figures be recomputed, once, by the next
reader: one UPK's aggregate, a few milliseconds.

Only the raw sums are stored (the `RAW_FIELDS` of `selectors`), never an
indicator, band or reserve: those are derived at read time by the same code as
the live path, so no rule is written twice. PostgreSQL only (the embedded
SQLite demo computes live, like the per-loan states).

This module only reads, writes and prunes the rows; `selectors.portfolio_summary_dates`
decides what to compute. Rows of past days that are not month ends are pruned
and today's figures computed for every UPK by the nightly task
(`tasks.figures_nightly`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from datetime import date
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import QuerySet

from core import versions as core_versions

logger = logging.getLogger(__name__)

Key = tuple[int, date]


def enabled() -> bool:
    return connection.vendor == "postgresql"


# Clears the once-per-transaction mark of the UPKs (`%s`: their ids) in a transaction that has written
# (see `read`); a CTE, so that it runs in the statement that reads the versions.
_REARM = """rearm AS (
            UPDATE upk_figuresversion SET bumped_in = NULL
             WHERE pg_current_xact_id_if_assigned() IS NOT NULL
               AND upk_id = ANY(%s::bigint[]) AND bumped_in = pg_current_xact_id_if_assigned()::text::bigint
        )"""


def read(upk_ids: list[int], dates: Iterable[date]) -> tuple[dict[int, int], dict[Key, list[int]]]:
    """The UPKs' current versions (0 when none yet) and their valid stored
    figures at `dates`: one query (raw SQL on the primary, like the aggregate
    itself, so a replica's lag never mixes versions).

    A transaction raises a UPK's version only at its first write (`bumped_in`,
    migration 0022). Reading inside a transaction that has written clears
    that mark (`rearm`), so its next write raises the version again: figures
    computed from what was read here can never look current after a later
    write of the same transaction. (Nothing to clear, and no write, in a
    transaction that has not written: the condition is checked first.)"""
    days = sorted(set(dates))
    sql = f"""
        WITH {_REARM}
        SELECT u.upk_id, COALESCE(v.version, 0), f.as_of, f.values
          FROM unnest(%s::bigint[]) AS u(upk_id)
          LEFT JOIN upk_figuresversion v ON v.upk_id = u.upk_id
          LEFT JOIN upk_upkfigures f ON f.upk_id = u.upk_id AND f.as_of = ANY(%s::date[])
               AND (f.closed OR f.version = COALESCE(v.version, 0))
    """  # noqa: S608 - constant text
    versions: dict[int, int] = {}
    found: dict[Key, list[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [upk_ids, upk_ids, days])
        for upk_id, version, as_of, values in cursor.fetchall():
            versions[upk_id] = version
            if as_of is not None:
                found[(upk_id, as_of)] = values if isinstance(values, list) else _json(values)
    return versions, found


def _json(value: str) -> list[int]:
    import json

    return json.loads(value)


# One statement: the version check under a share lock on the UPKs' version
# rows (a posting or a reopening committing meanwhile either waits for this
# statement's transaction or makes it skip the UPK; a UPK without a version
# row yet is stored under version 0, which its first write makes invalid),
# and `closed` for a date inside the UPK's closed months (closed months are a
# prefix of time, so a date in one can no longer change).
_STORE = """
    WITH cur AS (
        SELECT upk_id, version FROM upk_figuresversion WHERE upk_id = ANY(%s::bigint[]) FOR SHARE
    ), closed AS (
        SELECT upk_id, MAX(year * 12 + month) AS through FROM upk_accountingperiod
         WHERE is_closed AND upk_id = ANY(%s::bigint[]) GROUP BY upk_id
    )
    INSERT INTO upk_upkfigures (upk_id, as_of, version, closed, values, computed_at)
    SELECT r.upk_id, r.as_of, r.version,
           COALESCE(EXTRACT(YEAR FROM r.as_of) * 12 + EXTRACT(MONTH FROM r.as_of) <= closed.through, false),
           r.values::jsonb, now()
      FROM unnest(%s::bigint[], %s::date[], %s::bigint[], %s::text[]) AS r(upk_id, as_of, version, values)
      LEFT JOIN cur ON cur.upk_id = r.upk_id
      LEFT JOIN closed ON closed.upk_id = r.upk_id
     WHERE COALESCE(cur.version, 0) = r.version
    ON CONFLICT (upk_id, as_of) DO UPDATE
       SET version = EXCLUDED.version, closed = EXCLUDED.closed, values = EXCLUDED.values,
           computed_at = EXCLUDED.computed_at
"""


def store(computed: Mapping[Key, list[int]], versions: Mapping[int, int]) -> int:
    """Keep figures computed under `versions`, for the UPKs whose version is
    still that one (one statement). Failing to store (a read-only database, a
    lock timeout, a deadlock with a bulk write) only costs the next reader a
    recomputation. Returns the number of rows stored."""
    if not computed:
        return 0
    import json

    ids = sorted({upk_id for upk_id, _d in computed})
    items = sorted(computed.items())
    params: list[Any] = [
        ids,
        ids,
        [k[0] for k, _v in items],
        [k[1] for k, _v in items],
        [versions.get(k[0], 0) for k, _v in items],
        [json.dumps(v) for _k, v in items],
    ]
    try:
        # A savepoint only inside a caller's transaction (a failed statement would abort it);
        # outside one the single statement is its own transaction.
        with transaction.atomic() if connection.in_atomic_block else nullcontext(), connection.cursor() as cursor:
            cursor.execute(_STORE, params)
            return cursor.rowcount
    except DatabaseError:
        logger.warning("Stored portfolio figures not written (recomputed next time)", exc_info=True)
        return 0


def forget(*, upk_ids: Iterable[int] | None = None) -> None:
    """Delete stored figures (all, or some UPKs'): only ever costs a recomputation."""
    with connection.cursor() as cursor:
        if upk_ids is None:
            cursor.execute("DELETE FROM upk_upkfigures")
        else:
            cursor.execute("DELETE FROM upk_upkfigures WHERE upk_id = ANY(%s::bigint[])", [sorted(set(upk_ids))])


def prune(*, before: date) -> int:
    """Delete stored figures of dates before `before` that are not month ends; returns how many.

    Why: a row is stored for every date asked for, and "today" is asked for every day (the dashboard, the
    UPK home, the API), so a 1,000-UPK province adds ~365,000 rows a year that nothing reads again once the
    day is over; month ends are what the PAR warnings, the trend and the reports read back. A pruned date
    asked for again is only recomputed (a cache)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            DELETE FROM upk_upkfigures
             WHERE as_of < %s
               AND as_of <> (date_trunc('month', as_of) + interval '1 month' - interval '1 day')::date
            """,
            [before],
        )
        return cursor.rowcount


def upk_ids() -> list[int]:
    """Every UPK with books (set up in the ledger): the ones whose figures the city pages read."""
    from .models import UpkSettings

    return sorted(UpkSettings.objects.values_list("upk_id", flat=True))


# --- Results derived from a UPK's figures, kept under its version -------------------------------------

T = TypeVar("T")

DERIVED_SECONDS = 2 * 24 * 3600


def with_versions(units: QuerySet) -> QuerySet:
    """`units` (UPK units) annotated with `figures_version`, their current figures version as text, for
    `derived` (the caller reads it with the rows it needs anyway, in the same query). Versions come from
    a sequence (migration 0024): a number is never given twice, not even by a rise that was rolled back,
    so a result kept in the cache (which no rollback reaches) under one can never look current after."""
    from django.db.models import CharField, OuterRef, Subquery, Value
    from django.db.models.functions import Cast, Coalesce

    from .models import FiguresVersion

    version = FiguresVersion.objects.filter(upk_id=OuterRef("pk")).values("version")[:1]
    return units.annotate(
        figures_version=Coalesce(Cast(Subquery(version), CharField()), Value("0"), output_field=CharField())
    )


def derived(name: str, versions: Mapping[int, str], compute: Callable[[list[int]], Mapping[int, T]]) -> dict[int, T]:
    """`compute(ids)` of each UPK of `versions` (UPK id → its figures version token, read by the caller
    through `with_versions`), kept in the cache (Redis) under that version.

    For results that are a function of one UPK's figures and rules alone (its indicators at some dates,
    its share of a city aggregate): the version is raised by the database triggers on every write to
    any of their inputs, so a result kept under the current version is the one `compute` would return
    now, and a posting makes exactly its own UPK's result be computed again, by the next reader. The
    rule stays in `compute` (the usual selectors); only its result is kept. `name` says what was
    computed and for which dates (a new date is a new name). Versions are read before computing, so a
    write meanwhile only costs a recomputation (and a version read on a lagging replica only keys
    figures at least as new as it). The results of one `name` are one cache entry (one round trip,
    whatever the number of UPKs; rewritten when some were computed). Without stored figures (SQLite) or
    without the cache, everything is computed."""
    upk_ids = list(versions)
    if not upk_ids:
        return {}
    if not enabled():
        return dict(compute(upk_ids))
    try:
        key = f"upk:derived:{core_versions.generation()}:{name}"
        kept: dict[int, tuple[str, T]] = cache.get(key) or {}
    except Exception:  # the cache down: compute, as without one
        logger.warning("Derived figures cache unavailable", exc_info=True)
        return dict(compute(upk_ids))
    out: dict[int, T] = {}
    missing = []
    for upk_id in upk_ids:
        found = kept.get(upk_id)
        if found is not None and found[0] == versions[upk_id]:
            out[upk_id] = found[1]
        else:
            missing.append(upk_id)
    if missing:
        fresh = compute(missing)
        out.update(fresh)
        kept = {**kept, **{i: (versions[i], fresh[i]) for i in missing}}
        try:
            cache.set(key, kept, DERIVED_SECONDS)
        except Exception:
            logger.warning("Derived figures not kept (computed again next time)", exc_info=True)
    return out


def versions_digest(units: QuerySet, *fields: str) -> str:
    """One hash of every unit of `units` with its `fields` and figures version token (`with_versions`):
    one query answering one row, instead of reading every UPK's token to look its results up. Any write
    to a UPK's figures' inputs (its version), a UPK added or removed, or a change to `fields` changes it.
    Without stored figures (SQLite: no md5/string_agg either) nothing is kept, so there is no digest."""
    if not enabled():
        return ""
    qs = with_versions(units).order_by().values_list("pk", *fields, "figures_version")
    sql, params = qs.query.get_compiler(using=qs.db).as_sql()
    statement = f"SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM ({sql}) AS t"  # noqa: S608 - the ORM's SQL, params apart
    # On the database the ORM chose (a replica's, under `use_replica`), like the versions `derived` then
    # reads: a digest from the primary could key a result built from a lagging replica's older versions.
    with connections[qs.db].cursor() as cursor:
        cursor.execute(statement, params)
        return str(cursor.fetchone()[0])


def derived_whole(name: str, digest: str, compute: Callable[[], T]) -> T:
    """`compute()`, kept in the cache (Redis) under `digest` (`versions_digest` of every input UPK, read
    before computing): for a result derived from many UPKs' figures alone (a city aggregate of their
    `derived` shares), so that while no input changed it is one small cache read, and after a posting
    the next reader computes it again (through `derived`, which recomputes only the changed UPK's share).
    `name` says what and for which date and language. Without stored figures or the cache: computed."""
    if not enabled():
        return compute()
    try:
        key = f"upk:derived:{core_versions.generation()}:{name}:{digest}"
        kept = cache.get(key)
    except Exception:  # the cache down: compute, as without one
        logger.warning("Derived figures cache unavailable", exc_info=True)
        return compute()
    if kept is not None:
        return kept  # type: ignore[no-any-return]
    result = compute()
    try:
        cache.set(key, result, DERIVED_SECONDS)
    except Exception:
        logger.warning("Derived figures not kept (computed again next time)", exc_info=True)
    return result


def version_token(upk_id: int, *rows: QuerySet) -> str:
    """The UPK's current figures version as text, for `kept`, read with `read`'s re-arming (one query),
    so that inside a transaction that has written, its next write raises the version again and a result
    kept from what this transaction read can never look current after it. With `rows`: followed by a hash
    of those rows (every column of each, as text: `_digest_sql`), read in the same statement, for a
    result that also shows rows no version covers (a UPK's KSMs, a KSM's members and savings)."""
    if not rows:
        versions, _found = read([upk_id], [])
        return str(versions.get(upk_id, 0))
    digest, params = _digest_sql(rows)
    sql = f"""
        WITH {_REARM}
        SELECT COALESCE((SELECT version FROM upk_figuresversion WHERE upk_id = %s), 0), {digest}
    """  # noqa: S608 - the ORM's SQL, params apart
    with connection.cursor() as cursor:
        cursor.execute(sql, [[upk_id], upk_id, *params])
        version, hashed = cursor.fetchone()
    return f"{version}:{hashed}"


def kept(
    name: str, upk_id: int, compute: Callable[[], T], *, version: str | None = None, rows: Iterable[QuerySet] = ()
) -> T:
    """`compute()` for one UPK, kept in the cache (Redis) under the UPK's figures version.

    For a result that is a function of rows the figures' triggers cover (migration 0020's tables)
    plus whatever `name` spells out (the month, the language, the ids of rows they do not cover): the
    version rises with every write to those tables, so a result kept under the current version is
    the one `compute` would return now. The version is read before computing (a write meanwhile
    only costs a recomputation). One entry per `name` and UPK, overwritten when the version moves
    (no stale entries pile up), through `core.versions.cached` (with the cache generation every
    `migrate` renews, so results or rendered rows of older code are never served after a deploy). `version`: the UPK's `version_token`, when the caller keeps several results of one
    request under it. `rows`: querysets of rows the version does not cover that the result shows (a
    KSM's members…): their hash is read with the version (`version_token`) and is part of its stamp.
    Without stored figures (SQLite) or without the cache: computed."""
    if not enabled():
        return compute()
    if version is None:
        version = version_token(upk_id, *rows)
    return core_versions.cached(f"upk:kept:{name}:{upk_id}", version, compute, seconds=DERIVED_SECONDS)


def _digest_sql(querysets: Iterable[QuerySet]) -> tuple[str, list[Any]]:
    """An SQL expression hashing the whole rows (every column, as text) that each of `querysets`
    selects from its table, and its parameters."""
    parts, params = [], []
    for qs in querysets:
        meta = qs.model._meta
        sql, qs_params = qs.order_by().values("pk").query.get_compiler(using=qs.db).as_sql()
        table, pk = connection.ops.quote_name(meta.db_table), connection.ops.quote_name(meta.pk.column)
        parts.append(
            f"(SELECT coalesce(string_agg(t::text, ',' ORDER BY t.{pk}), '') FROM {table} AS t "  # noqa: S608 - the ORM's SQL, params apart
            f"WHERE t.{pk} IN ({sql}))"
        )
        params.extend(qs_params)
    return f"md5(concat_ws(chr(30), {', '.join(parts)}))", params
