"""Results kept in the cache (Redis) for as long as their inputs are unchanged.

A *data version* is a number per name, raised by PostgreSQL triggers on every write to the tables a
result reads (`triggers_sql`, attached by the migration of the app that owns the result; the number
lives in `core.DataVersion`). `kept(name, key, compute)` reads the number, then the cache: a result
stored under the current number is the one `compute()` would give now, so it is returned; otherwise
it is computed and stored. The number is read before computing, so a write meanwhile only costs a
second computation. Numbers come from one sequence: none is ever given twice, not even by a rise
that was rolled back, which the cache (no rollback reaches it) never sees.

The rule stays in `compute` (the usual selectors or permission functions); only its result is kept.
Without triggers (SQLite, the embedded demo) or without a reachable cache, everything is computed.

Writes to the same set of tables queue on the version row until they commit (the trigger updates
it), which is why the triggers only fire on the columns a result depends on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)
T = TypeVar("T")

GENERATION_KEY = "core:versions:generation"
KEPT_SECONDS = 24 * 3600


def version(*names: str) -> str | None:
    """The current numbers of `names`, as one token; None where nothing may be kept (no triggers, or
    one of them never written)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), string_agg(version::text, '.' ORDER BY name) FROM core_dataversion WHERE name = ANY(%s)",
            [list(names)],
        )
        found, token = cursor.fetchone()
    return token if found == len(set(names)) else None


def kept(names: str | tuple[str, ...], key: str, compute: Callable[[], T]) -> T:
    """`compute()`, kept under the current version of `names` (one name, or several when the result
    reads the tables of each) and `key` (everything else the result depends on: the user's fields,
    the language…)."""
    names = (names,) if isinstance(names, str) else names
    token = version(*names)
    if token is None:
        return compute()
    return cached(f"core:kept:{'+'.join(names)}:{key}", token, compute)


def cached(
    entry: str,
    stamp: Hashable,
    compute: Callable[[], T],
    *,
    seconds: int = KEPT_SECONDS,
    keep: Callable[[T], bool] | None = None,
) -> T:
    """`compute()`, stored in the cache under the key `entry` with `stamp` (what it was computed
    under: a version token) and the cache generation, read from there while both are still the
    same (one round trip for both). One entry per key, overwritten when the stamp moves, so stale
    results do not pile up. `keep(result)` False: not stored (a rule that failed, so a passing fault
    does not stay). The cache down: computed, as without one. Every kept result of the portal
    (`kept`, `reports.kept`, `upk.figures.kept`) goes through here."""
    try:
        found = cache.get_many([GENERATION_KEY, entry])
    except Exception:  # the cache down: compute, as without one
        logger.warning("Kept results unavailable", exc_info=True)
        return compute()
    current = found.get(GENERATION_KEY)
    stored = found.get(entry)
    if current is not None and stored is not None and stored[:2] == (current, stamp):
        return stored[2]  # type: ignore[no-any-return]
    result = compute()
    if keep is None or keep(result):
        try:
            cache.set(entry, (generation() if current is None else current, stamp, result), seconds)
        except Exception:
            logger.warning("Result not kept (computed again next time)", exc_info=True)
    return result


def generation(key: str = GENERATION_KEY) -> int:
    """A cache generation: part of every kept result's stamp (`cached`), so that starting a new one
    (`new_generation`) makes every result kept under the old one stale without deleting anything.
    `key` names another such counter (the public pages' cache has its own)."""
    value = cache.get(key)
    if value is None:
        cache.add(key, 1, timeout=None)
        value = cache.get(key, 1)
    return int(value)


def new_generation(key: str = GENERATION_KEY) -> None:
    try:
        cache.incr(key)
    except ValueError:
        cache.add(key, 2, timeout=None)


def forget(**_kwargs: object) -> None:
    """Every kept result is stale from now on: after `migrate` (a deploy whose code may compute
    differently, or a restored database whose numbers start again) and between tests."""
    new_generation()


def triggers_sql(name: str, table: str, *, columns: tuple[str, ...] = ()) -> str:
    """SQL raising `name` on every write to `table`; with `columns`, inserts and deletes raise it, and
    updates only when one of `columns` really changed (a row trigger with a WHEN: saving a row
    rewrites every column)."""
    base = f"{name}_{table}"[:50]
    if not columns:
        return (
            f"CREATE TRIGGER {base}_v AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION core_dataversion_bump('{name}');"
        )
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
    return (
        f"CREATE TRIGGER {base}_vs AFTER INSERT OR DELETE OR TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION core_dataversion_bump('{name}');"
        f"CREATE TRIGGER {base}_vr AFTER UPDATE ON {table} FOR EACH ROW WHEN ({changed}) "
        f"EXECUTE FUNCTION core_dataversion_bump('{name}');"
    )


def attach(schema_editor: Any, inputs: dict[str, list[tuple[str, tuple[str, ...]]]]) -> None:
    """For a migration: the triggers raising each version of `inputs` (name → its tables, each with
    the columns whose updates count, none for every write), and each version's first number."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, tables in inputs.items():
            for table, columns in tables:
                cursor.execute(triggers_sql(name, table, columns=columns))
            cursor.execute(
                "INSERT INTO core_dataversion (name, version) VALUES (%s, nextval('core_dataversion_seq')) "
                "ON CONFLICT (name) DO NOTHING",
                [name],
            )


def detach(schema_editor: Any, inputs: dict[str, list[tuple[str, tuple[str, ...]]]]) -> None:
    """For a migration's reverse: `attach`'s triggers dropped."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, tables in inputs.items():
            for table, _columns in tables:
                cursor.execute(drop_triggers_sql(name, table))


def drop_triggers_sql(name: str, table: str) -> str:
    base = f"{name}_{table}"[:50]
    return "".join(f"DROP TRIGGER IF EXISTS {base}_{s} ON {table};" for s in ("v", "vs", "vr"))
