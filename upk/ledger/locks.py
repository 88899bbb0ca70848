"""THE place ledger rows are locked.

Why: every service that changes a loan's repayments, allocations, status or state locks the loan rows first, sorted by pk, held to commit. Two postings on the same loan therefore run one after the other (nothing lost or counted twice), and two transactions locking overlapping sets queue in the same order (no deadlock). Per-UPK counters are taken after the loans (`numbering`); the KSM row is locked (after its loans) only by savings, whose balance check reads then writes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache

from django.db import connection
from django.db.transaction import TransactionManagementError

from ..models import (
    KSM,
    Loan,
)
from . import writes
from .books import LoanBook, books_from_rows, books_statement
from .periods import DAYS_AHEAD_SQL, LAST_CLOSED_SQL, window_from

_LOAN_FIELDS = Loan._meta.concrete_fields


_LOCK_KSM_FIELDS = ("id", "upk_id", "code", "name")


def lock_loans(pks: Iterable[int]) -> dict[int, Loan]:
    """THE place loan rows are locked. Sorted by pk so two transactions that
    lock overlapping sets always queue in the same order (no deadlock); held
    to commit so repayments, replays and status changes of one loan are
    serialised — nothing is lost or double-counted under concurrent posting.
    (The KSM is read along, not locked: `FOR UPDATE OF l`.)"""
    return lock_loans_and_books(pks)[0]


@lru_cache(maxsize=64)
def _lock_sql(n: int, lock_of: bool) -> str:
    """The lock statement for n loans (built once per n: it runs on every posting)."""
    columns = ", ".join(f'l."{f.column}"' for f in _LOAN_FIELDS)
    ksm_columns = ", ".join(f'k."{f}"' for f in _LOCK_KSM_FIELDS)
    return (
        f"SELECT {columns}, {ksm_columns}, ({LAST_CLOSED_SQL.format(upk='l.upk_id')}), "  # noqa: S608 - constant SQL
        f"({DAYS_AHEAD_SQL.format(upk='l.upk_id')}) "
        f"FROM upk_loan l JOIN upk_ksm k ON k.id = l.ksm_id WHERE l.id IN ({', '.join(['%s'] * n)}) "
        f"ORDER BY l.id{' FOR UPDATE OF l' if lock_of else ''}"
    )


def lock_loans_and_books(
    pks: Iterable[int], *, new_paid_on: Mapping[int, date] | None = None
) -> tuple[dict[int, Loan], dict[int, LoanBook] | None]:
    """`lock_loans`; with `new_paid_on` (loan pk → date of the payment about
    to be recorded) also the loans' books (`load_books`), read by a second
    statement sent in the same round trip (psycopg pipeline). The server runs
    it after the lock is granted and, in READ COMMITTED, with a snapshot taken
    then: it sees everything committed by whoever held the lock before."""
    if connection.get_autocommit():
        # As select_for_update: a lock released at once would serialise nothing.
        raise TransactionManagementError("Loan rows can only be locked inside a transaction.")
    ordered = sorted(set(pks))
    if not ordered:
        return {}, ({} if new_paid_on is not None else None)
    # Plain SQL, not a queryset: this runs on every posting and the ORM's
    # query compilation cost more than the round trip. The UPK's last closed
    # month comes along (one round trip less); closing a month takes no lock a
    # posting waits on, so reading it here is as safe as reading it after.
    statements = [(_lock_sql(len(ordered), connection.features.has_select_for_update_of), ordered)]
    if new_paid_on is not None:
        statements.append(books_statement(ordered, new_paid_on))
    results = writes.run_in_one_round_trip(statements)
    n, m = len(_LOAN_FIELDS), len(_LOCK_KSM_FIELDS)
    names = [f.attname for f in _LOAN_FIELDS]
    loans = {}
    for row in results[0]:
        loan = writes.instance(Loan, names, row[:n])
        Loan.ksm.field.set_cached_value(loan, writes.instance(KSM, _LOCK_KSM_FIELDS, row[n : n + m]))
        loan.posting_window = window_from(row[n + m], row[n + m + 1])  # type: ignore[attr-defined]
        loans[loan.pk] = loan
    if new_paid_on is None:
        return loans, None
    return loans, books_from_rows(list(loans.values()), results[1], new_paid_on)


def lock_ksm(ksm: KSM) -> KSM:
    # Savings balance checks read-then-write; the KSM row serialises them.
    return KSM.objects.select_for_update().get(pk=ksm.pk)
