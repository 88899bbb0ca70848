"""Pure money arithmetic of the ledger: schedules, member splits, allocation.

No database here — services feed it plain values and store what it returns, so
the rules can be tested exhaustively (tests/upk/test_properties.py) and the
same replay runs the same way every time. All amounts are `int` whole Rupiah.

Rules (also in docs/ledger.md):
- Flat jasa: total = round_half_up(principal × rate% × term_months); BOP alike.
- Declining jasa: per instalment, remaining pokok × period rate, floored to the
  rounding unit (weekly period rate = monthly rate ÷ 4).
- Each instalment's pokok / jasa / BOP is the even share floored to the
  rounding unit; the remainder goes on the last instalment (so it is never
  negative and the schedule sums exactly).
- Weekly loans have term_months × 4 instalments, 7 days apart.
- Allocation of a payment on date t: (1) instalments due on or before t, oldest
  first, each denda → jasa → BOP → pokok; (2) what is left pays pokok of the
  next instalments, oldest first; (3) then their jasa and BOP, oldest first.
  Money that still remains is an overpayment and is refused.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

WEEKS_PER_MONTH = 4
COMPONENT_ORDER_DUE = ("denda", "jasa", "bop", "pokok")


class EngineError(ValueError):
    """Input the arithmetic cannot honour; services turn it into LedgerError."""


def add_months(d: date, months: int) -> date:
    """Same day `months` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = d.month - 1 + months
    year = d.year + month_index // 12
    month = month_index % 12 + 1
    day = min(d.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def floor_to(value: Decimal | int, unit: int) -> int:
    """Largest multiple of `unit` not above `value` (value ≥ 0)."""
    return int(Decimal(value) // unit) * unit


def spread(total: int, n: int, unit: int) -> list[int]:
    """`total` over `n` parts: n−1 equal parts floored to `unit`, remainder last."""
    if n <= 0:
        raise EngineError("n must be positive")
    regular = floor_to(Decimal(total) / n, unit)
    return [regular] * (n - 1) + [total - regular * (n - 1)]


def largest_remainder(total: int, weights: list[int]) -> list[int]:
    """Split `total` in proportion to `weights` so the parts sum exactly.

    Each part gets floor(total × w / Σw); the rupiah left over go one each to
    the largest fractional remainders (ties to the earlier position). Works for
    negative totals too (split the absolute value, then negate).
    """
    if not weights:
        raise EngineError("no weights")
    if total < 0:
        return [-p for p in largest_remainder(-total, weights)]
    wsum = sum(weights)
    if wsum <= 0:
        raise EngineError("weights must sum to a positive number")
    parts = []
    remainders = []
    for i, w in enumerate(weights):
        q, r = divmod(total * w, wsum)
        parts.append(q)
        remainders.append((-r, i))
    left = total - sum(parts)
    for _, i in sorted(remainders)[:left]:
        parts[i] += 1
    return parts


@dataclass(frozen=True)
class Terms:
    principal: int
    term_months: int
    jasa_rate: Decimal  # percent per month
    jasa_method: str = "flat"
    bop_rate: Decimal = Decimal(0)
    frequency: str = "monthly"
    rounding_unit: int = 1

    @property
    def n_instalments(self) -> int:
        return self.term_months * (WEEKS_PER_MONTH if self.frequency == "weekly" else 1)


@dataclass(frozen=True)
class Line:
    number: int
    due_date: date
    pokok: int
    jasa: int
    bop: int

    @property
    def total(self) -> int:
        return self.pokok + self.jasa + self.bop


def due_dates(first_due: date, n: int, frequency: str) -> list[date]:
    if frequency == "weekly":
        return [first_due + timedelta(days=7 * i) for i in range(n)]
    return [add_months(first_due, i) for i in range(n)]


def build_schedule(terms: Terms, first_due: date, extra_first_jasa: int = 0, extra_first_bop: int = 0) -> list[Line]:
    """The group schedule. Σ pokok == principal exactly; Σ jasa == total jasa.

    `extra_first_*` adds carried-over arrears of jasa/BOP to the first
    instalment (used by rescheduling).
    """
    if terms.principal <= 0:
        raise EngineError("principal must be positive")
    if not 1 <= terms.term_months <= 24:
        raise EngineError("term must be 1..24 months")
    if terms.rounding_unit not in (1, 100, 500, 1000):
        raise EngineError("rounding unit must be 1, 100, 500 or 1000")
    n = terms.n_instalments
    unit = terms.rounding_unit
    pokok = spread(terms.principal, n, unit)
    per_period = Decimal(1) / WEEKS_PER_MONTH if terms.frequency == "weekly" else Decimal(1)
    if terms.jasa_method == "flat":
        jasa_total = half_up(Decimal(terms.principal) * terms.jasa_rate / 100 * terms.term_months)
        jasa = spread(jasa_total, n, unit)
    elif terms.jasa_method == "declining":
        jasa = []
        remaining = terms.principal
        for p in pokok:
            jasa.append(floor_to(Decimal(remaining) * terms.jasa_rate / 100 * per_period, unit))
            remaining -= p
    else:
        raise EngineError(f"unknown jasa method {terms.jasa_method!r}")
    bop_total = half_up(Decimal(terms.principal) * terms.bop_rate / 100 * terms.term_months)
    bop = spread(bop_total, n, unit) if bop_total else [0] * n
    jasa[0] += extra_first_jasa
    bop[0] += extra_first_bop
    dates = due_dates(first_due, n, terms.frequency)
    return [Line(i + 1, dates[i], pokok[i], jasa[i], bop[i]) for i in range(n)]


def split_members(lines: list[Line], member_principals: list[int]) -> list[list[tuple[int, int, int]]]:
    """Each instalment's (pokok, jasa, BOP) per member, largest-remainder by
    member principal, summing exactly to the group's.

    The last instalment's pokok closes each member's principal exactly, unless
    that would make a share negative (then the plain split is kept).
    """
    result = [
        list(
            zip(
                largest_remainder(line.pokok, member_principals),
                largest_remainder(line.jasa, member_principals),
                largest_remainder(line.bop, member_principals),
                strict=True,
            )
        )
        for line in lines
    ]
    if len(lines) > 1:
        paid_before = [sum(result[i][m][0] for i in range(len(lines) - 1)) for m in range(len(member_principals))]
        closing = [member_principals[m] - paid_before[m] for m in range(len(member_principals))]
        if all(c >= 0 for c in closing) and sum(closing) == lines[-1].pokok:
            result[-1] = [(closing[m], result[-1][m][1], result[-1][m][2]) for m in range(len(member_principals))]
    return result


# --- Allocation --------------------------------------------------------------------


@dataclass(frozen=True)
class Payment:
    key: int  # repayment pk (or any stable id)
    paid_on: date
    amount: int


@dataclass
class InstalmentState:
    number: int
    due_date: date
    pokok: int
    jasa: int
    bop: int
    paid: dict[str, int] = field(default_factory=lambda: {"denda": 0, "jasa": 0, "bop": 0, "pokok": 0})

    def remaining(self, component: str) -> int:
        return getattr(self, component) - self.paid[component]

    @property
    def fully_paid(self) -> bool:
        return all(self.remaining(c) == 0 for c in ("jasa", "bop", "pokok"))


@dataclass(frozen=True)
class Piece:
    instalment: int  # instalment number
    component: str
    amount: int
    settles: bool = False  # this piece made its instalment fully paid


def denda_due(inst: InstalmentState, paid_on: date, late_fee: int, grace_days: int) -> int:
    """Late fee owed on one instalment at a payment date: charged once per
    instalment that is still unpaid more than `grace_days` after its due date."""
    if late_fee <= 0 or inst.fully_paid:
        return 0
    if paid_on <= inst.due_date + timedelta(days=grace_days):
        return 0
    return late_fee - inst.paid["denda"]


def allocate(
    lines: list[Line],
    payments: list[Payment],
    *,
    late_fee: int = 0,
    grace_days: int = 0,
    paid: list[dict[str, int]] | None = None,
) -> tuple[dict[int, list[Piece]], list[InstalmentState]]:
    """Replay `payments` in (paid_on, key) order over a fresh schedule, or,
    with `paid` (what each line has received so far, by component), over a
    schedule already paid that far.

    Allocation is causal: a payment's pieces depend only on the payments
    before it. So replaying payments P then Q from scratch and allocating Q
    over the state P left give the same pieces for Q; `paid` is how a new
    payment dated after every earlier one is allocated without replaying them.

    Returns each payment's pieces and the final state. Raises EngineError when
    a payment cannot be fully allocated (overpayment). Deterministic: the same
    input always gives the same pieces.
    """
    states = [InstalmentState(ln.number, ln.due_date, ln.pokok, ln.jasa, ln.bop) for ln in lines]
    if paid is not None:
        for state, so_far in zip(states, paid, strict=True):
            state.paid = dict(so_far)
    result: dict[int, list[Piece]] = {}
    for pay in sorted(payments, key=lambda p: (p.paid_on, p.key)):
        left = pay.amount
        pieces: list[Piece] = []

        def take(inst: InstalmentState, component: str, owed: int, pieces: list[Piece] = pieces) -> None:
            nonlocal left
            amount = min(left, owed)
            if amount > 0:
                was_full = inst.fully_paid
                inst.paid[component] += amount
                left -= amount
                pieces.append(Piece(inst.number, component, amount, not was_full and inst.fully_paid))

        for inst in states:
            if inst.due_date > pay.paid_on or left == 0:
                break
            take(inst, "denda", denda_due(inst, pay.paid_on, late_fee, grace_days))
            for component in ("jasa", "bop", "pokok"):
                take(inst, component, inst.remaining(component))
        future = [s for s in states if s.due_date > pay.paid_on]
        for inst in future:
            take(inst, "pokok", inst.remaining("pokok"))
        for inst in future:
            take(inst, "jasa", inst.remaining("jasa"))
            take(inst, "bop", inst.remaining("bop"))
        if left:
            raise EngineError(f"overpayment of {left} on payment {pay.key}")
        result[pay.key] = pieces
    return result, states


def outstanding_total(states: list[InstalmentState]) -> int:
    """Pokok + jasa + BOP still owed on the schedule (denda excluded)."""
    return sum(s.remaining(c) for s in states for c in ("jasa", "bop", "pokok"))
