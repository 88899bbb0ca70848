"""Per-loan current state (`LoanState`): one row per disbursed loan so that
as-of reports over many loans read one row per loan (docs/ledger.md §12).

The row equals the loan's current allocation rows (effective_to IS NULL) on
its current schedule. Those are exactly the rows valid on a date D when no
current row starts after D, no closed row ends after D and the current
schedule started on or before D; `valid_from` is the latest of those dates,
kept by the writers as max(old valid_from, the event's date, the effective
date of every row written, the schedule's start). Reports use the state for
D ≥ valid_from; for loans changed after D they take what was due from the
state (while the schedule is the same) and what was paid from the
allocations valid on D.

The services write it in the transaction that changes the allocations or the
schedule (`upsert_statement`, folded into the instalment-cache statement for
postings); `compute` recomputes it from the allocations (`ledger_drift`,
tests) and `rebuild` stores that (data migration 0009, repairs). The
database refuses a schedule without a state and the deletion of a state
(migration 0011). PostgreSQL only: on other databases (the SQLite demo)
nothing is written and the reports read the allocations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection as default_connection


def enabled(connection=default_connection) -> bool:  # type: ignore[no-untyped-def]
    return connection.vendor == "postgresql"


@dataclass(frozen=True)
class InstalmentFigures:
    """What the state needs of one instalment of the current schedule."""

    due_date: date
    pokok: int
    total: int  # pokok + jasa + BOP
    paid_pokok: int
    paid: int  # pokok + jasa + BOP paid (no denda)


@dataclass(frozen=True)
class StateRow:
    loan_id: int
    upk_id: int
    ksm_id: int
    valid_from: date
    principal: int
    pokok_all: int
    written_off_on: date | None
    schedule_from: date
    shared_ksm: bool
    due_dates: list[date]
    cum_due: list[int]
    cum_pokok: list[int]
    cum_nonzero: list[int]
    cum_paid: list[int]
    cum_arrears_pokok: list[int]
    cum_unsettled: list[int]


def state_row(
    *,
    loan_id: int,
    upk_id: int,
    ksm_id: int,
    principal: int,
    pokok_all: int,
    valid_from: date,
    written_off_on: date | None,
    schedule_from: date,
    instalments: Sequence[InstalmentFigures],
    shared_ksm: bool = False,
) -> StateRow:
    """The state of one loan from its current schedule's instalments (in
    instalment order) and what is paid on them. The one place that defines
    the prefix sums; `selectors.loan_positions` has the same definitions."""
    due_dates: list[date] = []
    cum_due: list[int] = []
    cum_pokok: list[int] = []
    cum_nonzero: list[int] = []
    cum_paid: list[int] = []
    cum_arr: list[int] = []
    cum_unsettled: list[int] = []
    due = pokok = nonzero = paid = arr = unsettled = 0
    for inst in instalments:
        due += inst.total
        pokok += inst.pokok
        nonzero += 1 if inst.total > 0 else 0
        paid += inst.paid
        arr += inst.pokok - inst.paid_pokok
        # Same rule as loan_positions' n_arrears: total > paid (a zero-total instalment is never in arrears).
        unsettled += 1 if inst.total > inst.paid else 0
        due_dates.append(inst.due_date)
        cum_due.append(due)
        cum_pokok.append(pokok)
        cum_nonzero.append(nonzero)
        cum_paid.append(paid)
        cum_arr.append(arr)
        cum_unsettled.append(unsettled)
    return StateRow(
        loan_id,
        upk_id,
        ksm_id,
        valid_from,
        principal,
        pokok_all,
        written_off_on,
        schedule_from,
        shared_ksm,
        due_dates,
        cum_due,
        cum_pokok,
        cum_nonzero,
        cum_paid,
        cum_arr,
        cum_unsettled,
    )


_COLUMNS = (
    "loan_id, upk_id, ksm_id, valid_from, principal, pokok_all, written_off_on, schedule_from, shared_ksm, "
    "due_dates, cum_due, cum_pokok, cum_nonzero, cum_paid, cum_arrears_pokok, cum_unsettled"
)
_ROW = (
    "(%s, %s, %s, %s::date, %s, %s, %s::date, %s::date, %s, "
    "%s::date[], %s::bigint[], %s::bigint[], %s::int[], %s::bigint[], %s::bigint[], %s::int[])"
)
# In operation valid_from never moves back (a date whose allocations differ
# from the current ones stays before it, see the module docstring); a
# rebuild from the allocations sets it.
_UPSERT = (
    f"INSERT INTO upk_loanstate ({_COLUMNS}) VALUES {{values}} "  # noqa: S608 - constant text
    "ON CONFLICT (loan_id) DO UPDATE SET "
    "valid_from = {valid_from}, "
    "pokok_all = EXCLUDED.pokok_all, written_off_on = EXCLUDED.written_off_on, "
    "schedule_from = EXCLUDED.schedule_from, due_dates = EXCLUDED.due_dates, cum_due = EXCLUDED.cum_due, "
    # Once a KSM has a second loan it keeps it (writers that do not know pass False).
    "shared_ksm = upk_loanstate.shared_ksm OR EXCLUDED.shared_ksm, "
    "cum_pokok = EXCLUDED.cum_pokok, cum_nonzero = EXCLUDED.cum_nonzero, cum_paid = EXCLUDED.cum_paid, "
    "cum_arrears_pokok = EXCLUDED.cum_arrears_pokok, cum_unsettled = EXCLUDED.cum_unsettled"
)


_KEEP_LATER = "GREATEST(upk_loanstate.valid_from, EXCLUDED.valid_from)"


def _array_literal(values: Sequence[int | date]) -> str:
    """`{1,2,3}` / `{2026-01-05,…}`, cast in the statement: psycopg would dump
    a list element by element (a regex test each), which was a tenth of a
    posting's Python time. Integers and ISO dates never need quoting."""
    return "{" + ",".join(v.isoformat() if isinstance(v, date) else str(int(v)) for v in values) + "}"


def upsert_statement(rows: Sequence[StateRow], *, replace: bool = False) -> tuple[str, list[Any]]:
    """One INSERT … ON CONFLICT for many loans (the caller may prefix a CTE).
    `replace` (a rebuild) sets valid_from instead of keeping the later one."""
    params: list[Any] = []
    for r in rows:
        params += [
            r.loan_id,
            r.upk_id,
            r.ksm_id,
            r.valid_from,
            r.principal,
            r.pokok_all,
            r.written_off_on,
            r.schedule_from,
            r.shared_ksm,
            *(
                _array_literal(values)
                for values in (
                    r.due_dates,
                    r.cum_due,
                    r.cum_pokok,
                    r.cum_nonzero,
                    r.cum_paid,
                    r.cum_arrears_pokok,
                    r.cum_unsettled,
                )
            ),
        ]
    valid_from = "EXCLUDED.valid_from" if replace else _KEEP_LATER
    sql = _UPSERT.format(values=", ".join([_ROW] * len(rows)), valid_from=valid_from)
    if replace:
        sql = sql.replace("upk_loanstate.shared_ksm OR EXCLUDED.shared_ksm", "EXCLUDED.shared_ksm")
    return sql, params


def write(rows: Sequence[StateRow], *, connection=default_connection, replace: bool = False) -> None:  # type: ignore[no-untyped-def]
    if not rows or not enabled(connection):
        return
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            sql, params = upsert_statement(rows[start : start + 1000], replace=replace)
            cursor.execute(sql, params)


def mark_shared_ksm(loan_id: int, ksm_id: int) -> bool:
    """At a disbursement: flag the other loans of the KSM as sharing it and
    say whether there are any (then the new loan is flagged too)."""
    if not enabled():
        return False
    with default_connection.cursor() as cursor:
        cursor.execute(
            "UPDATE upk_loanstate SET shared_ksm = true "
            "WHERE loan_id IN (SELECT id FROM upk_loan WHERE ksm_id = %s AND id <> %s) RETURNING loan_id",
            [ksm_id, loan_id],
        )
        return bool(cursor.fetchall())


def set_written_off(loan_id: int, on: date | None) -> None:
    if not enabled():
        return
    with default_connection.cursor() as cursor:
        cursor.execute("UPDATE upk_loanstate SET written_off_on = %s WHERE loan_id = %s", [on, loan_id])


def row_date(value: Any) -> date | None:
    """A date column read with plain SQL (SQLite gives ISO text); None stays None."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def row_day(value: Any) -> date:
    """`row_date` of a column that is never NULL."""
    day = row_date(value)
    assert day is not None
    return day


def compute(*, connection=default_connection, loan_ids: Iterable[int] | None = None) -> list[StateRow]:  # type: ignore[no-untyped-def]
    """Every disbursed loan's state computed from its allocations (not from
    the instalments' paid_* cache). Raw SQL, so the data migration can use it.
    """
    only = sorted(set(loan_ids)) if loan_ids is not None else None
    loan_filter = "WHERE s.loan_id = ANY(%s)" if only is not None else ""
    alloc_filter = "AND a.loan_id = ANY(%s)" if only is not None else ""
    args: list[Any] = [only] if only is not None else []
    with connection.cursor() as cursor:
        # The current schedule (the one without an end) of every disbursed loan.
        cursor.execute(
            f"""
            SELECT s.loan_id, s.id, s.effective_from, l.upk_id, l.ksm_id, l.principal, l.written_off_on
              FROM upk_schedule s JOIN upk_loan l ON l.id = s.loan_id
              {loan_filter} {"AND" if only is not None else "WHERE"} s.effective_to IS NULL
            """,  # noqa: S608 - constant text, values are parameters
            args,
        )
        schedules = {row[0]: row[1:] for row in cursor.fetchall()}
        # Pokok paid (all schedules) and the latest date any allocation row starts or ends.
        cursor.execute(
            f"""
            SELECT a.loan_id,
                   SUM(CASE WHEN a.component = 'pokok' AND a.effective_to IS NULL THEN a.amount ELSE 0 END),
                   MAX(CASE WHEN a.effective_to IS NULL THEN a.effective_from ELSE a.effective_to END)
              FROM upk_allocation a
             WHERE true {alloc_filter}
             GROUP BY a.loan_id
            """,  # noqa: S608
            args,
        )
        alloc = {row[0]: (int(row[1] or 0), row_date(row[2])) for row in cursor.fetchall()}
        cursor.execute(
            f"""
            SELECT i.loan_id, i.schedule_id, i.number, i.due_date, i.pokok, i.total,
                   COALESCE(SUM(CASE WHEN a.component = 'pokok' THEN a.amount END), 0),
                   COALESCE(SUM(CASE WHEN a.component <> 'denda' THEN a.amount END), 0)
              FROM upk_instalment i
              JOIN upk_schedule s ON s.id = i.schedule_id AND s.effective_to IS NULL
              LEFT JOIN upk_allocation a ON a.instalment_id = i.id AND a.effective_to IS NULL
             {"WHERE i.loan_id = ANY(%s)" if only is not None else ""}
             GROUP BY i.loan_id, i.schedule_id, i.number, i.due_date, i.pokok, i.total
             ORDER BY i.loan_id, i.number
            """,  # noqa: S608
            args,
        )
        instalments: dict[int, list[InstalmentFigures]] = defaultdict(list)
        for loan_id, _schedule, _number, due, pokok, total, paid_pokok, paid in cursor.fetchall():
            instalments[loan_id].append(
                InstalmentFigures(row_day(due), int(pokok), int(total), int(paid_pokok), int(paid))
            )
        # KSMs with more than one loan (any loan with a schedule, not only those asked for).
        ksm_ids = sorted({row[3] for row in schedules.values()})
        cursor.execute(
            "SELECT l.ksm_id, COUNT(DISTINCT s.loan_id) FROM upk_schedule s JOIN upk_loan l ON l.id = s.loan_id "
            "WHERE l.ksm_id = ANY(%s) GROUP BY l.ksm_id",
            [ksm_ids],
        )
        loans_per_ksm = dict(cursor.fetchall())
    rows = []
    for loan_id, (_sid, starts, upk_id, ksm_id, principal, written_off_on) in sorted(schedules.items()):
        pokok_all, last_change = alloc.get(loan_id, (0, None))
        starts = row_day(starts)
        valid_from = max(starts, last_change) if last_change else starts
        rows.append(
            state_row(
                loan_id=loan_id,
                upk_id=upk_id,
                ksm_id=ksm_id,
                principal=int(principal),
                pokok_all=pokok_all,
                valid_from=valid_from,
                written_off_on=row_date(written_off_on),
                schedule_from=starts,
                instalments=instalments.get(loan_id, []),
                shared_ksm=loans_per_ksm[ksm_id] > 1,
            )
        )
    return rows


def rebuild(*, connection=default_connection, loan_ids: Iterable[int] | None = None) -> int:  # type: ignore[no-untyped-def]
    """Recompute and store the state of every (or the given) disbursed loan.
    Used by the data migration for existing books; not needed in operation."""
    if not enabled(connection):
        return 0
    rows = compute(connection=connection, loan_ids=loan_ids)
    write(rows, connection=connection, replace=True)
    return len(rows)


def stored(*, loan_ids: Iterable[int] | None = None) -> list[StateRow]:
    """The stored states (for checks and tests), in loan order."""
    only = sorted(set(loan_ids)) if loan_ids is not None else None
    with default_connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_COLUMNS} FROM upk_loanstate {'WHERE loan_id = ANY(%s)' if only is not None else ''} "  # noqa: S608
            "ORDER BY loan_id",
            [only] if only is not None else [],
        )
        return [
            StateRow(
                r[0],
                r[1],
                r[2],
                r[3],
                int(r[4]),
                int(r[5]),
                r[6],
                r[7],
                r[8],
                list(r[9]),
                *(list(map(int, a)) for a in r[10:16]),
            )
            for r in cursor.fetchall()
        ]
