"""Bulk writes of the ledger's hot path, one statement on PostgreSQL.

A repayment writes its journal entry and lines, the repayment, the member
split, its allocations (and the rows a replay closes) and the instalments'
paid cache. Through the ORM that is seven statements, each paying a network
round trip and Django's query compilation; here it is one, `ledger_insert`
(`books_insert` for changes without a new repayment, e.g. a reversal's
replay). It is made of data-modifying CTEs, which PostgreSQL runs as one
statement: every part sees the same snapshot, so a part only reads what
another part RETURNs, never its table. Constraints apply as with single
inserts (the balanced-entry trigger and the foreign keys are deferred to
commit, the unique idempotency keys fire at once).

The statements go through `hot_cursor` (prepared on the server) and the book
read before them through `run_in_one_round_trip` (pipelined with the lock);
docs/ledger.md §12 has the measurements.

Other databases (SQLite for the embedded demo) take the portable ORM path
with the same results; `tests/upk/test_writes.py` runs both and compares.

What to write is decided in `services`; this module only writes it, and sets
the primary keys on the model objects it was given.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.utils import timezone

from ..models import Allocation, Instalment, JournalEntry, JournalLine, Repayment, RepaymentMember
from . import states
from .numbering import reserve_numbers

PAID_FIELDS = ("paid_pokok", "paid_jasa", "paid_bop", "paid_denda")

M = TypeVar("M", bound=models.Model)


def use_bulk_sql() -> bool:
    return connection.vendor == "postgresql"


def hot_cursor() -> Any:
    """A cursor for the statements every posting runs. On PostgreSQL it binds
    parameters on the server, so psycopg can prepare a statement the second
    time the same text runs on a connection (`prepare_threshold` in the
    database OPTIONS): planning was half the server time of these statements.
    It is Django's cursor wrapper all the same (query logging and counting
    see it). Elsewhere, and while queries are being logged (DEBUG, query
    counting in tests: Django logs a server-bound statement without its text),
    the ordinary cursor: same statements, planned each time."""
    conn = connections[DEFAULT_DB_ALIAS]  # one look-up; `connection` is a proxy that looks up on every use
    if conn.vendor != "postgresql" or conn.queries_logged:
        return conn.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor  # type: ignore[attr-defined]

    conn.ensure_connection()
    with conn.wrap_database_errors:
        return conn._prepare_cursor(ServerBindingCursor(conn.connection))  # type: ignore[attr-defined]


def run_in_one_round_trip(statements: list[tuple[str, list[Any]]]) -> list[list[tuple[Any, ...]]]:
    """Run statements in order and return each one's rows. On PostgreSQL they
    are sent together (psycopg pipeline mode, with the transaction's BEGIN if
    it is pending) and the server runs them one after the other, each with its
    own snapshot, exactly as if sent one by one — one network round trip."""
    if not use_bulk_sql() or len(statements) == 1:
        results = []
        for sql, params in statements:
            with hot_cursor() as cursor:
                cursor.execute(sql, params)
                results.append(cursor.fetchall())
        return results
    connection.ensure_connection()
    cursors = [hot_cursor() for _ in statements]
    try:
        with connection.wrap_database_errors:
            with connection.connection.pipeline():
                for cursor, (sql, params) in zip(cursors, statements, strict=True):
                    cursor.execute(sql, params)
            # Fetched after the pipeline's sync: fetching inside it would
            # flush and wait once more before the sync's own round trip.
            return [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise ValueError(f"not whole Rupiah: {value}")
        return int(value)
    if isinstance(value, date):  # and datetime
        return value.isoformat()
    raise TypeError(f"not JSON: {value!r}")


def _rows(rows: Sequence[Sequence[Any]], types: Sequence[str]) -> tuple[str, list[Any]]:
    """Rows to INSERT, as one JSON parameter read back with
    `jsonb_to_recordset`: the statement's text and parameter count do not
    depend on the number of rows, so psycopg parses a statement shape once
    and the server prepares it once (a VALUES list of n rows would be a new
    statement of 7·n parameters each time)."""
    columns = ", ".join(f"c{i} {t}" for i, t in enumerate(types))
    payload = json.dumps([{f"c{i}": v for i, v in enumerate(row)} for row in rows], default=_json_value)
    return f"SELECT * FROM jsonb_to_recordset(%s::jsonb) AS x({columns})", [payload]


def _values(rows: Sequence[Sequence[Any]], types: Sequence[str]) -> tuple[str, list[Any]]:
    """Rows an UPDATE joins on, as a VALUES list with every placeholder cast
    (VALUES has no column types of its own): the planner then knows the row
    count and updates through the primary key. (It estimates 100 rows for a
    JSON record set and may plan a scan of the whole table.)"""
    row = "(" + ", ".join(f"%s::{t}" for t in types) + ")"
    return "VALUES " + ", ".join([row] * len(rows)), [v for r in rows for v in r]


_READERS: dict[tuple[str, type, tuple[str, ...]], tuple[list[str], list[tuple[int, list[Any], Any]]]] = {}


def instance(model: type[M], attnames: Sequence[str], values: Sequence[Any]) -> M:
    """A model object from a row read with plain SQL (columns in `attnames`
    order), with the values converted exactly as a queryset would (e.g. JSON,
    and decimals on SQLite). Fields not read are deferred."""
    key = (connection.vendor, model, tuple(attnames))
    reader = _READERS.get(key)
    if reader is None:
        # `from_db` wants the values in the model's field order.
        position = {name: i for i, name in enumerate(attnames)}
        fields = [f for f in model._meta.concrete_fields if f.attname in position]
        steps = []
        for f in fields:
            col = f.get_col(model._meta.db_table)
            steps.append(
                (position[f.attname], connection.ops.get_db_converters(col) + col.get_db_converters(connection), col)
            )
        reader = ([f.attname for f in fields], steps)
        _READERS[key] = reader
    names, steps = reader
    converted = []
    for index, funcs, col in steps:
        value = values[index]
        for func in funcs:
            value = func(value, col, connection)
        converted.append(value)
    return model.from_db("default", names, converted)


def saved(obj: Any, pk: int) -> None:
    """Mark an object built in Python as the row just written."""
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = "default"


# --- Journal and books ------------------------------------------------------------------------


@dataclass
class LineRow:
    entry_index: int  # position of its entry in the list given to ledger_insert
    account_id: int
    debit: int
    credit: int
    loan_id: int | None
    ksm_id: int | None
    memo: str


@dataclass
class BookWrites:
    """What one transaction changes in the loans' books (any part may be empty)."""

    # New repayments, unsaved, at most one per loan; repayment i is paid by
    # journal entry i and takes the i-th reserved receipt number.
    repayments: list[Repayment] = field(default_factory=list)
    member_parts: list[tuple[int, int, int]] = field(default_factory=list)  # (loan id, loan member id, amount)
    closes: list[tuple[int, date]] = field(default_factory=list)  # (allocation id, effective_to)
    # New rows; repayment_id None = the new repayment of that loan.
    allocations: list[Allocation] = field(default_factory=list)
    # Changed: objects with pk and the PAID_FIELDS (services.BookInstalment).
    instalments: list[Any] = field(default_factory=list)
    loan_states: list[states.StateRow] = field(default_factory=list)  # PostgreSQL only (upk.states)


def receipt_number(paid_on: date, number: int) -> str:
    return f"KW-{paid_on.year}-{number:06d}"


def ledger_insert(
    *,
    upk_id: int,
    entries: list[JournalEntry],
    lines: list[LineRow],
    counts: Mapping[str, int],
    books: BookWrites | None = None,
) -> dict[str, range]:
    """Reserve the per-UPK numbers in `counts` ("journal" = len(entries), plus
    "receipt" = one per new repayment, …), number and write the entries and
    their lines, and write `books`. Returns the reserved ranges; sets pk and
    number on `entries`, pk, receipt number and entry on the new repayments.

    Counter rows stay locked to commit. Every caller takes them after its loan
    locks, and here in name order ("journal" before "receipt"), so the lock
    order is fixed everywhere."""
    now = timezone.now()
    for entry in entries:
        entry.created_at = now
    if books:
        for rep in books.repayments:
            rep.created_at = now
    if not use_bulk_sql():
        return _ledger_insert_orm(upk_id, entries, lines, counts, books)
    names = sorted(n for n, c in counts.items() if c > 0)
    n = len(entries)
    counter_sql, counter_params = _rows([(upk_id, name, counts[name]) for name in names], ("bigint", "text", "bigint"))
    entry_sql, entry_params = _rows(
        [
            (i, e.date, e.kind, e.description, e.reverses_id, e.idempotency_key, e.created_by_id)
            for i, e in enumerate(entries)
        ],
        ("int", "date", "text", "text", "bigint", "text", "bigint"),
    )
    line_sql, line_params = _rows(
        [(ln.entry_index, ln.account_id, ln.debit, ln.credit, ln.loan_id, ln.ksm_id, ln.memo) for ln in lines],
        ("int", "bigint", "numeric", "numeric", "bigint", "bigint", "text"),
    )
    # Entry i gets number (journal counter after this statement) - n + 1 + i;
    # lines (and repayments) find their entry by that number (unique within the UPK).
    parts = [
        (
            "c",
            f"""INSERT INTO upk_counter (upk_id, name, value) {counter_sql}
                ON CONFLICT (upk_id, name) DO UPDATE SET value = upk_counter.value + EXCLUDED.value
                RETURNING name, value""",
            counter_params,
        ),
        (
            "e",
            f"""INSERT INTO upk_journalentry
                       (upk_id, number, date, kind, description, reverses_id, idempotency_key, created_by_id, created_at)
                SELECT %s, c.value - %s + 1 + v.i, v.date, v.kind, v.description, v.reverses_id, v.key, v.actor, %s
                  FROM ({entry_sql}) AS v(i, date, kind, description, reverses_id, key, actor)
                  JOIN c ON c.name = 'journal'
                RETURNING id, number, date""",
            [upk_id, n, now, *entry_params],
        ),
        (
            "l",
            f"""INSERT INTO upk_journalline (entry_id, upk_id, date, account_id, debit, credit, loan_id, ksm_id, memo)
                SELECT e.id, %s, e.date, v.account_id, v.debit, v.credit, v.loan_id, v.ksm_id, v.memo
                  FROM ({line_sql}) AS v(i, account_id, debit, credit, loan_id, ksm_id, memo)
                  JOIN c ON c.name = 'journal'
                  JOIN e ON e.number = c.value - %s + 1 + v.i""",
            [upk_id, *line_params, n],
        ),
    ]
    final = "SELECT name, value, NULL FROM c UNION ALL SELECT 'entry', number, id FROM e"
    if books and books.repayments:
        parts.append(_new_repayments_part(books, n))
        final += " UNION ALL SELECT 'repayment', loan_id, id FROM r"
    if books:
        parts += _book_parts(books)
    rows = _run(parts, final)
    last = {name: int(value) for name, value, _id in rows if name not in ("entry", "repayment")}
    ids = {int(number): pk for name, number, pk in rows if name == "entry"}
    reserved = {name: range(last[name] - counts[name] + 1, last[name] + 1) for name in names}
    for entry, number in zip(entries, reserved["journal"], strict=True):
        entry.number = number
        saved(entry, ids[number])
    if books and books.repayments:
        rep_ids = {int(loan_id): pk for name, loan_id, pk in rows if name == "repayment"}
        _finish_repayments(books, entries, reserved["receipt"])
        for rep in books.repayments:
            saved(rep, rep_ids[rep.loan_id])
    return reserved


def _finish_repayments(books: BookWrites, entries: list[JournalEntry], receipts: range) -> None:
    for rep, entry, number in zip(books.repayments, entries, receipts, strict=False):
        rep.journal_entry = entry
        rep.receipt_number = receipt_number(rep.paid_on, number)


def _new_repayments_part(books: BookWrites, n_entries: int) -> tuple[str, str, list[Any]]:
    sql, params = _rows(
        [
            (
                i,
                r.upk_id,
                r.loan_id,
                r.paid_on,
                r.amount,
                r.channel,
                r.idempotency_key,
                r.collection_sheet_id,
                r.created_by_id,
                r.created_at,
            )
            for i, r in enumerate(books.repayments)
        ],
        ("int", "bigint", "bigint", "date", "numeric", "text", "text", "bigint", "bigint", "timestamptz"),
    )
    m = len(books.repayments)
    # Receipt numbers as `receipt_number` writes them: KW-<year>-<number, at least 6 digits>.
    number = "(rc.value - %s + 1 + v.i)::text"
    return (
        "r",
        f"""INSERT INTO upk_repayment (upk_id, loan_id, receipt_number, paid_on, amount, channel,
                   idempotency_key, journal_entry_id, collection_sheet_id, created_by_id, is_reversed, created_at)
            SELECT v.upk_id, v.loan_id,
                   'KW-' || extract(year FROM v.paid_on)::int || '-' || lpad({number}, greatest(6, length({number})), '0'),
                   v.paid_on, v.amount, v.channel, v.key, e.id, v.sheet, v.actor, false, v.at
              FROM ({sql}) AS v(i, upk_id, loan_id, paid_on, amount, channel, key, sheet, actor, at)
              JOIN c ON c.name = 'journal'
              JOIN c AS rc ON rc.name = 'receipt'
              JOIN e ON e.number = c.value - %s + 1 + v.i
            RETURNING id, loan_id""",
        [m, m, *params, n_entries],
    )


def _book_parts(w: BookWrites) -> list[tuple[str, str, list[Any]]]:
    parts: list[tuple[str, str, list[Any]]] = []
    if w.member_parts:
        sql, p = _rows(w.member_parts, ("bigint", "bigint", "numeric"))
        parts.append(
            (
                "m",
                f"""INSERT INTO upk_repaymentmember (repayment_id, loan_member_id, amount)
                    SELECT r.id, v.loan_member_id, v.amount
                      FROM ({sql}) AS v(loan_id, loan_member_id, amount) JOIN r ON r.loan_id = v.loan_id""",
                p,
            )
        )
    if w.closes:
        sql, p = _values(w.closes, ("bigint", "date"))
        parts.append(
            (
                "x",
                f"""UPDATE upk_allocation AS a SET effective_to = v.effective_to
                      FROM ({sql}) AS v(id, effective_to) WHERE a.id = v.id""",
                p,
            )
        )
    if w.allocations:
        sql, p = _rows(
            [
                (
                    a.repayment_id,
                    a.loan_id,
                    a.upk_id,
                    a.instalment_id,
                    a.component,
                    a.amount,
                    a.effective_from,
                    a.due_date,
                    a.settles,
                    a.schedule_id,
                )
                for a in w.allocations
            ],
            ("bigint", "bigint", "bigint", "bigint", "text", "numeric", "date", "date", "boolean", "bigint"),
        )
        # A row without a repayment id belongs to the new repayment of its loan.
        new_rep = "LEFT JOIN r ON v.repayment_id IS NULL AND r.loan_id = v.loan_id" if w.repayments else ""
        rep_id = "COALESCE(v.repayment_id, r.id)" if w.repayments else "v.repayment_id"
        parts.append(
            (
                "a",
                f"""INSERT INTO upk_allocation (repayment_id, loan_id, upk_id, instalment_id, component, amount,
                           effective_from, due_date, settles, schedule_id)
                    SELECT {rep_id}, v.loan_id, v.upk_id, v.instalment_id, v.component, v.amount,
                           v.effective_from, v.due_date, v.settles, v.schedule_id
                      FROM ({sql}) AS v(repayment_id, loan_id, upk_id, instalment_id, component, amount,
                                        effective_from, due_date, settles, schedule_id) {new_rep}""",
                p,
            )
        )
    if w.instalments:
        sql, p = _values(
            [(i.pk, *(getattr(i, f) for f in PAID_FIELDS)) for i in w.instalments],
            ("bigint", "numeric", "numeric", "numeric", "numeric"),
        )
        sets = ", ".join(f"{f} = v.{f}" for f in PAID_FIELDS)
        parts.append(
            (
                "u",
                f"""UPDATE upk_instalment AS i SET {sets}
                      FROM ({sql}) AS v(id, {", ".join(PAID_FIELDS)}) WHERE i.id = v.id""",
                p,
            )
        )
    if w.loan_states:
        upsert, p = states.upsert_statement(w.loan_states)
        parts.append(("s", upsert, p))
    return parts


def _run(parts: list[tuple[str, str, list[Any]]], final: str) -> list[tuple[Any, ...]]:
    sql = "WITH " + ", ".join(f"{name} AS ({body})" for name, body, _params in parts) + " " + final
    sql = " ".join(sql.split())  # psycopg caches the parse of statements up to 4 kB (and 50 parameters)
    params = [p for _name, _body, ps in parts for p in ps]
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def books_insert(w: BookWrites) -> None:
    """Write book changes that add no repayment (one statement on PostgreSQL)."""
    assert not w.repayments, "new repayments are written with their journal entry (ledger_insert)"
    if not use_bulk_sql():
        _books_insert_orm(w)
        return
    parts = _book_parts(w)
    if parts:
        _run(parts, "SELECT 1 WHERE false")


def _ledger_insert_orm(
    upk_id: int,
    entries: list[JournalEntry],
    lines: list[LineRow],
    counts: Mapping[str, int],
    books: BookWrites | None,
) -> dict[str, range]:
    reserved = reserve_numbers(upk_id, counts)
    for entry, number in zip(entries, reserved["journal"], strict=True):
        entry.number = number
    JournalEntry.objects.bulk_create(entries)
    JournalLine.objects.bulk_create(
        [
            JournalLine(
                entry=entries[ln.entry_index],
                upk_id=upk_id,
                date=entries[ln.entry_index].date,
                account_id=ln.account_id,
                debit=Decimal(ln.debit),
                credit=Decimal(ln.credit),
                loan_id=ln.loan_id,
                ksm_id=ln.ksm_id,
                memo=ln.memo,
            )
            for ln in lines
        ]
    )
    if books:
        if books.repayments:
            _finish_repayments(books, entries, reserved["receipt"])
        _books_insert_orm(books)
    return reserved


def _books_insert_orm(w: BookWrites) -> None:
    created = Repayment.objects.bulk_create(w.repayments) if w.repayments else []
    by_loan = {rep.loan_id: rep for rep in created}
    if w.member_parts:
        RepaymentMember.objects.bulk_create(
            [
                RepaymentMember(repayment=by_loan[loan_id], loan_member_id=lm, amount=Decimal(amount))
                for loan_id, lm, amount in w.member_parts
            ]
        )
    by_date: dict[date, list[int]] = {}
    for pk, when in w.closes:
        by_date.setdefault(when, []).append(pk)
    for when, ids in by_date.items():
        Allocation.objects.filter(pk__in=ids).update(effective_to=when)
    for row in w.allocations:
        if row.repayment_id is None:
            row.repayment = by_loan[row.loan_id]
    Allocation.objects.bulk_create(w.allocations)
    states.write(w.loan_states)
    if w.instalments:
        Instalment.objects.bulk_update(
            [Instalment(pk=i.pk, **{f: Decimal(getattr(i, f)) for f in PAID_FIELDS}) for i in w.instalments],
            list(PAID_FIELDS),
        )
