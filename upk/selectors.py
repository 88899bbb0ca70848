"""Reads of the UPK ledger. Every report is "as of" a date and computed only
from postings and allocations effective on or before that date, so a March
report gives the same figures after April is posted.

Set-based: portfolio figures for many UPKs come from a handful of aggregate
queries (`loan_positions`, `indicators_many`, `kolektibilitas_many`), never a
query per loan. Each indicator is defined once here (INDICATORS) and in
docs/ledger.md.

Public API:
    account_balances(*, upk, as_of, date_from=None, exclude_year_end=False) -> dict[account_id, int]
    trial_balance(*, upk, as_of) -> TrialBalance
    neraca(*, upk, as_of) -> Neraca
    laba_rugi(*, upk, date_from, date_to) -> LabaRugi
    cash_book(*, upk, date_from, date_to, role="kas") -> Book
    general_ledger(*, account, date_from, date_to) -> Book
    journal_entries(*, upk, date_from=None, date_to=None) -> QuerySet[JournalEntry]
    loan_positions(*, upk_ids, as_of) -> dict[loan_id, LoanPosition]
    loan_position(loan, *, as_of) -> LoanPosition
    loan_card(loan) -> LoanCard
    member_positions(loan, *, as_of) -> list[MemberPosition]
    due_list(*, upk, on) -> list[DueRow]
    arrears_list(*, upk, as_of) -> list[LoanPosition]
    kolektibilitas(*, upk, as_of) -> Kolektibilitas
    kolektibilitas_many(*, upk_ids, as_of) -> dict[upk_id, Kolektibilitas]
    indicators(*, upk, as_of) -> Indicators
    indicators_many(*, upk_ids, as_of) -> dict[upk_id, Indicators]
    portfolio_summary_many(*, upk_ids, as_of) -> dict[upk_id, (Indicators, Kolektibilitas without rows)]
    portfolio_figures_many(*, upk_ids, as_of) -> dict[upk_id, PortfolioFigures]  (per-loan path)
    lpp(*, upk, year, month) -> Lpp
    monthly_package(*, upk, year, month) -> MonthlyPackageData
    savings_balance(ksm, as_of=None) -> int
    savings_months_run(ksm, before) -> int
    ledger_drift(*, upk) -> list[str]
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.money import format_rupiah

from .ledger import states
from .models import (
    CAPITAL_ROLES,
    KSM,
    Account,
    AccountKind,
    AccountRole,
    Allocation,
    Component,
    EntryKind,
    Instalment,
    JournalEntry,
    JournalLine,
    KSMMember,
    Loan,
    LoanMonthEnd,
    LoanStatus,
    MemberInstalment,
    MonthlyPackage,
    Repayment,
    SavingsKind,
    SavingsTransaction,
    UpkMonthEnd,
    UpkSettings,
)

if TYPE_CHECKING:
    from bkm.models import Unit

ZERO = Decimal(0)


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _settings(upk_ids: Iterable[int], as_of: date | None) -> dict[int, UpkSettings]:
    """The rules in force on `as_of` (`ledger.rules`: versions effective from a
    month, so a closed month keeps the rules it was judged by)."""
    from .ledger.rules import rules_in_force

    return rules_in_force(upk_ids, as_of)


_RULES_JOIN = "LEFT JOIN upk_upksettings st ON st.upk_id = loans.upk_id"
_RULE_COLUMNS = ("kol_m_from", "kol_d_from", "kol_kl_from", "kol_dpk_from", "risk_instalments")


def _with_rules(sql: str, rules: dict[int, UpkSettings]) -> str:
    """The aggregate grades with the rules in force on its date: the settings
    table in `_PORTFOLIO_TAIL` is replaced by those rules as a VALUES list
    (whole numbers only, from `rules_in_force`)."""
    # SELECT … UNION ALL rather than VALUES with column aliases: SQLite (the
    # embedded mode) names no columns of a VALUES list.
    names = ("upk_id", *_RULE_COLUMNS)
    rows = " UNION ALL ".join(
        "SELECT "
        + ", ".join(
            f"{int(v)} AS {name}"
            for name, v in zip(names, (upk_id, *(getattr(r, c) for c in _RULE_COLUMNS)), strict=True)
        )
        for upk_id, r in sorted(rules.items())
    )
    source = f"({rows}) st"
    assert _RULES_JOIN in sql
    return sql.replace(_RULES_JOIN, f"LEFT JOIN {source} ON st.upk_id = loans.upk_id")


# --- Books ----------------------------------------------------------------------------------


def account_balances(
    *, upk: Unit, as_of: date, date_from: date | None = None, exclude_year_end: bool = False
) -> dict[int, int]:
    """Signed balance (debit − credit) per account id, lines dated ≤ as_of."""
    qs = JournalLine.objects.filter(upk_id=upk.pk, date__lte=as_of)
    if date_from:
        qs = qs.filter(date__gte=date_from)
    if exclude_year_end:
        qs = qs.exclude(entry__kind=EntryKind.YEAR_END)
    # No ORDER BY: the model's ordering is dropped from GROUP BY queries but its joins would stay.
    rows = qs.order_by().values("account_id").annotate(d=Sum("debit"), c=Sum("credit"))
    return {r["account_id"]: int(r["d"] - r["c"]) for r in rows}


@dataclass
class BalanceRow:
    account: Account
    debit: int
    credit: int

    @property
    def natural(self) -> int:
        """Balance on the account's normal side (positive = normal)."""
        return self.debit - self.credit if self.account.debit_normal else self.credit - self.debit


@dataclass
class TrialBalance:
    as_of: date
    rows: list[BalanceRow]
    total_debit: int
    total_credit: int

    @property
    def balanced(self) -> bool:
        return self.total_debit == self.total_credit


def upk_accounts(*, upk: Unit) -> list[Account]:
    """The UPK's chart of accounts in code order (one query), for a caller
    building several statements from it (the monthly package)."""
    return list(Account.objects.filter(upk=upk).order_by("code"))


def trial_balance(
    *, upk: Unit, as_of: date, accounts: list[Account] | None = None, balances: dict[int, int] | None = None
) -> TrialBalance:
    """`accounts` (`upk_accounts`) and `balances` (`account_balances` on `as_of`)
    may be given by a caller that already read them."""
    if balances is None:
        balances = account_balances(upk=upk, as_of=as_of)
    rows = []
    for account in upk_accounts(upk=upk) if accounts is None else accounts:
        signed = balances.get(account.pk, 0)
        if signed or account.is_active:
            rows.append(BalanceRow(account, max(signed, 0), max(-signed, 0)))
    return TrialBalance(as_of, rows, sum(r.debit for r in rows), sum(r.credit for r in rows))


@dataclass
class Section:
    title: str
    rows: list[tuple[Account | None, str, int]]

    @property
    def total(self) -> int:
        return sum(r[2] for r in self.rows)


@dataclass
class Neraca:
    as_of: date
    assets: Section
    liabilities: Section
    equity: Section

    @property
    def total_assets(self) -> int:
        return self.assets.total

    @property
    def total_liabilities_equity(self) -> int:
        return self.liabilities.total + self.equity.total

    @property
    def balanced(self) -> bool:
        return self.total_assets == self.total_liabilities_equity

    def balance_of(self, role: str) -> int:
        for section in (self.assets, self.liabilities, self.equity):
            for account, _label, amount in section.rows:
                if account is not None and account.role == role:
                    return amount
        return 0


def neraca(
    *, upk: Unit, as_of: date, accounts: list[Account] | None = None, balances: dict[int, int] | None = None
) -> Neraca:
    """Balance sheet. Contra accounts show as negatives inside their section;
    the surplus not yet closed (income − expense) shows in equity. `accounts`
    and `balances` as for `trial_balance`."""
    if balances is None:
        balances = account_balances(upk=upk, as_of=as_of)
    assets: list[tuple[Account | None, str, int]] = []
    liabilities: list[tuple[Account | None, str, int]] = []
    equity: list[tuple[Account | None, str, int]] = []
    surplus = 0
    for account in upk_accounts(upk=upk) if accounts is None else accounts:
        signed = balances.get(account.pk, 0)
        if account.kind == AccountKind.ASSET:
            assets.append((account, account.name, signed))
        elif account.kind == AccountKind.LIABILITY:
            liabilities.append((account, account.name, -signed))
        elif account.kind == AccountKind.EQUITY:
            equity.append((account, account.name, -signed))
        else:
            surplus -= signed
    equity.append((None, str(_("Surplus/defisit belum ditutup")), surplus))
    return Neraca(
        as_of,
        Section(str(_("Aset")), assets),
        Section(str(_("Kewajiban")), liabilities),
        Section(str(_("Modal")), equity),
    )


@dataclass
class LabaRugi:
    date_from: date
    date_to: date
    income: Section
    expense: Section

    @property
    def surplus(self) -> int:
        return self.income.total - self.expense.total


def laba_rugi(*, upk: Unit, date_from: date, date_to: date, accounts: list[Account] | None = None) -> LabaRugi:
    """Income and expense between two dates, without the year-end closing entry.
    `accounts`: the UPK's chart (`upk_accounts`) when the caller has it."""
    balances = account_balances(upk=upk, as_of=date_to, date_from=date_from, exclude_year_end=True)
    income: list[tuple[Account | None, str, int]] = []
    expense: list[tuple[Account | None, str, int]] = []
    if accounts is None:
        chart: Iterable[Account] = Account.objects.filter(
            upk=upk, kind__in=[AccountKind.INCOME, AccountKind.EXPENSE]
        ).order_by("code")
    else:
        chart = (a for a in accounts if a.kind in (AccountKind.INCOME, AccountKind.EXPENSE))
    for account in chart:
        signed = balances.get(account.pk, 0)
        if account.kind == AccountKind.INCOME:
            income.append((account, account.name, -signed))
        elif account.kind == AccountKind.EXPENSE:
            expense.append((account, account.name, signed))
    return LabaRugi(date_from, date_to, Section(str(_("Pendapatan")), income), Section(str(_("Biaya")), expense))


@dataclass
class BookRow:
    date: date
    number: int
    description: str
    debit: int
    credit: int
    balance: int
    entry_id: int


@dataclass
class Book:
    account: Account
    date_from: date
    date_to: date
    opening: int
    rows: list[BookRow]

    @property
    def closing(self) -> int:
        return self.rows[-1].balance if self.rows else self.opening

    @property
    def total_debit(self) -> int:
        return sum(r.debit for r in self.rows)

    @property
    def total_credit(self) -> int:
        return sum(r.credit for r in self.rows)


def general_ledger(*, account: Account, date_from: date, date_to: date) -> Book:
    """Buku besar of one account: opening balance, lines, running balance
    (on the account's normal side)."""
    sign = 1 if account.debit_normal else -1
    before = (
        JournalLine.objects.filter(account=account, date__lt=date_from)
        .order_by()
        .aggregate(d=Sum("debit"), c=Sum("credit"))
    )
    opening = sign * int((before["d"] or 0) - (before["c"] or 0))
    rows = []
    balance = opening
    lines = (
        JournalLine.objects.filter(account=account, date__gte=date_from, date__lte=date_to)
        .select_related("entry")
        .order_by("date", "entry__number", "id")
    )
    for line in lines:
        balance += sign * int(line.debit - line.credit)
        rows.append(
            BookRow(
                line.date,
                line.entry.number,
                line.entry.description,
                int(line.debit),
                int(line.credit),
                balance,
                line.entry_id,
            )
        )
    return Book(account, date_from, date_to, opening, rows)


def cash_book(*, upk: Unit, date_from: date, date_to: date, role: str = AccountRole.KAS) -> Book:
    """Buku kas harian (role="kas") or the bank book (role="bank"). The role
    account comes from the chart's per-process cache (`ledger.chart.role_accounts`,
    which sets a UPK's chart up on first use, as a posting would; a renamed
    account's cached name may be older — the book's title is its own)."""
    from .ledger.chart import role_accounts

    account = role_accounts(upk.pk)[role]
    return general_ledger(account=account, date_from=date_from, date_to=date_to)


def journal_entries(*, upk: Unit, date_from: date | None = None, date_to: date | None = None) -> QuerySet[JournalEntry]:
    qs = JournalEntry.objects.filter(upk=upk)
    if date_from:
        qs = qs.filter(date__gte=date_from)
    if date_to:
        qs = qs.filter(date__lte=date_to)
    return qs.select_related("reverses").prefetch_related("lines__account").order_by("date", "number")


# --- Loan positions (set-based) ----------------------------------------------------------------


@dataclass
class LoanPosition:
    loan_id: int
    upk_id: int
    ksm_id: int
    number: str
    principal: int
    paid_pokok: int = 0
    paid_jasa: int = 0
    paid_bop: int = 0
    paid_denda: int = 0
    n_due: int = 0  # instalments due on or before as_of (current schedule)
    n_arrears: int = 0  # of those, not fully paid
    due_total: int = 0  # pokok + jasa + BOP due
    due_pokok: int = 0
    due_jasa: int = 0
    paid_on_due: int = 0  # paid against those instalments
    arrears_pokok: int = 0
    oldest_unpaid_due: date | None = None

    @property
    def outstanding(self) -> int:
        """Sisa pokok."""
        return self.principal - self.paid_pokok

    @property
    def arrears_amount(self) -> int:
        """Tunggakan: pokok + jasa + BOP due and unpaid."""
        return self.due_total - self.paid_on_due


def _in_clause(ids: list[int]) -> str:
    return ",".join(["%s"] * len(ids))


def loan_positions(
    *, upk_ids: Iterable[int], as_of: date, loan_ids: Iterable[int] | None = None
) -> dict[int, LoanPosition]:
    """Every loan on the books at the end of `as_of` (disbursed on or before,
    not written off by then), with what was paid and what is in arrears —
    from allocations effective on `as_of` only. One statement (the loans, the
    allocations valid on the date once, paid per loan and per instalment, and
    what was due on the current schedule)."""
    ids = sorted(set(upk_ids))
    if not ids:
        return {}
    only = sorted(set(loan_ids)) if loan_ids is not None else None
    loan_filter = f" AND l.id IN ({_in_clause(only)})" if only is not None else ""
    inst_filter = f" AND i.loan_id IN ({_in_clause(only)})" if only is not None else ""
    alloc_filter = f" AND a.loan_id IN ({_in_clause(only)})" if only is not None else ""
    # Only "%s" placeholders are interpolated into the text; values are parameters.
    sql = f"""
        WITH loans AS (
            SELECT l.id, l.upk_id, l.ksm_id, l.number, l.principal
              FROM upk_loan l
             WHERE l.upk_id IN ({_in_clause(ids)}) AND l.disbursed_on <= %s
               AND (l.written_off_on IS NULL OR l.written_off_on > %s){loan_filter}
        ), alloc AS (
            SELECT a.loan_id, a.instalment_id, a.component, a.amount
              FROM upk_allocation a
             WHERE a.upk_id IN ({_in_clause(ids)}) AND a.effective_from <= %s
               AND (a.effective_to IS NULL OR a.effective_to > %s){alloc_filter}
        ), paid_loan AS (
            SELECT loan_id,
                   SUM(CASE WHEN component = 'pokok' THEN amount ELSE 0 END) AS pokok,
                   SUM(CASE WHEN component = 'jasa' THEN amount ELSE 0 END) AS jasa,
                   SUM(CASE WHEN component = 'bop' THEN amount ELSE 0 END) AS bop,
                   SUM(CASE WHEN component = 'denda' THEN amount ELSE 0 END) AS denda
              FROM alloc
             GROUP BY loan_id
        ), paid AS (
            SELECT instalment_id,
                   SUM(CASE WHEN component = 'pokok' THEN amount ELSE 0 END) AS pokok,
                   SUM(CASE WHEN component <> 'denda' THEN amount ELSE 0 END) AS total
              FROM alloc
             GROUP BY instalment_id
        ), due AS (
            SELECT i.loan_id,
                   COUNT(*) AS n_due,
                   SUM(CASE WHEN i.total > COALESCE(p.total, 0) THEN 1 ELSE 0 END) AS n_arrears,
                   SUM(i.total) AS due_total,
                   SUM(i.pokok) AS due_pokok,
                   SUM(i.jasa) AS due_jasa,
                   SUM(COALESCE(p.total, 0)) AS paid_on_due,
                   SUM(i.pokok - COALESCE(p.pokok, 0)) AS arrears_pokok,
                   MIN(CASE WHEN i.total > COALESCE(p.total, 0) THEN i.due_date END) AS oldest
              FROM upk_instalment i
              JOIN upk_schedule s ON s.id = i.schedule_id
              LEFT JOIN paid p ON p.instalment_id = i.id
             WHERE i.upk_id IN ({_in_clause(ids)}) AND i.due_date <= %s
               AND s.effective_from <= %s AND (s.effective_to IS NULL OR s.effective_to > %s){inst_filter}
             GROUP BY i.loan_id
        )
        SELECT loans.id, loans.upk_id, loans.ksm_id, loans.number, loans.principal,
               pl.pokok, pl.jasa, pl.bop, pl.denda,
               due.n_due, due.n_arrears, due.due_total, due.due_pokok, due.due_jasa, due.paid_on_due,
               due.arrears_pokok, due.oldest
          FROM loans
          LEFT JOIN paid_loan pl ON pl.loan_id = loans.id
          LEFT JOIN due ON due.loan_id = loans.id
         ORDER BY loans.id
    """  # noqa: S608
    extra = only or []
    params: list[Any] = [*ids, as_of, as_of, *extra, *ids, as_of, as_of, *extra, *ids, as_of, as_of, as_of, *extra]
    positions: dict[int, LoanPosition] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            loan_id, upk_id, ksm_id, number, principal, p_pokok, p_jasa, p_bop, p_denda = row[:9]
            n_due, n_arr, due_total, due_pokok, due_jasa, paid_total, arr_pokok, oldest = row[9:]
            positions[loan_id] = LoanPosition(
                loan_id,
                upk_id,
                ksm_id,
                number,
                int(principal),
                paid_pokok=int(p_pokok or 0),
                paid_jasa=int(p_jasa or 0),
                paid_bop=int(p_bop or 0),
                paid_denda=int(p_denda or 0),
                n_due=int(n_due or 0),
                n_arrears=int(n_arr or 0),
                due_total=int(due_total or 0),
                due_pokok=int(due_pokok or 0),
                due_jasa=int(due_jasa or 0),
                paid_on_due=int(paid_total or 0),
                arrears_pokok=int(arr_pokok or 0),
                oldest_unpaid_due=states.row_date(oldest),
            )
    return positions


def loan_position(loan: Loan, *, as_of: date) -> LoanPosition:
    """One loan's position (zeroes if not on the books at `as_of`)."""
    found = loan_positions(upk_ids=[loan.upk_id], as_of=as_of, loan_ids=[loan.pk])
    return found.get(loan.pk) or LoanPosition(
        loan.pk, loan.upk_id, loan.ksm_id, loan.number, int(loan.principal), paid_pokok=int(loan.principal)
    )


def arrears_list(*, upk: Unit, as_of: date) -> list[LoanPosition]:
    """Loans with instalments in arrears, most instalments first."""
    rows = [p for p in loan_positions(upk_ids=[upk.pk], as_of=as_of).values() if p.n_arrears]
    return sorted(rows, key=lambda p: (-p.n_arrears, -p.arrears_amount, p.number))


@dataclass(frozen=True)
class ArrearsRow:
    position: LoanPosition
    ksm_name: str
    kol_name: str  # the loan's kolektibilitas bucket under the UPK's rules
    chair_phone: str = ""  # the KSM chair's WhatsApp number, for the reminder link

    @staticmethod
    def phones(rows: Iterable[ArrearsRow]) -> dict[int, str]:
        """KSM id → chair's number, for the KSMs that have one."""
        return {row.position.ksm_id: row.chair_phone for row in rows if row.chair_phone}


@dataclass(frozen=True)
class ArrearsWorklist:
    rows: list[ArrearsRow]  # the first `limit`, most instalments in arrears first
    count: int  # all loans in arrears
    total: int  # their arrears (pokok + jasa + BOP due and unpaid)


def arrears_worklist(*, upk: Unit, as_of: date, limit: int = 50, rules: UpkSettings | None = None) -> ArrearsWorklist:
    """The manager's arrears worklist: loans in arrears with their KSM (name,
    chair's phone) and kolektibilitas, worst first (three queries whatever the
    portfolio; two when the caller gives the rules in force on `as_of`)."""
    positions = arrears_list(upk=upk, as_of=as_of)
    shown = positions[:limit]
    ksms = {
        pk: (name, phone)
        for pk, name, phone in KSM.objects.filter(pk__in={p.ksm_id for p in shown})
        .order_by()
        .values_list("pk", "name", "chair_phone")
    }
    if rules is None:
        rules = _settings([upk.pk], as_of)[upk.pk]
    kol_names = [str(name) for _code, name in KOL_NAMES]
    rows = []
    for p in shown:
        name, phone = ksms.get(p.ksm_id, ("", ""))
        rows.append(ArrearsRow(p, name, kol_names[kol_bucket(p.n_arrears, rules)], phone))
    return ArrearsWorklist(rows, len(positions), sum(p.arrears_amount for p in positions))


@dataclass
class DueRow:
    loan: Loan
    expected: int  # what clears everything due by the date: arrears + instalments due + denda
    n_arrears: int
    denda: int = 0  # late fee included in `expected` (owed if paid on the sheet's date)


def due_list(*, upk: Unit, on: date, within_days: int = 0) -> list[DueRow]:
    """Loans for the collection sheet: live loans with something owed on
    instalments due on or before `on` + `within_days` (current state).

    `expected` (the sheet's "Tagihan") is what a payment dated `on` must be to
    clear those instalments: their unpaid pokok, jasa and BOP plus the late
    fee the allocation charges first on a late one (`engine.denda_due`, the
    one place that rule lives). Two queries."""
    from .ledger.engine import InstalmentState, denda_due

    until = on + timedelta(days=within_days)
    unpaid = (
        Instalment.objects.filter(
            upk=upk,
            schedule__effective_to__isnull=True,
            loan__status__in=[LoanStatus.ACTIVE, LoanStatus.RESCHEDULED],
            due_date__lte=until,
        )
        .filter(total__gt=F("paid_pokok") + F("paid_jasa") + F("paid_bop"))
        .order_by()  # summed per loan below: the model's ordering would only add joins
        .values_list(
            "loan_id",
            "number",
            "due_date",
            "pokok",
            "jasa",
            "bop",
            "paid_pokok",
            "paid_jasa",
            "paid_bop",
            "paid_denda",
            "loan__late_fee_amount",
            "loan__late_fee_grace_days",
        )
    )
    expected: dict[int, int] = defaultdict(int)
    fees: dict[int, int] = defaultdict(int)
    late_counts: dict[int, int] = defaultdict(int)
    for loan_id, number, due, pokok, jasa, bop, p_pokok, p_jasa, p_bop, p_denda, fee, grace in unpaid:
        inst = InstalmentState(number, due, int(pokok), int(jasa), int(bop))
        inst.paid = {"denda": int(p_denda), "jasa": int(p_jasa), "bop": int(p_bop), "pokok": int(p_pokok)}
        denda = denda_due(inst, on, int(fee), grace)
        expected[loan_id] += sum(inst.remaining(c) for c in ("pokok", "jasa", "bop")) + denda
        fees[loan_id] += denda
        if due < on:
            late_counts[loan_id] += 1
    wanted = {pk: amount for pk, amount in expected.items() if amount}
    loans = Loan.objects.filter(pk__in=wanted).select_related("ksm").order_by("ksm__name", "pk")
    return [DueRow(loan, wanted[loan.pk], late_counts.get(loan.pk, 0), fees.get(loan.pk, 0)) for loan in loans]


# --- Kolektibilitas ---------------------------------------------------------------------------

KOL_NAMES = [
    ("lancar", gettext_lazy("Lancar")),
    ("dpk", gettext_lazy("Dalam Perhatian Khusus")),
    ("kl", gettext_lazy("Kurang Lancar")),
    ("d", gettext_lazy("Diragukan")),
    ("m", gettext_lazy("Macet")),
]


def kol_bucket(n_arrears: int, rules: UpkSettings) -> int:
    """Bucket index 0..4 from instalments in arrears (bounds per UPK)."""
    if n_arrears >= rules.kol_m_from:
        return 4
    if n_arrears >= rules.kol_d_from:
        return 3
    if n_arrears >= rules.kol_kl_from:
        return 2
    if n_arrears >= rules.kol_dpk_from:
        return 1
    return 0


def _reserve_rates(rules: UpkSettings) -> list[Decimal]:
    return [rules.reserve_lancar, rules.reserve_dpk, rules.reserve_kl, rules.reserve_d, rules.reserve_m]


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class KolBucket:
    code: str
    name: str
    rate: Decimal
    loans: int = 0
    outstanding: int = 0

    @property
    def required(self) -> int:
        return _half_up(Decimal(self.outstanding) * self.rate / 100)


@dataclass
class Kolektibilitas:
    upk_id: int
    as_of: date
    buckets: list[KolBucket]
    rows: list[tuple[LoanPosition, int]]  # (position, bucket index)
    booked_reserve: int

    @property
    def outstanding(self) -> int:
        return sum(b.outstanding for b in self.buckets)

    @property
    def required_reserve(self) -> int:
        """Σ over buckets of round_half_up(bucket outstanding × rate)."""
        return sum(b.required for b in self.buckets)

    @property
    def proposed_adjustment(self) -> int:
        """+ = add to the reserve (Dr Biaya Cadangan / Cr Cadangan), − = release."""
        return self.required_reserve - self.booked_reserve


_TOTAL_KEYS = ("reserve", "loans", "capital", "income", "cost", "jasa")


def _role_totals(upk_ids: list[int], as_of: date) -> dict[int, dict[str, int]]:
    """Per UPK: booked reserve, Pinjaman KSM balance, capital, income and
    costs year to date (without the year-end closing). One query."""
    if connection.vendor == "postgresql" and upk_ids:
        return _role_totals_sql(upk_ids, as_of)
    year_start = date(as_of.year, 1, 1)
    ytd = Q(date__gte=year_start) & ~Q(entry__kind=EntryKind.YEAR_END)
    credit_minus_debit = F("credit") - F("debit")
    rows = (
        JournalLine.objects.filter(upk_id__in=upk_ids, date__lte=as_of)
        .values("upk_id")
        .annotate(
            reserve=Sum(credit_minus_debit, filter=Q(account__role=AccountRole.RESERVE)),
            loans=Sum(F("debit") - F("credit"), filter=Q(account__role=AccountRole.LOANS)),
            capital=Sum(credit_minus_debit, filter=Q(account__role__in=CAPITAL_ROLES)),
            income=Sum(credit_minus_debit, filter=ytd & Q(account__kind=AccountKind.INCOME)),
            cost=Sum(F("debit") - F("credit"), filter=ytd & Q(account__kind=AccountKind.EXPENSE)),
            jasa=Sum(credit_minus_debit, filter=ytd & Q(account__role=AccountRole.JASA_INCOME)),
        )
    )
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        out[row["upk_id"]] = defaultdict(int, {k: int(v or 0) for k, v in row.items() if k != "upk_id"})
    return out


def _role_totals_sql(upk_ids: list[int], as_of: date) -> dict[int, dict[str, int]]:
    """`_role_totals` for many UPKs: the lines are summed per account first
    (no join per line — joining every line to its account and entry cost most
    of the time at 1M lines), the year-end closing entries are taken out
    afterwards (few lines), and the accounts' roles are applied to the sums."""
    year_start = date(as_of.year, 1, 1)
    upks = _in_clause(upk_ids)
    capital = ", ".join(f"'{r}'" for r in CAPITAL_ROLES)
    sql = f"""
        WITH per_account AS (
            SELECT l.account_id,
                   SUM(l.credit - l.debit) AS balance,
                   SUM(CASE WHEN l.date >= %s THEN l.credit - l.debit ELSE 0 END) AS ytd
              FROM upk_journalline l
             WHERE l.upk_id IN ({upks}) AND l.date <= %s
             GROUP BY l.account_id
        ), closing AS (
            -- Every year-end entry has its YearEndClosing row (written together): a few rows to look up.
            SELECT l.account_id, SUM(l.credit - l.debit) AS ytd
              FROM upk_yearendclosing y
              JOIN upk_journalentry e ON e.id = y.journal_entry_id
              JOIN upk_journalline l ON l.entry_id = e.id
             WHERE y.upk_id IN ({upks}) AND e.kind = %s AND e.date >= %s AND e.date <= %s
             GROUP BY l.account_id
        ), sums AS (
            SELECT a.upk_id, a.role, a.kind, p.balance, p.ytd - COALESCE(c.ytd, 0) AS ytd
              FROM per_account p
              JOIN upk_account a ON a.id = p.account_id
              LEFT JOIN closing c ON c.account_id = p.account_id
        )
        SELECT upk_id,
               SUM(CASE WHEN role = %s THEN balance ELSE 0 END),
               SUM(CASE WHEN role = %s THEN -balance ELSE 0 END),
               SUM(CASE WHEN role IN ({capital}) THEN balance ELSE 0 END),
               SUM(CASE WHEN kind = %s THEN ytd ELSE 0 END),
               SUM(CASE WHEN kind = %s THEN -ytd ELSE 0 END),
               SUM(CASE WHEN role = %s THEN ytd ELSE 0 END)
          FROM sums
         GROUP BY upk_id
    """  # noqa: S608 - constant role names, values are parameters
    params: list[Any] = [
        year_start,
        *upk_ids,
        as_of,
        *upk_ids,
        EntryKind.YEAR_END,
        year_start,
        as_of,
        AccountRole.RESERVE,
        AccountRole.LOANS,
        AccountKind.INCOME,
        AccountKind.EXPENSE,
        AccountRole.JASA_INCOME,
    ]
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for upk_id, *values in cursor.fetchall():
            out[upk_id] = defaultdict(int, {k: int(v or 0) for k, v in zip(_TOTAL_KEYS, values, strict=True)})
    return out


def kolektibilitas_many(
    *,
    upk_ids: Iterable[int],
    as_of: date,
    positions: dict[int, LoanPosition] | None = None,
    totals: dict | None = None,
    rules: dict[int, UpkSettings] | None = None,
) -> dict[int, Kolektibilitas]:
    """Kolektibilitas of many UPKs from the same 3 set-based queries (positions, role totals, rules)."""
    ids = sorted(set(upk_ids))
    positions = positions if positions is not None else loan_positions(upk_ids=ids, as_of=as_of)
    totals = totals if totals is not None else _role_totals(ids, as_of)
    rules = rules if rules is not None else _settings(ids, as_of)
    result = {}
    for upk_id in ids:
        rates = _reserve_rates(rules[upk_id])
        result[upk_id] = Kolektibilitas(
            upk_id,
            as_of,
            [KolBucket(code, str(name), rates[i]) for i, (code, name) in enumerate(KOL_NAMES)],
            [],
            totals[upk_id]["reserve"],
        )
    for pos in positions.values():
        if pos.outstanding <= 0 and pos.arrears_amount <= 0:
            continue
        kol = result[pos.upk_id]
        index = kol_bucket(pos.n_arrears, rules[pos.upk_id])
        kol.buckets[index].loans += 1
        kol.buckets[index].outstanding += pos.outstanding
        kol.rows.append((pos, index))
    for kol in result.values():
        kol.rows.sort(key=lambda r: (-r[1], r[0].number))
    return result


def kolektibilitas(*, upk: Unit, as_of: date) -> Kolektibilitas:
    return kolektibilitas_many(upk_ids=[upk.pk], as_of=as_of)[upk.pk]


# --- Indicators (each defined once) -------------------------------------------------------------


SEHAT = "sehat"
KURANG_SEHAT = "kurang_sehat"
TIDAK_SEHAT = "tidak_sehat"
BAND_LABELS = {
    SEHAT: gettext_lazy("Sehat"),
    KURANG_SEHAT: gettext_lazy("Kurang Sehat"),
    TIDAK_SEHAT: gettext_lazy("Tidak Sehat"),
}


@dataclass
class PortfolioFigures:
    """Everything the indicators need for one UPK as of a date."""

    as_of: date
    outstanding: int = 0
    active_ksm: int = 0
    at_risk_ksm: int = 0
    at_risk_outstanding: int = 0
    at_risk_arrears_pokok: int = 0
    due_total: int = 0
    paid_on_due: int = 0
    income_ytd: int = 0
    cost_ytd: int = 0
    capital: int = 0


def _pct(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def lar(f: PortfolioFigures) -> Decimal | None:
    """LAR = KSM with a loan ≥ risk_instalments in arrears ÷ KSM with outstanding pokok, in %."""
    return _pct(f.at_risk_ksm, f.active_ksm)


def par(f: PortfolioFigures) -> Decimal | None:
    """PAR = outstanding pokok of loans ≥ risk_instalments in arrears ÷ all outstanding pokok, in %."""
    return _pct(f.at_risk_outstanding, f.outstanding)


def ccr(f: PortfolioFigures) -> Decimal | None:
    """CCr = income ÷ costs, 1 January to as_of (year-end closing excluded), in %."""
    return _pct(f.income_ytd, f.cost_ytd)


def roi(f: PortfolioFigures) -> Decimal | None:
    """ROI = (income − costs year to date) × 12 ÷ months elapsed (as_of's month
    counts as one) ÷ capital (BLM P2KP + PNPM + KOTAKU + hibah), in %."""
    if not f.capital:
        return None
    annual = Decimal(f.income_ytd - f.cost_ytd) * 12 / f.as_of.month
    return _pct(annual, f.capital)


def rr(f: PortfolioFigures) -> Decimal | None:
    """RR = (outstanding pokok − pokok in arrears of loans ≥ risk_instalments in
    arrears) ÷ outstanding pokok, in %."""
    return _pct(f.outstanding - f.at_risk_arrears_pokok, f.outstanding)


def collection_rate(f: PortfolioFigures) -> Decimal | None:
    """Collection rate = paid ÷ due, over instalments (pokok + jasa + BOP) due
    on or before as_of of loans on the books, in %."""
    return _pct(f.paid_on_due, f.due_total)


@dataclass(frozen=True)
class IndicatorDef:
    code: str
    label: str
    compute: Any
    higher_is_better: bool
    good_attr: str
    fair_attr: str


INDICATORS: list[IndicatorDef] = [
    IndicatorDef("lar", "LAR", lar, False, "lar_good", "lar_fair"),
    IndicatorDef("par", "PAR", par, False, "par_good", "par_fair"),
    IndicatorDef("ccr", "CCr", ccr, True, "ccr_good", "ccr_fair"),
    IndicatorDef("roi", "ROI", roi, True, "roi_good", "roi_fair"),
    IndicatorDef("rr", "RR", rr, True, "rr_good", "rr_fair"),
    IndicatorDef("collection_rate", "Tingkat penagihan", collection_rate, True, "cr_good", "cr_fair"),
]


def band(value: Decimal | None, *, good: Decimal, fair: Decimal, higher_is_better: bool) -> str | None:
    """Sehat / Kurang Sehat / Tidak Sehat. Lower-is-better: ≤ good sehat, ≤ fair
    kurang sehat. Higher-is-better: ≥ good sehat, ≥ fair kurang sehat."""
    if value is None:
        return None
    if higher_is_better:
        return SEHAT if value >= good else KURANG_SEHAT if value >= fair else TIDAK_SEHAT
    return SEHAT if value <= good else KURANG_SEHAT if value <= fair else TIDAK_SEHAT


@dataclass
class IndicatorValue:
    code: str
    label: str
    value: Decimal | None
    band: str | None

    @property
    def band_label(self) -> str:
        return str(BAND_LABELS[self.band]) if self.band else "-"


class Indicators:
    """One UPK's indicators as of a date. Each value (and band) is computed
    when first asked for: the PAR warnings read PAR at four month ends for
    every UPK, and computing all six there was most of their time."""

    def __init__(self, upk_id: int, as_of: date, figures: PortfolioFigures, rules: UpkSettings | None = None):
        self.upk_id = upk_id
        self.as_of = as_of
        self.figures = figures
        self.rules = rules
        self._values: dict[str, IndicatorValue] = {}

    def _value(self, d: IndicatorDef) -> IndicatorValue:
        found = self._values.get(d.code)
        if found is None:
            value = d.compute(self.figures)
            rules = self.rules
            found = self._values[d.code] = IndicatorValue(
                d.code,
                d.label,
                value,
                band(
                    value,
                    good=getattr(rules, d.good_attr),
                    fair=getattr(rules, d.fair_attr),
                    higher_is_better=d.higher_is_better,
                )
                if rules is not None
                else None,
            )
        return found

    @property
    def values(self) -> dict[str, IndicatorValue]:
        """Every indicator, in INDICATORS order."""
        return {d.code: self._value(d) for d in INDICATORS}

    def __getitem__(self, code: str) -> IndicatorValue:
        return self._value(_INDICATOR_BY_CODE[code])


_INDICATOR_BY_CODE = {d.code: d for d in INDICATORS}


def portfolio_figures_many(
    *,
    upk_ids: Iterable[int],
    as_of: date,
    positions: dict[int, LoanPosition] | None = None,
    totals: dict | None = None,
    rules: dict[int, UpkSettings] | None = None,
) -> dict[int, PortfolioFigures]:
    ids = sorted(set(upk_ids))
    positions = positions if positions is not None else loan_positions(upk_ids=ids, as_of=as_of)
    totals = totals if totals is not None else _role_totals(ids, as_of)
    rules = rules if rules is not None else _settings(ids, as_of)
    figures = {i: PortfolioFigures(as_of) for i in ids}
    active: dict[int, set[int]] = defaultdict(set)
    risky: dict[int, set[int]] = defaultdict(set)
    for pos in positions.values():
        f = figures[pos.upk_id]
        f.due_total += pos.due_total
        f.paid_on_due += pos.paid_on_due
        if pos.outstanding <= 0:
            continue
        f.outstanding += pos.outstanding
        active[pos.upk_id].add(pos.ksm_id)
        if pos.n_arrears >= rules[pos.upk_id].risk_instalments:
            risky[pos.upk_id].add(pos.ksm_id)
            f.at_risk_outstanding += pos.outstanding
            f.at_risk_arrears_pokok += pos.arrears_pokok
    for upk_id, f in figures.items():
        f.active_ksm = len(active[upk_id])
        f.at_risk_ksm = len(risky[upk_id])
        t = totals[upk_id]
        f.income_ytd, f.cost_ytd, f.capital = t["income"], t["cost"], t["capital"]
    return figures


def _indicator_values(f: PortfolioFigures, rules: UpkSettings, upk_id: int) -> Indicators:
    return Indicators(upk_id, f.as_of, f, rules)


_BUCKET_SUMS = ", ".join(
    f"SUM(CASE WHEN listed = 1 AND bucket = {b} THEN 1 ELSE 0 END) AS n{b}, "
    f"SUM(CASE WHEN listed = 1 AND bucket = {b} THEN outstanding ELSE 0 END) AS o{b}"
    for b in range(5)
)
_BUCKET_COLUMNS = ", ".join(f"sums.n{b}, sums.o{b}" for b in range(5))

# Grading and per-UPK totals, shared by the live and the month-end-cache
# paths; the caller supplies a `loans` CTE (upk_id, ksm_id, outstanding,
# n_arr, due_total, paid_total, arr_pokok, shared) left open for this text
# to close. KSMs are counted without COUNT(DISTINCT …) (which sorted every
# UPK's rows and cost about as much as reading the loans at 200k loans): a
# loan whose KSM has no other loan (shared = 0, LoanState.shared_ksm) counts
# its KSM directly; the others are grouped per (UPK, KSM). shared = 1 is
# always safe (only slower).
_PORTFOLIO_TAIL = f"""
        ), graded AS (
            SELECT loans.upk_id, loans.ksm_id, loans.outstanding, loans.arr_pokok,
                   loans.due_total, loans.paid_total, loans.shared,
                   CASE WHEN loans.n_arr >= COALESCE(st.kol_m_from, 9) THEN 4
                        WHEN loans.n_arr >= COALESCE(st.kol_d_from, 6) THEN 3
                        WHEN loans.n_arr >= COALESCE(st.kol_kl_from, 3) THEN 2
                        WHEN loans.n_arr >= COALESCE(st.kol_dpk_from, 1) THEN 1
                        ELSE 0 END AS bucket,
                   CASE WHEN loans.outstanding > 0 AND loans.n_arr >= COALESCE(st.risk_instalments, 3)
                        THEN 1 ELSE 0 END AS at_risk,
                   CASE WHEN loans.outstanding > 0 OR loans.due_total > loans.paid_total
                        THEN 1 ELSE 0 END AS listed
              FROM loans
              LEFT JOIN upk_upksettings st ON st.upk_id = loans.upk_id
        ), per_ksm AS (
            SELECT upk_id, ksm_id, MAX(CASE WHEN outstanding > 0 THEN 1 ELSE 0 END) AS active, MAX(at_risk) AS risky
              FROM graded
             WHERE shared = 1
             GROUP BY upk_id, ksm_id
        ), ksms AS (
            SELECT upk_id, SUM(active) AS active, SUM(risky) AS risky
              FROM per_ksm
             GROUP BY upk_id
        ), sums AS (
            SELECT upk_id,
                   SUM(CASE WHEN outstanding > 0 THEN outstanding ELSE 0 END) AS outstanding,
                   SUM(CASE WHEN at_risk = 1 THEN outstanding ELSE 0 END) AS at_risk_outstanding,
                   SUM(CASE WHEN at_risk = 1 THEN arr_pokok ELSE 0 END) AS at_risk_arrears_pokok,
                   SUM(due_total) AS due_total,
                   SUM(paid_total) AS paid_total,
                   SUM(CASE WHEN shared = 0 AND outstanding > 0 THEN 1 ELSE 0 END) AS solo_active,
                   SUM(CASE WHEN shared = 0 AND at_risk = 1 THEN 1 ELSE 0 END) AS solo_risky,
                   {_BUCKET_SUMS}
              FROM graded
             GROUP BY upk_id
        )
        SELECT sums.upk_id, sums.outstanding, sums.solo_active + COALESCE(ksms.active, 0),
               sums.solo_risky + COALESCE(ksms.risky, 0), sums.at_risk_outstanding,
               sums.at_risk_arrears_pokok, sums.due_total, sums.paid_total, {_BUCKET_COLUMNS}
          FROM sums LEFT JOIN ksms ON ksms.upk_id = sums.upk_id
"""  # noqa: S608


def _portfolio_sql(ids: list[int], as_of: date, *, month_end_cache: bool = False) -> tuple[str, list[Any]]:
    """One statement: per UPK, the portfolio figures and the kolektibilitas
    bucket totals, aggregated in the database (no per-loan rows leave it).

    Same definitions as `loan_positions` + `kol_bucket` +
    `portfolio_figures_many`; tests assert both paths agree.
    """
    upks = _in_clause(ids)
    if month_end_cache:
        cached = f"""
        WITH loans AS (
            SELECT c.upk_id, c.ksm_id, c.outstanding, c.n_arrears AS n_arr, c.due_total,
                   c.paid_on_due AS paid_total, c.arrears_pokok AS arr_pokok, 1 AS shared
              FROM upk_loanmonthend c
             WHERE c.as_of = %s AND c.upk_id IN ({upks})
        """  # noqa: S608
        return cached + _PORTFOLIO_TAIL, [as_of, *ids]
    if connection.vendor == "postgresql":
        return _portfolio_state_sql(ids, as_of)
    return _portfolio_alloc_sql(ids, as_of)


def _portfolio_alloc_sql(ids: list[int], as_of: date, *, stale: str = "") -> tuple[str, list[Any]]:
    """The `loans` CTE from the allocations and instalments valid on `as_of`.

    With `stale` (the body of a CTE yielding arrays `full_ids` and
    `part_ids`, see `_portfolio_state_sql`) the allocations are read for both
    sets of loans and the rest (instalments, loans) for `full_ids` only; the
    caller adds the other loans and closes the CTE."""
    upks = _in_clause(ids)
    # The ids are computed once (a CTE) and passed as arrays, so each read
    # below is an index look-up of those loans only.
    only_a, only_i, only_l = (
        (
            " AND a.loan_id = ANY((SELECT full_ids || part_ids FROM stale)::bigint[])",
            " AND i.loan_id = ANY((SELECT full_ids FROM stale)::bigint[])",
            " AND l.id = ANY((SELECT full_ids FROM stale)::bigint[])",
        )
        if stale
        else ("",) * 3
    )
    # Allocations are grouped per (loan, schedule), never per instalment: the
    # settling pieces (Allocation.settles) valid on the date count the fully
    # paid instalments (each is settled by exactly one piece; property-tested).
    sql = f"""
        WITH alloc AS (
            SELECT a.loan_id, a.schedule_id,
                   SUM(CASE WHEN a.component = 'pokok' THEN a.amount ELSE 0 END) AS pokok_all,
                   SUM(CASE WHEN a.component <> 'denda' AND a.due_date <= %s THEN a.amount ELSE 0 END) AS paid_due,
                   SUM(CASE WHEN a.component = 'pokok' AND a.due_date <= %s THEN a.amount ELSE 0 END) AS pokok_due,
                   SUM(CASE WHEN a.settles AND a.due_date <= %s THEN 1 ELSE 0 END) AS settled_due
              FROM upk_allocation a
             WHERE a.upk_id IN ({upks}) AND a.effective_from <= %s
               AND (a.effective_to IS NULL OR a.effective_to > %s){only_a}
             GROUP BY a.loan_id, a.schedule_id
        ), paid AS (
            SELECT alloc.loan_id,
                   SUM(alloc.pokok_all) AS pokok_all,
                   SUM(CASE WHEN s.effective_from <= %s AND (s.effective_to IS NULL OR s.effective_to > %s)
                            THEN alloc.paid_due ELSE 0 END) AS paid_due,
                   SUM(CASE WHEN s.effective_from <= %s AND (s.effective_to IS NULL OR s.effective_to > %s)
                            THEN alloc.pokok_due ELSE 0 END) AS pokok_due,
                   SUM(CASE WHEN s.effective_from <= %s AND (s.effective_to IS NULL OR s.effective_to > %s)
                            THEN alloc.settled_due ELSE 0 END) AS settled_due
              FROM alloc
              JOIN upk_schedule s ON s.id = alloc.schedule_id
             GROUP BY alloc.loan_id
        ), due AS (
            SELECT i.loan_id,
                   COUNT(*) AS n_due,
                   SUM(CASE WHEN i.total = 0 THEN 1 ELSE 0 END) AS zero_due,
                   SUM(i.total) AS due_total,
                   SUM(i.pokok) AS due_pokok
              FROM upk_instalment i
              JOIN upk_schedule s ON s.id = i.schedule_id
             WHERE i.upk_id IN ({upks}) AND i.due_date <= %s
               AND s.effective_from <= %s AND (s.effective_to IS NULL OR s.effective_to > %s){only_i}
             GROUP BY i.loan_id
        ), loans AS (
            SELECT l.upk_id, l.ksm_id,
                   l.principal - COALESCE(p.pokok_all, 0) AS outstanding,
                   COALESCE(d.n_due, 0) - COALESCE(d.zero_due, 0) - COALESCE(p.settled_due, 0) AS n_arr,
                   COALESCE(d.due_total, 0) AS due_total,
                   COALESCE(p.paid_due, 0) AS paid_total,
                   COALESCE(d.due_pokok, 0) - COALESCE(p.pokok_due, 0) AS arr_pokok,
                   1 AS shared
              FROM upk_loan l
              LEFT JOIN paid p ON p.loan_id = l.id
              LEFT JOIN due d ON d.loan_id = l.id
             WHERE l.upk_id IN ({upks}) AND l.disbursed_on <= %s
               AND (l.written_off_on IS NULL OR l.written_off_on > %s){only_l}
    """  # noqa: S608
    params: list[Any] = [
        *[as_of] * 3,
        *ids,
        *[as_of] * 2,
        *[as_of] * 6,
        *ids,
        *[as_of] * 3,
        *ids,
        *[as_of] * 2,
    ]
    if stale:
        return sql.replace("WITH alloc AS (", f"WITH stale AS ({stale}), alloc AS (", 1), params
    return sql + _PORTFOLIO_TAIL, params


def _portfolio_state_sql(ids: list[int], as_of: date) -> tuple[str, list[Any]]:
    """The `loans` CTE from the per-loan state (`LoanState`, upk/states.py),
    one statement in three parts:

    - state valid on the date (the usual case for recent dates): one row per
      loan, the figures picked from prefix sums by the number of instalments
      due (width_bucket: a binary search of the due dates);
    - changed after the date but same schedule (`part_ids`): what was due
      from the state (it depends on the schedule only), what was paid from
      the allocations valid on the date;
    - rescheduled after the date (`full_ids`): the allocation/instalment
      path, restricted to those loans.
    """
    upks = _in_clause(ids)
    # One pass over the states changed after the date (an index range; empty
    # for today). Every loan with a schedule has a state (a constraint
    # trigger, migration 0011), so no loan is missed.
    stale = f"""
            SELECT COALESCE(array_agg(st.loan_id) FILTER (
                       WHERE st.schedule_from > %s  -- rescheduled after the date (not disbursed after it)
                         AND EXISTS (SELECT 1 FROM upk_loan l WHERE l.id = st.loan_id AND l.disbursed_on <= %s)), '{{}}')
                       AS full_ids,
                   COALESCE(array_agg(st.loan_id) FILTER (WHERE st.schedule_from <= %s
                                AND (st.written_off_on IS NULL OR st.written_off_on > %s)), '{{}}') AS part_ids
              FROM upk_loanstate st
             WHERE st.upk_id IN ({upks}) AND st.valid_from > %s
    """  # noqa: S608
    stale_params = [as_of, as_of, as_of, as_of, *ids, as_of]
    fallback, params = _portfolio_alloc_sql(ids, as_of, stale=stale)
    # PostgreSQL arrays are 1-based; element 0 (nothing due yet) is NULL, hence COALESCE.
    sql = f"""{fallback}
             UNION ALL
            SELECT s.upk_id, s.ksm_id, s.principal - COALESCE(p.pokok_all, 0),
                   COALESCE(s.cum_nonzero[s.k], 0) - COALESCE(p.settled_due, 0),
                   COALESCE(s.cum_due[s.k], 0), COALESCE(p.paid_due, 0),
                   COALESCE(s.cum_pokok[s.k], 0) - COALESCE(p.pokok_due, 0),
                   CASE WHEN s.shared_ksm THEN 1 ELSE 0 END
              FROM (SELECT st.*, width_bucket(%s::date, st.due_dates) AS k
                      FROM upk_loanstate st  -- the part_ids loans (a scan: cheaper than a probe per id)
                     WHERE st.upk_id IN ({upks}) AND st.valid_from > %s AND st.schedule_from <= %s
                       AND (st.written_off_on IS NULL OR st.written_off_on > %s)) s
              LEFT JOIN paid p ON p.loan_id = s.loan_id
             UNION ALL
            SELECT s.upk_id, s.ksm_id, s.principal - s.pokok_all,
                   COALESCE(s.cum_unsettled[s.k], 0), COALESCE(s.cum_due[s.k], 0),
                   COALESCE(s.cum_paid[s.k], 0), COALESCE(s.cum_arrears_pokok[s.k], 0),
                   CASE WHEN s.shared_ksm THEN 1 ELSE 0 END
              FROM (SELECT st.*, width_bucket(%s::date, st.due_dates) AS k
                      FROM upk_loanstate st
                     WHERE st.upk_id IN ({upks}) AND st.valid_from <= %s
                       AND (st.written_off_on IS NULL OR st.written_off_on > %s)) s
    """  # noqa: S608
    return sql + _PORTFOLIO_TAIL, [*stale_params, *params, as_of, *ids, *[as_of] * 3, as_of, *ids, as_of, as_of]


# Below this many UPKs the aggregate is small (no JIT, fits in work_mem), so
# the pages of one UPK do not pay the extra round trip.
TUNE_FROM_UPKS = 20


def _tune_aggregate(cursor: Any) -> None:
    """Settings for the big aggregate, for this transaction only (SET LOCAL).

    (JIT compilation, which cost ~2-4 s on this statement at 200k loans and
    saved nothing, is off on every connection: settings, DATABASES OPTIONS.)
    Parallel workers are made cheaper to start than the defaults (1000 and
    0.1) assume, so the scans of the per-loan states run in parallel too: at
    200k loans 850 → 700-800 ms as of today and 1,050-1,090 → 915-935 ms as of
    40 days ago (docs/performance.md); the results are the same rows.
    A larger work_mem was measured too (16/64/256 MB): it makes the planner
    drop the parallel plan and is slower here, so it is left at the default.
    Call inside `transaction.atomic()`; a no-op outside PostgreSQL."""
    if connection.vendor != "postgresql":
        return
    cursor.execute(
        "SELECT set_config('parallel_setup_cost', '100', true), set_config('parallel_tuple_cost', '0.01', true)"
    )


# The raw sums of one UPK as of a date, in this order: what the aggregate
# returns (figures, then count and outstanding per kolektibilitas bucket) and
# the account totals. Everything else (indicators, bands, reserve required)
# is derived from them in `_summary_from_raw`, live or stored (upk/figures.py).
RAW_FIELDS: tuple[str, ...] = (
    "outstanding",
    "active_ksm",
    "at_risk_ksm",
    "at_risk_outstanding",
    "at_risk_arrears_pokok",
    "due_total",
    "paid_on_due",
    *(f"{kind}{b}" for b in range(5) for kind in ("n", "o")),
    *_TOTAL_KEYS,
)
_N_FIGURES = 7


def _summary_raw_live(ids: list[int], as_of: date, rules: dict[int, UpkSettings]) -> dict[int, list[int]]:
    """The raw sums (RAW_FIELDS) of the UPKs as of `as_of`, computed from the
    ledger: a handful of queries whatever the number of UPKs or loans
    (portfolio aggregate, account totals). At the end of a closed month the
    aggregate reads the month-end cache (`LoanMonthEnd`) instead of the
    allocations."""
    totals: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    cached: set[int] = set()
    if as_of == month_end(as_of.year, as_of.month):
        for row in UpkMonthEnd.objects.filter(upk_id__in=ids, as_of=as_of):
            totals[row.upk_id] = defaultdict(int, row.totals)
            cached.add(row.upk_id)
    live = [i for i in ids if i not in cached]
    statements = []
    if cached:
        statements.append(_portfolio_sql(sorted(cached), as_of, month_end_cache=True))
    if live:
        statements.append(_portfolio_sql(live, as_of))
    statements = [(_with_rules(sql, {i: rules[i] for i in ids}), params) for sql, params in statements]
    sums: dict[int, list[int]] = {i: [0] * (len(RAW_FIELDS) - len(_TOTAL_KEYS)) for i in ids}
    # savepoint=False: no extra round trips when the caller is already in a
    # transaction (the SET LOCAL then lasts until the caller's transaction ends,
    # which is harmless: jit off).
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if len(ids) >= TUNE_FROM_UPKS:
            _tune_aggregate(cursor)
        if live:
            totals.update(_role_totals(live, as_of))
        for sql, params in statements:
            cursor.execute(sql, params)
            for upk_id, *vals in cursor.fetchall():
                sums[upk_id] = [int(v or 0) for v in vals]
    return {i: sums[i] + [int(totals[i][k]) for k in _TOTAL_KEYS] for i in ids}


def _summary_from_raw(
    upk_id: int, as_of: date, raw: list[int], rules: UpkSettings, names: list[str] | None = None
) -> tuple[Indicators, Kolektibilitas]:
    """Indicators and kolektibilitas from the raw sums. `names`: the buckets'
    names already translated (translating them per UPK cost ~0.4 ms each, most
    of a 1,000-UPK dashboard)."""
    names = names if names is not None else [str(name) for _code, name in KOL_NAMES]
    f = _figures_from_raw(as_of, raw)
    buckets = raw[_N_FIGURES : _N_FIGURES + 10]
    reserve = raw[len(RAW_FIELDS) - len(_TOTAL_KEYS) + _TOTAL_KEYS.index("reserve")]
    rates = _reserve_rates(rules)
    kol = Kolektibilitas(
        upk_id,
        as_of,
        [
            KolBucket(code, names[b], rates[b], buckets[2 * b], buckets[2 * b + 1])
            for b, (code, _name) in enumerate(KOL_NAMES)
        ],
        [],
        reserve,
    )
    return _indicator_values(f, rules, upk_id), kol


def _figures_from_raw(as_of: date, raw: list[int]) -> PortfolioFigures:
    t = dict(zip(_TOTAL_KEYS, raw[_N_FIGURES + 10 :], strict=True))
    outstanding, active_ksm, at_risk_ksm, at_risk_outstanding, at_risk_arrears_pokok, due_total, paid_on_due = raw[
        :_N_FIGURES
    ]
    return PortfolioFigures(
        as_of,
        outstanding=outstanding,
        active_ksm=active_ksm,
        at_risk_ksm=at_risk_ksm,
        at_risk_outstanding=at_risk_outstanding,
        at_risk_arrears_pokok=at_risk_arrears_pokok,
        due_total=due_total,
        paid_on_due=paid_on_due,
        income_ytd=t["income"],
        cost_ytd=t["cost"],
        capital=t["capital"],
    )


def portfolio_summary_dates(
    *,
    upk_ids: Iterable[int],
    dates: Iterable[date],
    rules: dict[date, dict[int, UpkSettings]] | None = None,
) -> dict[date, dict[int, tuple[Indicators, Kolektibilitas]]]:
    """`portfolio_summary_many` at several dates: the stored figures
    (upk/figures.py) still valid are read in one query, the others computed
    live (per date, only for the UPKs missing) and stored for the next reader.
    `rules`: the rules in force per date (`rules_in_force_dates`) when the caller
    already read them."""
    return _summaries(upk_ids, dates, _summary_from_raw, rules)


def indicators_dates(*, upk_ids: Iterable[int], dates: Iterable[date]) -> dict[date, dict[int, Indicators]]:
    """`portfolio_summary_dates` without the kolektibilitas (the PAR warnings
    read four month ends of every UPK and need nothing else)."""

    def build(upk_id: int, as_of: date, raw: list[int], rules: UpkSettings, names: list[str]) -> Indicators:
        return _indicator_values(_figures_from_raw(as_of, raw), rules, upk_id)

    return _summaries(upk_ids, dates, build)


def _summaries(
    upk_ids: Iterable[int],
    dates: Iterable[date],
    build: Any,
    rules_given: dict[date, dict[int, UpkSettings]] | None = None,
) -> dict[date, dict[int, Any]]:
    from . import figures

    ids = sorted(set(upk_ids))
    days = sorted(set(dates))
    if not ids or not days:
        return {d: {} for d in days}
    raw: dict[tuple[int, date], list[int]] = {}
    computed: dict[tuple[int, date], list[int]] = {}
    versions: dict[int, int] = {}
    if figures.enabled():
        versions, raw = figures.read(ids, days)
    out: dict[date, dict[int, Any]] = {}
    names = [str(name) for _code, name in KOL_NAMES]
    from .ledger.rules import rules_in_force_dates

    rules_by_day: dict[Any, dict[int, UpkSettings]]
    if rules_given is not None and all(d in rules_given and set(ids) <= rules_given[d].keys() for d in days):
        rules_by_day = rules_given  # the caller read them (one query less)
    else:
        rules_by_day = rules_in_force_dates(ids, days)
    for day in days:
        rules = rules_by_day[day]
        missing = [i for i in ids if (i, day) not in raw]
        if missing:
            for upk_id, values in _summary_raw_live(missing, day, rules).items():
                raw[(upk_id, day)] = computed[(upk_id, day)] = values
        out[day] = {i: build(i, day, raw[(i, day)], rules[i], names) for i in ids}
    if computed and figures.enabled():
        figures.store(computed, versions)
    return out


def portfolio_summary_many(
    *, upk_ids: Iterable[int], as_of: date, rules: dict[int, UpkSettings] | None = None
) -> dict[int, tuple[Indicators, Kolektibilitas]]:
    """Indicators and kolektibilitas bucket totals (no per-loan rows) for many
    UPKs — the path for city-wide dashboards: a handful of queries whatever
    the number of UPKs or loans, and for figures already computed since the
    UPK's last write (or of a month closed since), two (upk/figures.py)."""
    return portfolio_summary_dates(upk_ids=upk_ids, dates=[as_of], rules=None if rules is None else {as_of: rules})[
        as_of
    ]


def indicators_many(
    *, upk_ids: Iterable[int], as_of: date, rules: dict[int, UpkSettings] | None = None
) -> dict[int, Indicators]:
    """All indicators for many UPKs (3 queries, aggregated in the database)."""
    return {k: v[0] for k, v in portfolio_summary_many(upk_ids=upk_ids, as_of=as_of, rules=rules).items()}


def indicators(*, upk: Unit, as_of: date, rules: dict[int, UpkSettings] | None = None) -> Indicators:
    return indicators_many(upk_ids=[upk.pk], as_of=as_of, rules=rules)[upk.pk]


def rules_on(*, upk_ids: Iterable[int], as_of: date) -> dict[int, UpkSettings]:
    """The rules in force on `as_of` per UPK (one query), for a page that hands
    them to several readers (`portfolio_summary_many`, `arrears_worklist`)."""
    return _settings(upk_ids, as_of)


# --- Loan card, members ---------------------------------------------------------------------------


@dataclass
class LoanCard:
    loan: Loan
    schedules: list[Any]
    repayments: list[Any]
    events: list[Any]


def loan_card(loan: Loan, *, with_events: bool = True) -> LoanCard:
    """Kartu pinjaman: every schedule version with its instalments (due
    against paid, current state), repayments with their current allocations
    (`rep.current_allocations`; the full history stays in `rep.allocations`)
    and reversals, and the status history (`loan_events`; not read without
    `with_events`)."""
    schedules = list(loan.schedules.prefetch_related("instalments").order_by("version"))
    current = Prefetch(
        "allocations",
        queryset=Allocation.objects.filter(effective_to__isnull=True)
        .select_related("instalment")
        .order_by("instalment__number", "pk"),
        to_attr="current_allocations",
    )
    repayments = list(
        loan.repayments.select_related("reversal", "collection_sheet")
        .prefetch_related(current, "member_parts")  # member parts: member_positions(repayments=…) reuses them
        .order_by("paid_on", "pk")
    )
    return LoanCard(loan, schedules, repayments, loan_events(loan) if with_events else [])


def loan_events(loan: Loan) -> list[Any]:
    """A loan's status history, oldest first, with who changed it."""
    return list(loan.status_events.select_related("actor").order_by("at", "pk"))


@dataclass
class MemberPosition:
    loan_member_id: int
    name: str
    principal: int
    due: int
    paid: int

    @property
    def arrears(self) -> int:
        return max(self.due - self.paid, 0)


def member_positions(loan: Loan, *, as_of: date, repayments: list[Repayment] | None = None) -> list[MemberPosition]:
    """Per member: due (member shares of instalments due ≤ as_of, current
    schedule) against paid (their recorded parts of repayments; a repayment
    without a split counts for members by principal, largest remainder).

    `repayments`: the loan's repayments already read with their `reversal`
    and `member_parts` (the loan card's), so they are not read again."""
    from .ledger.engine import largest_remainder

    # Each member's shares of the instalments due by then on the schedule in force then, summed in
    # the members' own query.
    shares_due = (
        MemberInstalment.objects.filter(
            loan_member=OuterRef("pk"),
            instalment__due_date__lte=as_of,
            instalment__schedule__effective_from__lte=as_of,
        )
        .filter(Q(instalment__schedule__effective_to__isnull=True) | Q(instalment__schedule__effective_to__gt=as_of))
        .order_by()
        .values("loan_member")
        .annotate(s=Sum(F("pokok") + F("jasa") + F("bop")))
        .values("s")
    )
    members = list(loan.loan_members.select_related("member").annotate(due_by_then=Subquery(shares_due)).order_by("pk"))
    weights = [int(m.amount) for m in members]
    due: dict[int, int] = {m.pk: int(m.due_by_then or 0) for m in members}  # type: ignore[attr-defined]
    paid: dict[int, int] = defaultdict(int)
    if repayments is None:
        repayments = list(
            loan.repayments.filter(paid_on__lte=as_of).prefetch_related("member_parts").select_related("reversal")
        )
    for rep in repayments:
        if rep.paid_on > as_of:
            continue
        if rep.is_reversed and rep.reversal.reversed_on <= as_of:
            continue
        parts = {p.loan_member_id: int(p.amount) for p in rep.member_parts.all()}
        if not parts:
            parts = dict(zip([m.pk for m in members], largest_remainder(int(rep.amount), weights), strict=True))
        for k, v in parts.items():
            paid[k] += v
    return [MemberPosition(m.pk, m.member.name, int(m.amount), due[m.pk], paid[m.pk]) for m in members]


# --- Savings ---------------------------------------------------------------------------------------


def savings_balance(ksm: KSM, as_of: date | None = None) -> int:
    """Deposits − withdrawals − arrears covers (a cover whose repayment was
    reversed no longer counts)."""
    from .ledger.savings import signed_amount

    qs = SavingsTransaction.objects.filter(ksm=ksm)
    if as_of:
        qs = qs.filter(date__lte=as_of)
    return int(qs.aggregate(b=Sum(signed_amount()))["b"] or 0)


def savings_months_run(ksm: KSM, before: date) -> int:
    """Consecutive calendar months with at least one deposit, ending with the
    month of `before` or the month before it (the 3-month rule reads this)."""
    months = {
        (d.year, d.month)
        for d in SavingsTransaction.objects.filter(ksm=ksm, kind=SavingsKind.DEPOSIT, date__lte=before).values_list(
            "date", flat=True
        )
    }
    y, m = before.year, before.month
    if (y, m) not in months:
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    run = 0
    while (y, m) in months:
        run += 1
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return run


# --- LPP and the monthly package --------------------------------------------------------------------


@dataclass
class LppRow:
    loan_id: int
    number: str
    ksm_id: int
    principal: int
    target_pokok: int
    target_jasa: int
    pokok_before: int
    jasa_before: int
    pokok_month: int
    jasa_month: int
    pokok_to_date: int
    jasa_to_date: int
    outstanding: int
    arrears: int
    n_arrears: int
    kol: int


LPP_SNAPSHOT_FIELDS = (
    "number",
    "ksm_id",
    "principal",
    "target_pokok",
    "target_jasa",
    "pokok_before",
    "pokok_month",
    "jasa_month",
    "pokok_to_date",
    "jasa_to_date",
    "outstanding",
    "arrears",
    "kol",
)


@dataclass
class Lpp:
    year: int
    month: int
    rows: list[LppRow]

    @property
    def outstanding(self) -> int:
        return sum(r.outstanding for r in self.rows)


def lpp(
    *,
    upk: Unit,
    year: int,
    month: int,
    now: dict[int, LoanPosition] | None = None,
    before: dict[int, LoanPosition] | None = None,
    rules: UpkSettings | None = None,
) -> Lpp:
    """Laporan Perkembangan Pinjaman for a month: per loan, targets and
    realisation up to last month, this month and to date, balance and arrears.
    `now`/`before`: the UPK's `loan_positions` at the month's end and the
    previous month's, and `rules` in force at the month's end, when the caller
    has them (the monthly package)."""
    end = month_end(year, month)
    prev_end = date(year, month, 1) - timedelta(days=1)
    if now is None:
        now = loan_positions(upk_ids=[upk.pk], as_of=end)
    if before is None:
        before = loan_positions(upk_ids=[upk.pk], as_of=prev_end)
    if rules is None:
        rules = _settings([upk.pk], end)[upk.pk]
    rows = []
    for pos in sorted(now.values(), key=lambda p: p.number):
        prev = before.get(pos.loan_id)
        if pos.outstanding <= 0 and pos.arrears_amount <= 0 and prev is not None and prev.outstanding <= 0:
            continue  # paid off before this month
        pb = prev.paid_pokok if prev else 0
        jb = prev.paid_jasa if prev else 0
        rows.append(
            LppRow(
                pos.loan_id,
                pos.number,
                pos.ksm_id,
                pos.principal,
                pos.due_pokok,
                pos.due_jasa,
                pb,
                jb,
                pos.paid_pokok - pb,
                pos.paid_jasa - jb,
                pos.paid_pokok,
                pos.paid_jasa,
                pos.outstanding,
                pos.arrears_amount,
                pos.n_arrears,
                kol_bucket(pos.n_arrears, rules),
            )
        )
    return Lpp(year, month, rows)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def _compared(*amounts: int | Decimal | None) -> str:
    """The amounts a check compares, as every page and PDF prints money: "Rp 74.951.900 / Rp 74.951.900"."""
    return " / ".join(format_rupiah(a) for a in amounts)


@dataclass
class MonthlyPackageData:
    upk_id: int
    year: int
    month: int
    lpp: Lpp
    kolektibilitas: Kolektibilitas
    neraca: Neraca
    laba_rugi: LabaRugi
    indicators: Indicators
    trial_balance: TrialBalance
    checks: list[Check]

    @property
    def checks_ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "month": self.month,
            "lpp_outstanding": self.lpp.outstanding,
            "kol_buckets": {
                b.code: {"loans": b.loans, "outstanding": b.outstanding, "required": b.required, "rate": str(b.rate)}
                for b in self.kolektibilitas.buckets
            },
            # Per loan, so the submitted package's LPP is shown from the snapshot (upk.packages).
            "lpp_rows": [{k: getattr(r, k) for k in LPP_SNAPSHOT_FIELDS} for r in self.lpp.rows],
            "required_reserve": self.kolektibilitas.required_reserve,
            "booked_reserve": self.kolektibilitas.booked_reserve,
            "neraca": {
                "total_assets": self.neraca.total_assets,
                "total_liabilities_equity": self.neraca.total_liabilities_equity,
                "loans": self.neraca.balance_of(AccountRole.LOANS),
            },
            "laba_rugi": {"income": self.laba_rugi.income.total, "expense": self.laba_rugi.expense.total},
            "trial_balance": {
                r.account.code: r.debit - r.credit for r in self.trial_balance.rows if r.debit or r.credit
            },
            "indicators": {
                k: {"value": None if v.value is None else str(v.value), "band": v.band}
                for k, v in self.indicators.values.items()
            },
            "figures": {k: v for k, v in asdict(self.indicators.figures).items() if k != "as_of"},
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
        }


_UNREAD: Any = object()


def _previous_package(upk_id: int, year: int, month: int) -> MonthlyPackage | None:
    """Last month's package in force (the latest submission), whose snapshot the opening check reads."""
    prev_end = date(year, month, 1) - timedelta(days=1)
    return (
        MonthlyPackage.objects.filter(upk_id=upk_id, year=prev_end.year, month=prev_end.month)
        .order_by("-submitted_at")
        .first()
    )


def monthly_package(
    *, upk: Unit, year: int, month: int, previous: MonthlyPackage | None = _UNREAD
) -> MonthlyPackageData:
    """Everything Bappedalitbang receives for a month, with the reconciliation
    checks (reference §3.3). `previous`: last month's package as
    `_previous_package` reads it, when the caller has read it."""
    end = month_end(year, month)
    prev_end = date(year, month, 1) - timedelta(days=1)
    # The loan positions at the two month ends, read once (3 queries each) for the LPP, the
    # kolektibilitas and the opening-balance check, which each read them again before.
    # The same for the rules in force and the role totals (kolektibilitas and the jasa check).
    positions = loan_positions(upk_ids=[upk.pk], as_of=end)
    opening = loan_positions(upk_ids=[upk.pk], as_of=prev_end)
    rules = _settings([upk.pk], end)
    totals = _role_totals([upk.pk], end)
    report = lpp(upk=upk, year=year, month=month, now=positions, before=opening, rules=rules[upk.pk])
    kol = kolektibilitas_many(upk_ids=[upk.pk], as_of=end, positions=positions, totals=totals, rules=rules)[upk.pk]
    # The chart and the month-end balances once for the neraca, the trial balance, the
    # laba-rugi and last month's trial balance (each read both again before).
    accounts = upk_accounts(upk=upk)
    balances = account_balances(upk=upk, as_of=end)
    bs = neraca(upk=upk, as_of=end, accounts=accounts, balances=balances)
    pl = laba_rugi(upk=upk, date_from=date(year, 1, 1), date_to=end, accounts=accounts)
    ind = indicators(upk=upk, as_of=end, rules=rules)
    tb = trial_balance(upk=upk, as_of=end, accounts=accounts, balances=balances)
    loans_balance = bs.balance_of(AccountRole.LOANS)
    checks = [
        Check(
            str(_("Neraca Pinjaman KSM = LPP saldo = jumlah kolektibilitas")),
            loans_balance == report.outstanding == kol.outstanding,
            _compared(loans_balance, report.outstanding, kol.outstanding),
        ),
        Check(str(_("Neraca saldo seimbang")), tb.balanced, _compared(tb.total_debit, tb.total_credit)),
        Check(str(_("Neraca seimbang")), bs.balanced, _compared(bs.total_assets, bs.total_liabilities_equity)),
    ]
    jasa_income_ytd = totals[upk.pk]["jasa"]
    jasa_alloc_ytd = _jasa_allocated_between(upk.pk, date(year, 1, 1), end)
    checks.append(
        Check(
            str(_("Jasa diterima (tahun berjalan) = pendapatan jasa di laba-rugi")),
            jasa_income_ytd == jasa_alloc_ytd,
            _compared(jasa_alloc_ytd, jasa_income_ytd),
        )
    )
    if previous is _UNREAD:
        previous = _previous_package(upk.pk, year, month)
    if previous is not None:
        opening_now = sum(p.outstanding for p in opening.values())
        prev_tb = {
            r.account.code: r.debit - r.credit
            for r in trial_balance(upk=upk, as_of=prev_end, accounts=accounts).rows
            if r.debit or r.credit
        }
        ok = previous.figures.get("lpp_outstanding") == opening_now and previous.figures.get("trial_balance") == prev_tb
        checks.append(
            Check(
                str(_("Saldo awal bulan ini = saldo akhir laporan bulan lalu")),
                ok,
                _compared(previous.figures.get("lpp_outstanding"), opening_now),
            )
        )
    else:
        checks.append(
            Check(
                str(_("Saldo awal bulan ini = saldo akhir laporan bulan lalu")),
                True,
                str(_("Belum ada laporan bulan lalu.")),
            )
        )
    return MonthlyPackageData(upk.pk, year, month, report, kol, bs, pl, ind, tb, checks)


@dataclass(frozen=True)
class KeptPackage:
    data: MonthlyPackageData
    # What it is kept under besides the UPK's figures version (`figures.kept`): the month, the language,
    # last month's package. A result derived from the package alone (its rendered tables) extends it.
    name: str
    version: str


def monthly_package_kept(*, upk: Unit, year: int, month: int) -> KeptPackage:
    """`monthly_package` as the package page shows it, kept in the cache under the UPK's figures
    version (`figures.kept`): every table it reads is one the version's triggers cover, except last
    month's package (a submission writes none of them), whose id is part of the key, and the
    language of the checks' and sections' labels, also in the key. So a posting, a rule or chart
    change, a reopening or a submission of last month is shown at once, and a month the UPK does not
    post into (a closed one, or any while nothing is posted) is computed once, not on every view."""
    from django.conf import settings
    from django.utils.translation import get_language

    from . import figures

    version = figures.version_token(upk.pk)
    previous = _previous_package(upk.pk, year, month)
    language = get_language() or settings.LANGUAGE_CODE
    name = f"package:{year:04d}-{month:02d}:{language}:{previous.pk if previous is not None else 0}"
    data = figures.kept(
        name, upk.pk, lambda: monthly_package(upk=upk, year=year, month=month, previous=previous), version=version
    )
    return KeptPackage(data, name, version)


def _jasa_allocated_between(upk_id: int, date_from: date, date_to: date) -> int:
    """Jasa received by date_to minus jasa received by the day before date_from
    (as the allocations stood on each of those dates)."""

    def as_of(d: date) -> Q:
        return Q(effective_from__lte=d) & (Q(effective_to__isnull=True) | Q(effective_to__gt=d))

    before = date_from - timedelta(days=1)
    totals = Allocation.objects.filter(upk_id=upk_id, component=Component.JASA).aggregate(
        to=Sum("amount", filter=as_of(date_to)), before=Sum("amount", filter=as_of(before))
    )  # both dates in one query
    return int(totals["to"] or 0) - int(totals["before"] or 0)


# --- Reads other apps make of the books (reports, dashboard) ---------------------------------------
# Other apps never import upk.models (issue 11: the ledger's one door is this module).


def ksm_names(*, ksm_ids: Iterable[int]) -> dict[int, str]:
    """KSM id → name for the given ids; one query."""
    return dict(KSM.objects.filter(pk__in=set(ksm_ids)).values_list("pk", "name"))


def upks_with_package(*, upk_ids: Iterable[int], year: int, month: int) -> set[int]:
    """UPKs that submitted the package of (year, month) (submitting closes the month); one query."""
    return set(
        MonthlyPackage.objects.filter(upk_id__in=list(upk_ids), year=year, month=month).values_list("upk_id", flat=True)
    )


def upks_posted_by(*, upk_ids: Iterable[int], day: date) -> set[int]:
    """UPKs that posted any journal entry on or before `day` (a month with no books is not expected); one query."""
    from django.db.models import Exists, OuterRef

    from bkm.models import Unit

    # One index probe per UPK (upk_je_upk_date) rather than DISTINCT over every entry: at 1,000 UPKs
    # and ~2M entries the DISTINCT read them all (0.2-0.5 s of the dashboard).
    posted = JournalEntry.objects.filter(upk_id=OuterRef("pk"), date__lte=day)
    return set(Unit.objects.filter(pk__in=list(upk_ids)).filter(Exists(posted)).values_list("pk", flat=True))


# --- Drift check (pitfall 9) -------------------------------------------------------------------------


def ledger_drift(*, upk: Unit) -> list[str]:
    """Compare every cached or derived figure with its source; [] means clean.

    - instalment paid_* cache vs current allocations;
    - Pinjaman KSM per loan in the journal vs principal − pokok allocated − written off;
    - every journal entry balanced;
    - the month-end caches (LoanMonthEnd, UpkMonthEnd) against a fresh computation.
    """
    problems = []
    current: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in (
        Allocation.objects.filter(upk=upk, effective_to__isnull=True)
        .values("instalment_id", "component")
        .annotate(s=Sum("amount"))
    ):
        current[row["instalment_id"]][row["component"]] = int(row["s"])
    for inst in Instalment.objects.filter(upk=upk).only("pk", "paid_pokok", "paid_jasa", "paid_bop", "paid_denda"):
        for comp in ("pokok", "jasa", "bop", "denda"):
            if int(getattr(inst, f"paid_{comp}")) != current[inst.pk][comp]:
                problems.append(f"instalment {inst.pk} paid_{comp} cache differs")
    journal = {
        r["loan_id"]: int(r["s"] or 0)
        for r in JournalLine.objects.filter(upk=upk, account__role=AccountRole.LOANS)
        .values("loan_id")
        .annotate(s=Sum(F("debit") - F("credit")))
    }
    pokok = {
        r["loan_id"]: int(r["s"])
        for r in Allocation.objects.filter(upk=upk, effective_to__isnull=True, component=Component.POKOK)
        .values("loan_id")
        .annotate(s=Sum("amount"))
    }
    for loan in Loan.objects.filter(upk=upk, disbursed_on__isnull=False).prefetch_related("write_offs"):
        written = sum(int(w.amount) for w in loan.write_offs.all() if w.status == "approved")
        expected = int(loan.principal) - pokok.get(loan.pk, 0) - written
        if journal.get(loan.pk, 0) != expected:
            problems.append(f"loan {loan.number}: journal {journal.get(loan.pk, 0)} != allocations {expected}")
    unbalanced = (
        JournalLine.objects.filter(upk=upk)
        .values("entry_id")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .filter(~Q(d=F("c")))
    )
    for row in unbalanced:
        problems.append(f"journal entry {row['entry_id']} unbalanced")
    # Month-end caches against a fresh computation.
    for as_of in LoanMonthEnd.objects.filter(upk=upk).values_list("as_of", flat=True).distinct():
        live = loan_positions(upk_ids=[upk.pk], as_of=as_of)
        cached = {c.loan_id: c for c in LoanMonthEnd.objects.filter(upk=upk, as_of=as_of)}
        for loan_id in set(live) | set(cached):
            p, c = live.get(loan_id), cached.get(loan_id)
            fresh = (p.outstanding, p.n_arrears, p.due_total, p.paid_on_due, p.arrears_pokok) if p else None
            stored = (
                (int(c.outstanding), c.n_arrears, int(c.due_total), int(c.paid_on_due), int(c.arrears_pokok))
                if c
                else None
            )
            if fresh != stored:
                problems.append(f"month-end cache {as_of} loan {loan_id}: {stored} != {fresh}")
    for snap in UpkMonthEnd.objects.filter(upk=upk):
        fresh_totals = {k: v for k, v in _role_totals([upk.pk], snap.as_of)[upk.pk].items() if v}
        if {k: v for k, v in snap.totals.items() if v} != fresh_totals:
            problems.append(f"month-end totals {snap.as_of} differ")
    # The per-loan state (PostgreSQL) against a recomputation from the
    # allocations; the kept valid_from may be later than needed, never earlier.
    if states.enabled():
        loan_ids = list(Loan.objects.filter(upk=upk, disbursed_on__isnull=False).values_list("pk", flat=True))
        kept = {state.loan_id: state for state in states.stored(loan_ids=loan_ids)}
        for fresh_state in states.compute(loan_ids=loan_ids):
            have = kept.get(fresh_state.loan_id)
            if (
                have is None
                or have.valid_from < fresh_state.valid_from
                or replace(have, valid_from=fresh_state.valid_from) != fresh_state
            ):
                problems.append(f"loan state {fresh_state.loan_id} differs from its allocations")
    return problems


# --- Change history (who, when, what) ----------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    when: datetime
    who: str
    subject: str  # "KSM Melati" / "Anggota Siti Aminah"
    action: str  # dibuat / diubah
    changes: list[str]  # "nama: A → B"
    reason: str


def _history_value(field: str, value: Any) -> str:
    from core.nik import mask_nik

    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("ya") if value else _("tidak"))
    if field == "nik":
        return mask_nik(str(value))  # history is read by staff too: never the full NIK
    return str(value)


def ksm_history(*, ksm: KSM, limit: int | None = 200) -> list[HistoryRow]:
    """Who changed a KSM and its members, when, and what (old → new), newest
    first, from their django-simple-history records (two queries)."""
    sources = [
        (str(_("KSM")), KSM, KSM.history.filter(id=ksm.pk)),  # type: ignore[attr-defined]
        (str(_("Anggota")), KSMMember, KSMMember.history.filter(ksm_id=ksm.pk)),  # type: ignore[attr-defined]
    ]
    rows: list[HistoryRow] = []
    for label, model, records in sources:
        previous: dict[int, Any] = {}
        for record in records.select_related("history_user").order_by("history_date", "history_id"):
            old = previous.get(record.id)
            changes: list[str] = []
            if old is not None:
                for change in record.diff_against(old).changes:
                    name = str(getattr(model._meta.get_field(change.field), "verbose_name", change.field))
                    changes.append(
                        f"{name}: {_history_value(change.field, change.old)} → {_history_value(change.field, change.new)}"
                    )
            previous[record.id] = record
            if old is not None and not changes:
                continue
            user = record.history_user
            rows.append(
                HistoryRow(
                    when=record.history_date,
                    who=(user.get_full_name() or user.username) if user else str(_("sistem")),
                    subject=f"{label} {record.name}",
                    action=str(_("dibuat")) if record.history_type == "+" else str(_("diubah")),
                    changes=changes,
                    reason=record.history_change_reason or "",
                )
            )
    rows.sort(key=lambda r: r.when, reverse=True)
    return rows[:limit] if limit else rows
