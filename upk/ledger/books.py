"""A loan's books as a replay sees them: schedules, the bulk book read, the replay plan (allocation pieces, reallocation deltas, instalment cache, loan state) and its writes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

from ..models import (
    Allocation,
    Instalment,
    Loan,
    MemberInstalment,
    Repayment,
    Schedule,
)
from . import engine, states, writes
from .errors import LedgerError


def loan_terms(loan: Loan, *, principal: int | None = None, term_months: int | None = None) -> engine.Terms:
    return engine.Terms(
        principal=int(principal if principal is not None else loan.principal),
        term_months=term_months or loan.term_months,
        jasa_rate=loan.jasa_rate,
        jasa_method=loan.jasa_method,
        bop_rate=loan.bop_rate,
        frequency=loan.frequency,
        rounding_unit=loan.rounding_unit,
    )


def create_schedule(
    loan: Loan, *, version: int, effective_from: date, lines: list[engine.Line], reason: str
) -> Schedule:
    schedule = Schedule.objects.create(
        loan=loan,
        version=version,
        effective_from=effective_from,
        principal=Decimal(sum(line.pokok for line in lines)),
        reason=reason,
    )
    instalments = Instalment.objects.bulk_create(
        [
            Instalment(
                schedule=schedule,
                loan=loan,
                upk_id=loan.upk_id,
                number=line.number,
                due_date=line.due_date,
                pokok=Decimal(line.pokok),
                jasa=Decimal(line.jasa),
                bop=Decimal(line.bop),
                total=Decimal(line.total),
            )
            for line in lines
        ]
    )
    # Nothing is paid on a new schedule yet (a reschedule refuses payments on
    # or after its date); earlier schedules' pokok stays paid.
    shared = states.mark_shared_ksm(loan.pk, loan.ksm_id) if version == 1 else False
    states.write(
        [
            states.state_row(
                loan_id=loan.pk,
                upk_id=loan.upk_id,
                ksm_id=loan.ksm_id,
                principal=int(loan.principal),
                pokok_all=int(loan.principal) - int(schedule.principal),
                valid_from=effective_from,
                written_off_on=loan.written_off_on,
                schedule_from=effective_from,
                instalments=[states.InstalmentFigures(line.due_date, line.pokok, line.total, 0, 0) for line in lines],
                shared_ksm=shared,
            )
        ]
    )
    members = list(loan.loan_members.order_by("pk"))
    shares = engine.split_members(lines, [int(m.amount) for m in members])
    MemberInstalment.objects.bulk_create(
        [
            MemberInstalment(instalment=inst, loan_member=member, pokok=Decimal(p), jasa=Decimal(j), bop=Decimal(b))
            for inst, row in zip(instalments, shares, strict=True)
            for member, (p, j, b) in zip(members, row, strict=True)
        ]
    )
    return schedule


def current_schedule(loan: Loan) -> Schedule:
    schedule = loan.schedules.filter(effective_to__isnull=True).order_by("-version").first()
    if schedule is None:
        raise LedgerError(_("Pinjaman %(loan)s belum dicairkan.") % {"loan": loan.number})
    return schedule


NEW_PAYMENT_KEY = 2**62  # sorts after every stored repayment of the same day


@dataclass
class LoanBook:
    """What a replay needs of one loan, read in bulk (`load_books`)."""

    loan: Loan
    schedule: Schedule
    instalments: list[BookInstalment]
    # Live, on the current schedule, by (paid_on, pk); not read (empty) when appended.
    repayments: list[LiveRepayment]
    current: dict[int, list[Allocation]]  # repayment pk → its current allocation rows; not read when appended
    # True when the new payment sorts after every live repayment. Allocation
    # is causal (engine.allocate), so the other repayments' pieces cannot
    # change: the new payment is allocated over what the instalments have
    # received so far (their paid_* cache), without replaying the others.
    appended: bool = False


_INSTALMENT_FIELDS = (
    "id",
    "schedule_id",
    "loan_id",
    "number",
    "due_date",
    "pokok",
    "jasa",
    "bop",
    "total",
    "paid_pokok",
    "paid_jasa",
    "paid_bop",
    "paid_denda",
)


@dataclass(slots=True)
class BookInstalment:
    """An instalment of the current schedule as a replay sees it, whole Rupiah
    (plain objects, not models: a posting reads a dozen or more)."""

    pk: int
    schedule_id: int
    loan_id: int
    number: int
    due_date: date
    pokok: int
    jasa: int
    bop: int
    total: int
    paid_pokok: int
    paid_jasa: int
    paid_bop: int
    paid_denda: int

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> BookInstalment:
        pk, schedule_id, loan_id, number, due_date, *money = row
        return cls(pk, schedule_id, loan_id, number, states.row_day(due_date), *(int(v) for v in money))


_SCHEDULE_FIELDS = ("id", "loan_id", "version", "effective_from", "effective_to", "principal")


_REPAYMENT_FIELDS = ("id", "loan_id", "paid_on", "amount")


class LiveRepayment(NamedTuple):
    """What a replay needs of a stored repayment (a tuple: a loan has dozens)."""

    pk: int
    loan_id: int
    paid_on: date
    amount: int


@lru_cache(maxsize=128)
def _books_sql(n: int, *, latest_only: bool) -> str:
    """Current instalments (with their schedule) of n loans and, in the same
    statement, their live repayments; each part fills its own columns, NULL
    in the other's. With `latest_only`, each loan's latest live payment date
    instead of its repayments (in the `paid_on` column): all a new payment
    needs to know whether it comes after every other (`LoanBook.appended`).

    The schedule is filtered by loan as well as joined: the planner then reads
    it through its loan index rather than scanning it for a hash join."""
    ids = ", ".join(["%s"] * n)
    inst = ", ".join([*(f"i.{f}" for f in _INSTALMENT_FIELDS), *(f"s.{f}" for f in _SCHEDULE_FIELDS)])
    no_inst = ", ".join(["NULL"] * (len(_INSTALMENT_FIELDS) + len(_SCHEDULE_FIELDS)))
    no_rep = ", ".join(["NULL"] * len(_REPAYMENT_FIELDS))
    if latest_only:
        # Per loan, so that MAX reads one entry of the (loan, paid_on) index
        # backwards, however many repayments the loan has.
        repayments = (
            f"SELECT 1, {no_inst}, NULL, l.id, (SELECT MAX(r.paid_on) FROM upk_repayment r "  # noqa: S608 - constant SQL
            f"WHERE r.loan_id = l.id AND NOT r.is_reversed), NULL FROM upk_loan l WHERE l.id IN ({ids})"
        )
    else:
        rep = ", ".join(f"r.{f}" for f in _REPAYMENT_FIELDS)
        repayments = f"SELECT 1, {no_inst}, {rep} FROM upk_repayment r WHERE r.loan_id IN ({ids}) AND NOT r.is_reversed"  # noqa: S608 - constant SQL
    return (
        f"SELECT 0, {inst}, {no_rep} FROM upk_instalment i JOIN upk_schedule s ON s.id = i.schedule_id "  # noqa: S608 - constant SQL
        f"WHERE i.loan_id IN ({ids}) AND s.loan_id IN ({ids}) AND s.effective_to IS NULL UNION ALL {repayments}"
    )


def books_statement(ids: list[int], new_paid_on: Mapping[int, date]) -> tuple[str, list[int]]:
    """The book read of `load_books` (a new payment for every loan in `new_paid_on` or none)."""
    return _books_sql(len(ids), latest_only=bool(new_paid_on)), ids * 3


def load_books(loans: Iterable[Loan], *, new_paid_on: Mapping[int, date] | None = None) -> dict[int, LoanBook]:
    """Current schedule, live repayments and current allocations of many loans.

    With `new_paid_on` (loan pk → date of the payment about to be recorded),
    one query when every new payment is dated on or after its loan's latest
    live repayment (the append path: neither the repayments nor the
    allocations are read); the other loans' are read by a second."""
    loans = list(loans)
    sql, params = books_statement([loan.pk for loan in loans], new_paid_on or {})
    with writes.hot_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return books_from_rows(loans, rows, new_paid_on or {})


def books_from_rows(loans: list[Loan], rows: list[Any], new_paid_on: Mapping[int, date]) -> dict[int, LoanBook]:
    """Books from the rows of `books_statement(…, new_paid_on)`, plus the
    reads a replay needs for the loans that are not appended to."""
    ids = [loan.pk for loan in loans]
    instalments: dict[int, list[BookInstalment]] = defaultdict(list)
    repayments: dict[int, list[LiveRepayment]] = defaultdict(list)
    latest: dict[int, date] = {}
    schedules: dict[int, Schedule] = {}
    n_inst, n_sched = len(_INSTALMENT_FIELDS), len(_SCHEDULE_FIELDS)
    for row in rows:
        if row[0] == 0:
            inst = BookInstalment.from_row(row[1 : 1 + n_inst])
            if inst.schedule_id not in schedules:
                schedule = writes.instance(Schedule, _SCHEDULE_FIELDS, row[1 + n_inst : 1 + n_inst + n_sched])
                schedules[schedule.pk] = schedule
            instalments[inst.loan_id].append(inst)
        elif new_paid_on:
            _pk, loan_id, paid_on, _amount = row[1 + n_inst + n_sched :]
            if paid_on is not None:
                latest[loan_id] = states.row_day(paid_on)
        else:
            pk, loan_id, paid_on, amount = row[1 + n_inst + n_sched :]
            repayments[loan_id].append(LiveRepayment(pk, loan_id, states.row_day(paid_on), int(amount)))
    for insts in instalments.values():
        insts.sort(key=lambda i: i.number)
    appended = {pk for pk in ids if pk in new_paid_on and (pk not in latest or latest[pk] <= new_paid_on[pk])}
    replayed = [pk for pk in ids if pk not in appended]
    current: dict[int, list[Allocation]] = defaultdict(list)
    if replayed:
        if new_paid_on:  # only the latest date was read
            for rep in Repayment.objects.filter(loan_id__in=replayed, is_reversed=False).values_list(
                "pk", "loan_id", "paid_on", "amount"
            ):
                repayments[rep[1]].append(LiveRepayment(rep[0], rep[1], rep[2], int(rep[3])))
        for row in Allocation.objects.filter(loan_id__in=replayed, effective_to__isnull=True):
            current[row.repayment_id].append(row)
    for reps in repayments.values():
        reps.sort(key=lambda r: (r.paid_on, r.pk))
    books = {}
    for loan in loans:
        insts = instalments.get(loan.pk, [])
        if not insts:
            raise LedgerError(_("Pinjaman %(loan)s belum dicairkan.") % {"loan": loan.number})
        schedule = schedules[insts[0].schedule_id]
        books[loan.pk] = LoanBook(
            loan,
            schedule,
            insts,
            [r for r in repayments[loan.pk] if r.paid_on >= schedule.effective_from],
            current,
            loan.pk in appended,
        )
    return books


@dataclass
class Plan:
    """A replay's outcome, not yet written."""

    book: LoanBook
    pieces: dict[int, list[engine.Piece]]
    states: list[engine.InstalmentState]
    close_on: date
    to_close: list[int] = field(default_factory=list)
    new_rows: list[tuple[int, BookInstalment, engine.Piece, date]] = field(default_factory=list)  # (repayment key, …)
    deltas: dict[date, dict[str, int]] = field(default_factory=dict)
    changed_instalments: list[BookInstalment] = field(default_factory=list)

    @property
    def owed(self) -> int:
        return engine.outstanding_total(self.states)


def plan_replay(
    book: LoanBook, *, event_date: date, extra: engine.Payment | None = None, exclude: int | None = None
) -> Plan:
    """Re-allocate the loan's live repayments (plus `extra`, minus `exclude`)
    and work out what changes: rows to close at `event_date`, rows to add
    (effective from max(paid_on, event_date)), per-date component deltas of
    the other repayments, and the instalment cache. No queries. (An appended
    book allocates only `extra`, over what the instalments had received.)"""
    loan = book.loan
    lines = [engine.Line(i.number, i.due_date, i.pokok, i.jasa, i.bop) for i in book.instalments]
    paid = None
    if book.appended:
        assert extra is not None and extra.key == NEW_PAYMENT_KEY and exclude is None
        payments = [extra]
        paid = [
            {"denda": i.paid_denda, "jasa": i.paid_jasa, "bop": i.paid_bop, "pokok": i.paid_pokok}
            for i in book.instalments
        ]
    else:
        payments = [engine.Payment(r.pk, r.paid_on, int(r.amount)) for r in book.repayments if r.pk != exclude]
        if extra:
            payments.append(extra)
    try:
        pieces, states = engine.allocate(
            lines, payments, late_fee=int(loan.late_fee_amount), grace_days=loan.late_fee_grace_days, paid=paid
        )
    except engine.EngineError as exc:
        raise LedgerError(
            _("Jumlah pembayaran melebihi sisa kewajiban pinjaman %(loan)s.") % {"loan": loan.number}
        ) from exc
    plan = Plan(book, pieces, states, event_date)
    by_number = {i.number: i for i in book.instalments}
    paid_on = {r.pk: r.paid_on for r in book.repayments}
    deltas: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, own in pieces.items():
        if key == NEW_PAYMENT_KEY:
            assert extra is not None
            plan.new_rows.extend((key, by_number[p.instalment], p, extra.paid_on) for p in own)
            continue
        old_rows = book.current.get(key, [])
        new_set = sorted((by_number[p.instalment].pk, p.component, p.amount, p.settles) for p in own)
        old_set = sorted((r.instalment_id, r.component, int(r.amount), r.settles) for r in old_rows)
        if new_set == old_set:
            continue
        when = max(paid_on[key], event_date)
        plan.to_close.extend(r.pk for r in old_rows)
        for r in old_rows:
            deltas[when][r.component] -= int(r.amount)
        for p in own:
            deltas[when][p.component] += p.amount
            plan.new_rows.append((key, by_number[p.instalment], p, when))
    if exclude is not None:
        plan.to_close.extend(r.pk for r in book.current.get(exclude, []))
    plan.deltas = {d: {c: v for c, v in comps.items() if v} for d, comps in deltas.items()}
    plan.deltas = {d: comps for d, comps in plan.deltas.items() if comps}
    for inst, state in zip(book.instalments, states, strict=True):
        values = {f"paid_{c}": state.paid[c] for c in ("pokok", "jasa", "bop", "denda")}
        if any(getattr(inst, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(inst, k, v)
            plan.changed_instalments.append(inst)
    return plan


def plan_writes(plans: list[Plan]) -> writes.BookWrites:
    """What storing `plans` changes: rows to close, rows to add (the new
    payment's rows without a repayment id yet), the instalment cache."""
    w = writes.BookWrites()
    for plan in plans:
        loan = plan.book.loan
        w.closes.extend((pk, plan.close_on) for pk in plan.to_close)
        for key, inst, piece, effective_from in plan.new_rows:
            w.allocations.append(
                Allocation(
                    repayment_id=None if key == NEW_PAYMENT_KEY else key,  # type: ignore[misc]
                    loan_id=loan.pk,
                    upk_id=loan.upk_id,
                    instalment_id=inst.pk,
                    component=piece.component,
                    amount=Decimal(piece.amount),
                    effective_from=effective_from,
                    due_date=inst.due_date,
                    schedule_id=inst.schedule_id,
                    settles=piece.settles,
                )
            )
        w.instalments.extend(plan.changed_instalments)
        if states.enabled():
            w.loan_states.append(state_of(plan))
    return w


def write_plans(plans: list[Plan]) -> None:
    """Store plans that add no repayment (one statement on PostgreSQL)."""
    writes.books_insert(plan_writes(plans))


def state_of(plan: Plan) -> states.StateRow:
    """The loan's state after `plan` (its instalments carry the new paid_*).
    Valid from the latest date the plan closes or starts a row (and never
    before the schedule): from then on the current rows are the valid ones."""
    book = plan.book
    loan = book.loan
    starts = [effective_from for _key, _inst, _piece, effective_from in plan.new_rows]
    valid_from = max([book.schedule.effective_from, *starts] + ([plan.close_on] if plan.close_on != date.max else []))
    figures = [
        states.InstalmentFigures(
            i.due_date, int(i.pokok), int(i.total), int(i.paid_pokok), int(i.paid_pokok + i.paid_jasa + i.paid_bop)
        )
        for i in book.instalments
    ]
    # Earlier schedules' allocations cannot change any more (payments and
    # reversals before the current schedule are refused), so the pokok paid on
    # them is the part of the principal not carried into the current schedule.
    paid_before = int(loan.principal) - int(book.schedule.principal)
    return states.state_row(
        loan_id=loan.pk,
        upk_id=loan.upk_id,
        ksm_id=loan.ksm_id,
        principal=int(loan.principal),
        pokok_all=paid_before + sum(f.paid_pokok for f in figures),
        valid_from=valid_from,
        written_off_on=loan.written_off_on,
        schedule_from=book.schedule.effective_from,
        instalments=figures,
    )


@dataclass
class ReplayResult:
    schedule: Schedule
    instalments: list[BookInstalment]
    pieces: dict[int, list[engine.Piece]]
    states: list[engine.InstalmentState]


def replay_loan(loan: Loan, *, extra: engine.Payment | None = None, exclude: int | None = None) -> ReplayResult:
    """Replay one loan without writing (used by reschedule, write-off and the
    property tests' "replaying gives the same allocations")."""
    book = load_books([loan])[loan.pk]
    plan = plan_replay(book, event_date=date.max, extra=extra, exclude=exclude)
    return ReplayResult(book.schedule, book.instalments, plan.pieces, plan.states)
