"""Writes of the UPK ledger. One atomic action per user intent.

Every money event posts a balanced journal entry (the database checks the
balance again at commit). Errors raise `LedgerError` with Indonesian messages
and change nothing.

Locking (one place, `_lock_loans` / `_lock_loans_and_books`): every service
that touches a loan's repayments, allocations or status locks the loan rows
first, in pk order, and takes the per-UPK number counters last (one
statement, name order). Two managers posting on the same loan therefore run
one after the other; fixed order means no deadlock.

Cost: a repayment is three round trips on PostgreSQL — the lock and the
loan's books read together (`_lock_loans_and_books`), one write statement
(`_post_many_numbered` → `writes.ledger_insert`: journal, repayment,
allocations, instalment cache, loan state) and the commit; the replay is
planned in memory in between (`_plan`). A collection sheet does the same for
all its loans at once, so its query count does not grow with the sheet.
(docs/ledger.md §12.)

Public API (keyword-only arguments):
    upk_setup(*, upk) -> UpkSettings
    ksm_create(*, upk, code, name, kelurahan, formed_on, actor, rt="") -> KSM
    ksm_member_add(*, ksm, nik, name, gender, actor, address="", is_poor=True, business="") -> KSMMember
    product_create(*, upk, name, actor, **terms) -> LoanProduct
    product_update(*, product, actor, **terms) -> LoanProduct
    upk_settings_update(*, upk, actor, **fields) -> UpkSettings
    account_create(*, upk, actor, code, name, kind, is_contra=False) -> Account
    account_rename(*, account, actor, name) -> Account
    loan_apply(*, ksm, product, applied_on, member_amounts, term_months, actor, purpose="", historical=False) -> LoanApplication
    loan_decide(*, loan, approve, decided_on, actor, reason="") -> Loan
    loan_disburse(*, loan, disbursed_on, actor, via="kas", first_due_date=None) -> Loan
    repayment_record(*, loan, amount, paid_on, actor, idempotency_key, member_split=None, channel="kas") -> Repayment
    collection_sheet_post(*, upk, date, payments, actor, idempotency_key) -> CollectionSheet
    repayment_reverse(*, repayment, reversed_on, reason, actor) -> Reversal
    period_close(*, upk, year, month, actor, reason="", today=None) -> AccountingPeriod
    period_reopen(*, upk, year, month, actor, reason) -> AccountingPeriod
    monthly_package_submit(*, upk, year, month, actor, today=None) -> MonthlyPackage
    reschedule_propose(*, loan, effective_on, term_months, reason, actor) -> Reschedule
    reschedule_decide(*, reschedule, approve, actor, reason="") -> Reschedule
    writeoff_propose(*, loan, proposed_on, reason, actor) -> WriteOff
    writeoff_decide(*, write_off, approve, actor, written_off_on=None, reason="") -> WriteOff
    recovery_record(*, loan, amount, received_on, actor, idempotency_key, channel="kas") -> Recovery
    savings_deposit(*, ksm, amount, date, actor, idempotency_key, channel="kas") -> SavingsTransaction
    savings_withdraw(*, ksm, amount, date, actor, idempotency_key, channel="kas") -> SavingsTransaction
    savings_cover_arrears(*, loan, amount, date, decision, actor, idempotency_key) -> SavingsTransaction
    cash_voucher_record(*, upk, direction, account, amount, date, description, actor, idempotency_key, channel="kas") -> JournalEntry
    capital_receive(*, upk, account, amount, date, description, actor, idempotency_key, channel="bank") -> JournalEntry
    reserve_adjust(*, upk, date, actor, idempotency_key, amount=None) -> JournalEntry | None
    year_end_close(*, upk, year, actor) -> YearEndClosing
    Shortcuts: loan_reschedule (= reschedule_propose), reschedule_approve / reschedule_reject,
    writeoff_approve / writeoff_reject (= *_decide with approve=True/False).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache, partial
from typing import Any, NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import format_rupiah

from . import engine, permissions, states, writes
from .models import (
    CAPITAL_ROLES,
    KSM,
    LIVE_STATUSES,
    LOAN_TRANSITIONS,
    Account,
    AccountingPeriod,
    AccountKind,
    AccountRole,
    Allocation,
    ApprovalStatus,
    Channel,
    CollectionSheet,
    Component,
    EntryKind,
    Frequency,
    Gender,
    Instalment,
    JasaMethod,
    JournalEntry,
    KSMMember,
    Loan,
    LoanMember,
    LoanMonthEnd,
    LoanProduct,
    LoanStatus,
    LoanStatusEvent,
    MemberInstalment,
    MonthlyPackage,
    PeriodEvent,
    Recovery,
    Repayment,
    Reschedule,
    Reversal,
    SavingsKind,
    SavingsTransaction,
    Schedule,
    UpkMonthEnd,
    UpkSettings,
    WriteOff,
    YearEndClosing,
)
from .selectors import savings_balance, savings_months_run

MONTHS_ID = [
    "",
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]


class LedgerError(Exception):
    """A domain rule refused the action. `messages` are Indonesian, for users."""

    def __init__(self, *messages: str):
        self.messages = [str(m) for m in messages]
        super().__init__(" ".join(self.messages))


def month_label(year: int, month: int) -> str:
    return f"{MONTHS_ID[month]} {year}"


def _rp(value: Any) -> str:
    return format_rupiah(value)


def _whole(value: Any, what: str) -> int:
    try:
        amount = Decimal(value)
    except Exception as exc:
        raise LedgerError(_("%(what)s harus berupa angka.") % {"what": what}) from exc
    if amount != amount.to_integral_value():
        raise LedgerError(_("%(what)s harus dalam Rupiah bulat.") % {"what": what})
    return int(amount)


def _positive(value: Any, what: str) -> int:
    amount = _whole(value, what)
    if amount <= 0:
        raise LedgerError(_("%(what)s harus lebih dari nol.") % {"what": what})
    return amount


# --- Setup: settings and chart of accounts -------------------------------------------

# Reference §3.2 (UPK-BKM Lestari / public UPK app codes), extended with the
# accounts the issue asks for. (code, name, kind, is_contra, role)
DEFAULT_CHART: list[tuple[str, str, str, bool, str]] = [
    ("11010", "Kas", AccountKind.ASSET, False, AccountRole.KAS),
    ("11021", "Bank UPK / Bank Perguliran", AccountKind.ASSET, False, AccountRole.BANK),
    ("11022", "Bank TR (tanggung renteng)", AccountKind.ASSET, False, ""),
    ("11030", "Pinjaman KSM", AccountKind.ASSET, False, AccountRole.LOANS),
    ("12010", "Cadangan Resiko Pinjaman", AccountKind.ASSET, True, AccountRole.RESERVE),
    ("12020", "Inventaris dan Harta Tetap", AccountKind.ASSET, False, ""),
    ("12021", "Akumulasi Penyusutan", AccountKind.ASSET, True, ""),
    ("21010", "Hutang", AccountKind.LIABILITY, False, ""),
    ("21020", "Tabungan KSM / Tanggung Renteng", AccountKind.LIABILITY, False, AccountRole.SAVINGS),
    ("21030", "Titipan BOP KSM", AccountKind.LIABILITY, False, AccountRole.BOP),
    ("21040", "Dana Sosial (UPS)", AccountKind.LIABILITY, False, AccountRole.UPS_FUND),
    ("21050", "Dana Lingkungan (UPL)", AccountKind.LIABILITY, False, AccountRole.UPL_FUND),
    ("21060", "Alokasi Surplus Lain-lain", AccountKind.LIABILITY, False, AccountRole.OTHER_ALLOC),
    ("31010", "Modal BLM P2KP", AccountKind.EQUITY, False, AccountRole.CAPITAL_P2KP),
    ("31020", "Modal BLM PNPM", AccountKind.EQUITY, False, AccountRole.CAPITAL_PNPM),
    ("31030", "Modal BLM KOTAKU", AccountKind.EQUITY, False, AccountRole.CAPITAL_KOTAKU),
    ("31040", "Hibah Lain", AccountKind.EQUITY, False, AccountRole.CAPITAL_GRANT),
    ("31050", "Laba Ditahan", AccountKind.EQUITY, False, AccountRole.RETAINED),
    ("41010", "Jasa Pinjaman", AccountKind.INCOME, False, AccountRole.JASA_INCOME),
    ("41020", "Pendapatan Denda", AccountKind.INCOME, False, AccountRole.DENDA_INCOME),
    ("41030", "Pemulihan Pinjaman Dihapus", AccountKind.INCOME, False, AccountRole.RECOVERY_INCOME),
    ("41040", "Jasa Bank", AccountKind.INCOME, False, ""),
    ("41090", "Pendapatan Lain-lain", AccountKind.INCOME, False, ""),
    ("51010", "Insentif Pengelola UPK", AccountKind.EXPENSE, False, ""),
    ("51030", "ATK / Biaya Kantor", AccountKind.EXPENSE, False, ""),
    ("51040", "Transport", AccountKind.EXPENSE, False, ""),
    ("51050", "Rapat KSM", AccountKind.EXPENSE, False, ""),
    ("51060", "Biaya Administrasi Bank", AccountKind.EXPENSE, False, ""),
    ("51080", "Biaya Cadangan Resiko Pinjaman", AccountKind.EXPENSE, False, AccountRole.RESERVE_EXPENSE),
    ("52010", "Biaya Non-Operasional", AccountKind.EXPENSE, False, ""),
]


@transaction.atomic
def upk_setup(*, upk) -> UpkSettings:
    """Create the UPK's settings and default chart of accounts (idempotent)."""
    if upk.unit_type != "upk":
        raise LedgerError(_("Unit ini bukan UPK."))
    settings_obj, _created = UpkSettings.objects.get_or_create(upk=upk)
    existing = set(Account.objects.filter(upk=upk).values_list("code", flat=True))
    roles = set(Account.objects.filter(upk=upk).exclude(role="").values_list("role", flat=True))
    Account.objects.bulk_create(
        [
            Account(upk=upk, code=code, name=name, kind=kind, is_contra=contra, role=role if role not in roles else "")
            for code, name, kind, contra, role in DEFAULT_CHART
            if code not in existing
        ]
    )
    return settings_obj


def get_settings(upk) -> UpkSettings:
    try:
        return UpkSettings.objects.get(upk_id=upk.pk)
    except UpkSettings.DoesNotExist:
        return upk_setup(upk=upk)


# Per-process cache of a UPK's role accounts (one query less per posting).
# Role accounts are created once by `upk_setup`, never deleted and never change
# role or kind (`account_rename` changes only the name, which postings ignore)
# (journal lines protect them), so a committed set cannot go stale. The cache
# is filled only after commit: a set created in a transaction that rolls back
# is never served.
_ACCOUNTS_CACHE: dict[int, dict[str, Account]] = {}


def _accounts(upk_id: int) -> dict[str, Account]:
    cached = _ACCOUNTS_CACHE.get(upk_id)
    if cached is not None:
        return cached
    accounts = {a.role: a for a in Account.objects.filter(upk_id=upk_id).exclude(role="")}
    if len(accounts) < len(AccountRole):
        from bkm.models import Unit

        upk_setup(upk=Unit.objects.get(pk=upk_id))
        accounts = {a.role: a for a in Account.objects.filter(upk_id=upk_id).exclude(role="")}
    transaction.on_commit(lambda: _ACCOUNTS_CACHE.setdefault(upk_id, accounts))
    return accounts


# --- Posting primitives --------------------------------------------------------------


def _reserve_numbers(upk_id: int, counts: Mapping[str, int]) -> dict[str, range]:
    """Reserve gapless per-UPK numbers for several counters in one statement.
    The counter rows stay locked to commit; they are always taken after the
    loan locks and in name order ("journal" before "receipt"), so lock order
    is fixed everywhere."""
    names = sorted(n for n, c in counts.items() if c > 0)
    if not names:
        return {}
    values = ", ".join(["(%s, %s, %s)"] * len(names))
    params: list[Any] = []
    for name in names:
        params += [upk_id, name, counts[name]]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO upk_counter (upk_id, name, value) VALUES {values} "  # noqa: S608 - placeholders only
            "ON CONFLICT (upk_id, name) DO UPDATE SET value = upk_counter.value + EXCLUDED.value "
            "RETURNING name, value",
            params,
        )
        rows = cursor.fetchall()
    return {name: range(int(last) - counts[name] + 1, int(last) + 1) for name, last in rows}


def _next_numbers(upk_id: int, name: str, count: int = 1) -> range:
    return _reserve_numbers(upk_id, {name: count})[name]


def _next_number(upk_id: int, name: str) -> int:
    return _next_numbers(upk_id, name)[0]


_LAST_CLOSED_SQL = (
    "SELECT MAX(v) FROM ("
    " SELECT year * 100 + month AS v FROM upk_accountingperiod WHERE upk_id = {upk} AND is_closed"
    " UNION ALL SELECT year * 100 + 12 AS v FROM upk_yearendclosing WHERE upk_id = {upk}) t"
)


_DAYS_AHEAD_SQL = "SELECT posting_days_ahead FROM upk_upksettings WHERE upk_id = {upk}"


def _closed_from(value: Any) -> tuple[int, int] | None:
    return None if value is None else (int(value) // 100, int(value) % 100)


@dataclass(frozen=True)
class PostingWindow:
    """The dates a UPK may post on: after its last closed month, and not
    after today (WIB) plus the days ahead its settings allow (0 = today)."""

    closed: tuple[int, int] | None
    days_ahead: int = 0

    def check(self, on: date, what: str | None = None) -> None:
        _refuse_if_closed(self.closed, on, what)
        _refuse_if_future(on, self.days_ahead, what)


def _window_from(last_closed_ym: Any, days_ahead: Any) -> PostingWindow:
    return PostingWindow(_closed_from(last_closed_ym), int(days_ahead or 0))


def _posting_window(upk_id: int) -> PostingWindow:
    """The UPK's posting window, one query (closed periods, closed years, settings)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ({_LAST_CLOSED_SQL.format(upk='%s')}), ({_DAYS_AHEAD_SQL.format(upk='%s')})",
            [upk_id, upk_id, upk_id],
        )
        last, ahead = cursor.fetchone()
    return _window_from(last, ahead)


def _last_closed(upk_id: int) -> tuple[int, int] | None:
    """The last closed (year, month): closed periods and closed years, one query."""
    with connection.cursor() as cursor:
        cursor.execute(_LAST_CLOSED_SQL.format(upk="%s"), [upk_id, upk_id])
        value = cursor.fetchone()[0]
    return _closed_from(value)


def latest_posting_date(days_ahead: int = 0) -> date:
    """The last date a posting may carry: today in WIB (the project's time
    zone), plus the days ahead a UPK's settings allow."""
    return timezone.localdate() + timedelta(days=days_ahead)


def _refuse_if_future(on: date, days_ahead: int, what: str | None = None) -> None:
    latest = latest_posting_date(days_ahead)
    if on <= latest:
        return
    what = what or _("transaksi")
    if days_ahead:
        raise LedgerError(
            _("Tanggal %(date)s terlalu jauh ke depan; %(what)s paling lambat bertanggal %(latest)s.")
            % {"date": on.strftime("%d-%m-%Y"), "what": what, "latest": latest.strftime("%d-%m-%Y")}
        )
    raise LedgerError(
        _("Tanggal %(date)s belum tiba (hari ini %(today)s); %(what)s bertanggal masa depan tidak dapat dicatat.")
        % {"date": on.strftime("%d-%m-%Y"), "today": latest.strftime("%d-%m-%Y"), "what": what}
    )


def _refuse_if_closed(closed: tuple[int, int] | None, on: date, what: str | None = None) -> None:
    if closed and (on.year, on.month) <= closed:
        what = what or _("transaksi")
        if (on.year, on.month) == closed:
            raise LedgerError(
                _("Bulan %(month)s sudah ditutup; %(what)s tidak dapat dicatat.")
                % {"month": month_label(on.year, on.month), "what": what}
            )
        raise LedgerError(
            _("Bulan %(month)s sudah ditutup (buku ditutup sampai %(last)s); %(what)s tidak dapat dicatat.")
            % {"month": month_label(on.year, on.month), "last": month_label(*closed), "what": what}
        )


def check_open(upk_id: int, on: date, what: str | None = None) -> None:
    """Refuse a posting dated in a closed month (closed months are a prefix of
    time) or after today (plus the UPK's allowed days ahead)."""
    _posting_window(upk_id).check(on, what)


@dataclass
class Leg:
    account: Account
    amount: int  # positive = debit, negative = credit
    loan_id: int | None = None
    ksm_id: int | None = None
    memo: str = ""


@dataclass
class EntrySpec:
    upk_id: int
    on: date
    kind: str
    description: str
    legs: list[Leg]
    reverses: JournalEntry | None = None
    idempotency_key: str | None = None


def _post_many(specs: list[EntrySpec], *, actor) -> list[JournalEntry]:
    """Write journal entries in bulk (3 statements for any number). Legs are
    signed (debit +, credit −); zero legs are dropped. Each entry's balance is
    checked here and again by the database at commit."""
    return _post_many_numbered(specs, actor=actor)[0]


def _post_many_numbered(
    specs: list[EntrySpec],
    *,
    actor,
    extra_numbers: Mapping[str, int] | None = None,
    books: writes.BookWrites | None = None,
) -> tuple[list[JournalEntry], dict[str, range]]:
    """`_post_many`, also reserving other per-UPK numbers (e.g. receipts) in
    the same counter statement, and writing `books` (new repayments, their
    allocations, …) in the same statement. All specs must belong to one UPK."""
    if not specs:
        return [], {}
    for spec in specs:
        spec.legs = [leg for leg in spec.legs if leg.amount != 0]
        if len(spec.legs) < 2:
            raise LedgerError(_("Jurnal membutuhkan sedikitnya dua baris bernilai."))
        if sum(leg.amount for leg in spec.legs) != 0:
            raise LedgerError(_("Jurnal tidak seimbang; tidak ada yang dicatat."))
    upk_ids = {spec.upk_id for spec in specs}
    assert len(upk_ids) == 1, "one UPK per posting"
    upk_id = upk_ids.pop()
    entries = [
        JournalEntry(
            upk_id=upk_id,
            date=spec.on,
            kind=spec.kind,
            description=spec.description[:255],
            reverses=spec.reverses,
            idempotency_key=spec.idempotency_key,
            created_by=actor,
        )
        for spec in specs
    ]
    lines = [
        writes.LineRow(
            index,
            leg.account.pk,
            max(leg.amount, 0),
            max(-leg.amount, 0),
            leg.loan_id,
            leg.ksm_id,
            leg.memo[:255],
        )
        for index, spec in enumerate(specs)
        for leg in spec.legs
    ]
    reserved = writes.ledger_insert(
        upk_id=upk_id,
        entries=entries,
        lines=lines,
        counts={"journal": len(specs), **(extra_numbers or {})},
        books=books,
    )
    return entries, reserved


def _post(
    *,
    upk_id: int,
    on: date,
    kind: str,
    description: str,
    legs: Iterable[Leg],
    actor,
    reverses: JournalEntry | None = None,
    idempotency_key: str | None = None,
) -> JournalEntry:
    """Write one journal entry (see `_post_many`)."""
    spec = EntrySpec(upk_id, on, kind, description, list(legs), reverses, idempotency_key)
    return _post_many([spec], actor=actor)[0]


def _cash_account(accounts: Mapping[str, Account], channel: str) -> Account:
    if channel == Channel.BANK:
        return accounts[AccountRole.BANK]
    if channel == Channel.KAS:
        return accounts[AccountRole.KAS]
    raise LedgerError(_("Cara bayar tidak dikenal."))


_LOAN_FIELDS = Loan._meta.concrete_fields
_LOCK_KSM_FIELDS = ("id", "upk_id", "code", "name")


def _lock_loans(pks: Iterable[int]) -> dict[int, Loan]:
    """THE place loan rows are locked. Sorted by pk so two transactions that
    lock overlapping sets always queue in the same order (no deadlock); held
    to commit so repayments, replays and status changes of one loan are
    serialised — nothing is lost or double-counted under concurrent posting.
    (The KSM is read along, not locked: `FOR UPDATE OF l`.)"""
    return _lock_loans_and_books(pks)[0]


@lru_cache(maxsize=64)
def _lock_sql(n: int, lock_of: bool) -> str:
    """The lock statement for n loans (built once per n: it runs on every posting)."""
    columns = ", ".join(f'l."{f.column}"' for f in _LOAN_FIELDS)
    ksm_columns = ", ".join(f'k."{f}"' for f in _LOCK_KSM_FIELDS)
    return (
        f"SELECT {columns}, {ksm_columns}, ({_LAST_CLOSED_SQL.format(upk='l.upk_id')}), "  # noqa: S608 - constant SQL
        f"({_DAYS_AHEAD_SQL.format(upk='l.upk_id')}) "
        f"FROM upk_loan l JOIN upk_ksm k ON k.id = l.ksm_id WHERE l.id IN ({', '.join(['%s'] * n)}) "
        f"ORDER BY l.id{' FOR UPDATE OF l' if lock_of else ''}"
    )


def _lock_loans_and_books(
    pks: Iterable[int], *, new_paid_on: Mapping[int, date] | None = None
) -> tuple[dict[int, Loan], dict[int, LoanBook] | None]:
    """`_lock_loans`; with `new_paid_on` (loan pk → date of the payment about
    to be recorded) also the loans' books (`_load_books`), read by a second
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
        statements.append(_books_statement(ordered, new_paid_on))
    results = writes.run_in_one_round_trip(statements)
    n, m = len(_LOAN_FIELDS), len(_LOCK_KSM_FIELDS)
    names = [f.attname for f in _LOAN_FIELDS]
    loans = {}
    for row in results[0]:
        loan = writes.instance(Loan, names, row[:n])
        Loan.ksm.field.set_cached_value(loan, writes.instance(KSM, _LOCK_KSM_FIELDS, row[n : n + m]))
        loan.posting_window = _window_from(row[n + m], row[n + m + 1])  # type: ignore[attr-defined]
        loans[loan.pk] = loan
    if new_paid_on is None:
        return loans, None
    return loans, _books_from_rows(list(loans.values()), results[1], new_paid_on)


def _existing_by_key(model, key: str):
    return model.objects.filter(idempotency_key=key).first() if key else None


def upk_scoped_key(*, upk_id: int, key: str) -> str:
    """The stored form of a form's idempotency key: scoped by its UPK, so a key that matches
    another UPK's row is a new key here, never an answer with that UPK's entry."""
    return f"{upk_id}:{key}"


def _require_key(key: str, upk_id: int) -> str:
    key = (key or "").strip()
    if not key:
        raise LedgerError(_("Kunci formulir (idempotency key) wajib ada."))
    if len(key) > 64:
        raise LedgerError(_("Kunci formulir terlalu panjang."))
    return upk_scoped_key(upk_id=upk_id, key=key)


def _transition(loan: Loan, to: str, *, actor, on: date, reason: str = "") -> None:
    if to not in LOAN_TRANSITIONS[loan.status]:
        raise LedgerError(
            _("Status pinjaman tidak dapat berubah dari %(from)s ke %(to)s.")
            % {"from": LoanStatus(loan.status).label, "to": LoanStatus(to).label}
        )
    LoanStatusEvent.objects.create(
        loan=loan, from_status=loan.status, to_status=to, on_date=on, actor=actor, reason=reason
    )
    loan.status = to
    loan.save(
        update_fields=[
            "status",
            "decided_on",
            "disbursed_on",
            "disbursed_via",
            "first_due_date",
            "closed_on",
            "written_off_on",
        ]
    )


# --- KSM and products ----------------------------------------------------------------------


def ksm_create(*, upk, code: str, name: str, kelurahan, formed_on: date, actor, rt: str = "") -> KSM:
    permissions.check_post(actor, upk)
    code = code.strip()
    if KSM.objects.filter(upk=upk, code=code).exists():
        raise LedgerError(_("Kode KSM %(code)s sudah dipakai di UPK ini.") % {"code": code})
    return KSM.objects.create(upk=upk, code=code, name=name.strip(), kelurahan=kelurahan, rt=rt, formed_on=formed_on)


def ksm_member_add(
    *, ksm: KSM, nik: str, name: str, gender: str, actor, address: str = "", is_poor: bool = True, business: str = ""
) -> KSMMember:
    permissions.check_post(actor, ksm.upk_id)
    nik = (nik or "").strip()
    if len(nik) != 16 or not nik.isdigit():
        raise LedgerError(_("NIK harus 16 digit angka."))
    if gender not in Gender.values:
        raise LedgerError(_("Jenis kelamin harus L atau P."))
    if KSMMember.objects.filter(ksm=ksm, nik=nik).exists():
        raise LedgerError(_("NIK %(nik)s sudah terdaftar di KSM ini.") % {"nik": nik})
    return KSMMember.objects.create(
        ksm=ksm, nik=nik, name=name.strip(), gender=gender, address=address, is_poor=is_poor, business=business
    )


def product_create(*, upk, name: str, actor, **terms: Any) -> LoanProduct:
    """Terms: jasa_rate, jasa_method, bop_rate, frequency, min_term, max_term,
    rounding_unit, late_fee_enabled, late_fee_amount, late_fee_grace_days.
    The UPK's managers or a staff admin (`check_configure`)."""
    permissions.check_configure(actor, upk)
    product = LoanProduct(upk=upk, name=name, **terms)
    _validate_product(product)
    product.save()
    return product


# --- Loan lifecycle ------------------------------------------------------------------------------


@dataclass
class LoanApplication:
    loan: Loan
    warnings: list[str]


@transaction.atomic
def loan_apply(
    *,
    ksm: KSM,
    product: LoanProduct,
    applied_on: date,
    member_amounts: Mapping[Any, Any],
    term_months: int,
    actor,
    purpose: str = "",
    historical: bool = False,
    jasa_rate: Any = None,
    jasa_method: str | None = None,
) -> LoanApplication:
    """Record an application. KSM rules give errors (refused) or warnings
    (stored on the loan and returned). `member_amounts` maps KSMMember (or its
    pk) to the amount asked for that member.

    `historical=True` is for the import of an existing UPK's books only: the
    loan was decided under the rules of its time, so today's application
    rules (minimum members, savings months before a first loan, per-member
    ceilings) are not checked again, nor today's product terms: a product
    since retired (inactive) may be named and the term need only be a loan
    term at all (1–24 months). Every data check still applies (the product is
    the UPK's, active members, amounts, one loan at a time per KSM).
    A historical loan may also carry its own `jasa_rate` (% per month) and
    `jasa_method`, as it was lent; otherwise, and always for a new
    application, the product's apply."""
    permissions.check_post(actor, ksm.upk_id)
    if (jasa_rate is not None or jasa_method is not None) and not historical:
        raise ValueError("jasa_rate/jasa_method are for historical loans only")
    rules = get_settings(ksm.upk)
    errors: list[str] = []
    warnings: list[str] = []
    rate = Decimal(str(product.jasa_rate if jasa_rate is None else jasa_rate))
    method = jasa_method or product.jasa_method
    if not 0 <= rate <= 100 or rate != rate.quantize(Decimal("0.0001")):
        errors.append(_("Jasa per bulan harus antara 0 dan 100 persen, paling banyak 4 angka desimal."))
    if method not in JasaMethod.values:
        errors.append(_("Metode jasa harus flat atau menurun."))
    if product.upk_id != ksm.upk_id or not (product.is_active or historical):
        raise LedgerError(_("Produk pinjaman tidak tersedia di UPK ini."))
    low, high = (1, 24) if historical else (product.min_term, product.max_term)
    if not low <= term_months <= high:
        errors.append(_("Jangka waktu harus %(min)s–%(max)s bulan.") % {"min": low, "max": high})
    active_members = {m.pk: m for m in ksm.members.filter(is_active=True)}
    amounts: dict[int, int] = {}
    for key, value in member_amounts.items():
        pk = key if isinstance(key, int) else key.pk
        if pk not in active_members:
            errors.append(_("Anggota %(pk)s bukan anggota aktif KSM ini.") % {"pk": pk})
            continue
        amount = _whole(value, _("Jumlah pinjaman anggota"))
        if amount < 0:
            errors.append(_("Jumlah pinjaman %(name)s tidak boleh negatif.") % {"name": active_members[pk].name})
        elif amount > 0:
            amounts[pk] = amount
    if not amounts:
        errors.append(_("Isi jumlah pinjaman sedikitnya untuk satu anggota."))
    if len(active_members) < rules.min_members and not historical:
        errors.append(
            _("KSM harus beranggotakan sedikitnya %(n)s orang (saat ini %(m)s).")
            % {"n": rules.min_members, "m": len(active_members)}
        )
    women = sum(1 for m in active_members.values() if m.gender == Gender.FEMALE)
    if active_members and Decimal(women * 100) / len(active_members) < rules.min_women_pct:
        warnings.append(
            _("Anggota perempuan %(w)s dari %(n)s orang, di bawah %(pct)s%%.")
            % {"w": women, "n": len(active_members), "pct": rules.min_women_pct.normalize()}
        )
    previous = Loan.objects.filter(ksm=ksm).exclude(status__in=[LoanStatus.REJECTED])
    if previous.filter(status__in=[LoanStatus.APPLIED, LoanStatus.APPROVED, *LIVE_STATUSES]).exists():
        errors.append(_("KSM ini masih memiliki pinjaman yang berjalan atau sedang diajukan."))
    cycle = previous.filter(disbursed_on__isnull=False).count() + 1
    if cycle == 1 and rules.min_savings_months and not historical:
        run = savings_months_run(ksm, applied_on)
        if run < rules.min_savings_months:
            errors.append(
                _(
                    "KSM harus menabung sedikitnya %(n)s bulan berturut-turut sebelum pinjaman pertama (baru %(m)s bulan)."
                )
                % {"n": rules.min_savings_months, "m": run}
            )
    repeat_members = set(
        LoanMember.objects.filter(member_id__in=amounts, loan__disbursed_on__isnull=False).values_list(
            "member_id", flat=True
        )
    )
    for pk, amount in amounts.items():
        ceiling = rules.ceiling_repeat_loan if pk in repeat_members else rules.ceiling_first_loan
        if amount > ceiling and not historical:
            errors.append(
                _("Pinjaman %(name)s %(amount)s melebihi plafon %(ceiling)s.")
                % {"name": active_members[pk].name, "amount": _rp(amount), "ceiling": _rp(ceiling)}
            )
    if errors:
        raise LedgerError(*errors)
    number = f"PJ-{applied_on.year}-{_next_number(ksm.upk_id, 'loan'):05d}"
    loan = Loan.objects.create(
        upk_id=ksm.upk_id,
        ksm=ksm,
        product=product,
        number=number,
        cycle=cycle,
        applied_on=applied_on,
        principal=Decimal(sum(amounts.values())),
        term_months=term_months,
        frequency=product.frequency,
        jasa_rate=rate,
        jasa_method=method,
        bop_rate=product.bop_rate,
        rounding_unit=product.rounding_unit,
        late_fee_amount=product.late_fee_amount if product.late_fee_enabled else Decimal(0),
        late_fee_grace_days=product.late_fee_grace_days,
        purpose=purpose,
        warnings=warnings,
        created_by=actor,
    )
    LoanMember.objects.bulk_create(
        [LoanMember(loan=loan, member_id=pk, amount=Decimal(amount)) for pk, amount in sorted(amounts.items())]
    )
    LoanStatusEvent.objects.create(
        loan=loan,
        from_status="",
        to_status=LoanStatus.APPLIED,
        on_date=applied_on,
        actor=actor,
        reason="; ".join(
            [*warnings, _("Data historis (impor): aturan pengajuan tidak diperiksa ulang.")] if historical else warnings
        ),
    )
    return LoanApplication(loan=loan, warnings=warnings)


@transaction.atomic
def loan_decide(*, loan: Loan, approve: bool, decided_on: date, actor, reason: str = "") -> Loan:
    """The UPK manager's decision (putusan). A rejection needs a reason."""
    permissions.check_post(actor, loan.upk_id)
    loan = _lock_loans([loan.pk])[loan.pk]
    if not approve and not reason.strip():
        raise LedgerError(_("Alasan penolakan wajib diisi."))
    if decided_on < loan.applied_on:
        raise LedgerError(_("Tanggal keputusan tidak boleh sebelum tanggal pengajuan."))
    loan.decided_on = decided_on
    _transition(
        loan, LoanStatus.APPROVED if approve else LoanStatus.REJECTED, actor=actor, on=decided_on, reason=reason
    )
    return loan


def _terms(loan: Loan, *, principal: int | None = None, term_months: int | None = None) -> engine.Terms:
    return engine.Terms(
        principal=int(principal if principal is not None else loan.principal),
        term_months=term_months or loan.term_months,
        jasa_rate=loan.jasa_rate,
        jasa_method=loan.jasa_method,
        bop_rate=loan.bop_rate,
        frequency=loan.frequency,
        rounding_unit=loan.rounding_unit,
    )


def _create_schedule(
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


@transaction.atomic
def loan_disburse(
    *, loan: Loan, disbursed_on: date, actor, via: str = Channel.KAS, first_due_date: date | None = None
) -> Loan:
    """Pencairan: schedule v1 (group and members) and Dr Pinjaman KSM / Cr Kas|Bank."""
    permissions.check_post(actor, loan.upk_id)
    loan = _lock_loans([loan.pk])[loan.pk]
    if loan.status != LoanStatus.APPROVED:
        raise LedgerError(_("Hanya pinjaman yang sudah disetujui yang dapat dicairkan."))
    if loan.decided_on and disbursed_on < loan.decided_on:
        raise LedgerError(_("Tanggal pencairan tidak boleh sebelum tanggal keputusan."))
    check_open(loan.upk_id, disbursed_on, _("pencairan"))
    if first_due_date is None:
        first_due_date = (
            disbursed_on + timedelta(days=7)
            if loan.frequency == Frequency.WEEKLY
            else engine.add_months(disbursed_on, 1)
        )
    if first_due_date <= disbursed_on:
        raise LedgerError(_("Jatuh tempo pertama harus sesudah tanggal pencairan."))
    lines = engine.build_schedule(_terms(loan), first_due_date)
    _create_schedule(loan, version=1, effective_from=disbursed_on, lines=lines, reason=_("Pencairan"))
    accounts = _accounts(loan.upk_id)
    principal = int(loan.principal)
    _post(
        upk_id=loan.upk_id,
        on=disbursed_on,
        kind=EntryKind.DISBURSEMENT,
        description=_("Pencairan %(loan)s %(ksm)s") % {"loan": loan.number, "ksm": loan.ksm.name},
        legs=[
            Leg(accounts[AccountRole.LOANS], principal, loan_id=loan.pk),
            Leg(_cash_account(accounts, via), -principal, loan_id=loan.pk),
        ],
        actor=actor,
    )
    loan.disbursed_on = disbursed_on
    loan.disbursed_via = via
    loan.first_due_date = first_due_date
    _transition(loan, LoanStatus.ACTIVE, actor=actor, on=disbursed_on)
    return loan


# --- Replay ---------------------------------------------------------------------------------------


def current_schedule(loan: Loan) -> Schedule:
    schedule = loan.schedules.filter(effective_to__isnull=True).order_by("-version").first()
    if schedule is None:
        raise LedgerError(_("Pinjaman %(loan)s belum dicairkan.") % {"loan": loan.number})
    return schedule


COMPONENT_ROLE = {
    Component.POKOK: AccountRole.LOANS,
    Component.JASA: AccountRole.JASA_INCOME,
    Component.BOP: AccountRole.BOP,
    Component.DENDA: AccountRole.DENDA_INCOME,
}

NEW_PAYMENT_KEY = 2**62  # sorts after every stored repayment of the same day


@dataclass
class LoanBook:
    """What a replay needs of one loan, read in bulk (`_load_books`)."""

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


def _books_statement(ids: list[int], new_paid_on: Mapping[int, date]) -> tuple[str, list[int]]:
    """The book read of `_load_books` (a new payment for every loan in `new_paid_on` or none)."""
    return _books_sql(len(ids), latest_only=bool(new_paid_on)), ids * 3


def _load_books(loans: Iterable[Loan], *, new_paid_on: Mapping[int, date] | None = None) -> dict[int, LoanBook]:
    """Current schedule, live repayments and current allocations of many loans.

    With `new_paid_on` (loan pk → date of the payment about to be recorded),
    one query when every new payment is dated on or after its loan's latest
    live repayment (the append path: neither the repayments nor the
    allocations are read); the other loans' are read by a second."""
    loans = list(loans)
    sql, params = _books_statement([loan.pk for loan in loans], new_paid_on or {})
    with writes.hot_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return _books_from_rows(loans, rows, new_paid_on or {})


def _books_from_rows(loans: list[Loan], rows: list[Any], new_paid_on: Mapping[int, date]) -> dict[int, LoanBook]:
    """Books from the rows of `_books_statement(…, new_paid_on)`, plus the
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


def _plan(book: LoanBook, *, event_date: date, extra: engine.Payment | None = None, exclude: int | None = None) -> Plan:
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


def _plan_writes(plans: list[Plan]) -> writes.BookWrites:
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
            w.loan_states.append(_state_of(plan))
    return w


def _write_plans(plans: list[Plan]) -> None:
    """Store plans that add no repayment (one statement on PostgreSQL)."""
    writes.books_insert(_plan_writes(plans))


def _state_of(plan: Plan) -> states.StateRow:
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


def _replay(loan: Loan, *, extra: engine.Payment | None = None, exclude: int | None = None) -> ReplayResult:
    """Replay one loan without writing (used by reschedule, write-off and the
    property tests' "replaying gives the same allocations")."""
    book = _load_books([loan])[loan.pk]
    plan = _plan(book, event_date=date.max, extra=extra, exclude=exclude)
    return ReplayResult(book.schedule, book.instalments, plan.pieces, plan.states)


def _sync_paid_off(loan: Loan, plan: Plan, *, actor, on: date, last_paid_on: date | None) -> None:
    if plan.owed == 0 and loan.status in LIVE_STATUSES:
        last = last_paid_on or on
        loan.closed_on = last
        _transition(loan, LoanStatus.PAID_OFF, actor=actor, on=last, reason=_("Lunas"))
    elif plan.owed > 0 and loan.status == LoanStatus.PAID_OFF:
        loan.closed_on = None
        back = LoanStatus.RESCHEDULED if plan.book.schedule.version > 1 else LoanStatus.ACTIVE
        _transition(loan, back, actor=actor, on=on, reason=_("Pelunasan dibatalkan oleh pembatalan angsuran"))


def _component_legs(accounts: Mapping[str, Account], loan: Loan, amounts: Mapping[str, int], sign: int) -> list[Leg]:
    """Credit (sign −1) or debit (sign +1) each component's account."""
    return [
        Leg(
            accounts[COMPONENT_ROLE[Component(c)]],
            sign * amounts[c],
            loan_id=loan.pk if c == Component.POKOK else None,
            memo=str(Component(c).label),
        )
        for c in (Component.POKOK, Component.JASA, Component.BOP, Component.DENDA)
        if amounts.get(c)
    ]


def _reallocation_specs(
    loan: Loan, accounts: Mapping[str, Account], deltas: Mapping[date, Mapping[str, int]], *, skip: date | None
) -> list[EntrySpec]:
    """How other repayments' splits changed, booked as a Pemindahbukuan on each
    affected date (the change dated `skip` goes in the caller's own entry)."""
    return [
        EntrySpec(
            loan.upk_id,
            when,
            EntryKind.TRANSFER,
            _("Alokasi ulang angsuran %(loan)s") % {"loan": loan.number},
            _component_legs(accounts, loan, deltas[when], -1),
        )
        for when in sorted(deltas)
        if when != skip and deltas[when]
    ]


# --- Repayments ---------------------------------------------------------------------------------


def _validate_payment(loan: Loan, paid_on: date, schedule: Schedule, window: PostingWindow) -> None:
    window.check(paid_on, _("pembayaran"))
    if loan.status == LoanStatus.WRITTEN_OFF:
        raise LedgerError(_("Pinjaman %(loan)s sudah dihapusbukukan; catat sebagai pemulihan.") % {"loan": loan.number})
    if loan.status not in LIVE_STATUSES:
        raise LedgerError(
            _("Pinjaman %(loan)s tidak aktif (%(status)s).")
            % {"loan": loan.number, "status": loan.get_status_display()}
        )
    if paid_on < schedule.effective_from:
        raise LedgerError(
            _("Tanggal bayar sebelum %(date)s (pencairan/penjadwalan ulang) tidak dapat dicatat.")
            % {"date": schedule.effective_from.strftime("%d-%m-%Y")}
        )


@dataclass
class PayItem:
    loan: Loan  # locked by the caller
    amount: int
    paid_on: date
    key: str
    member_split: Mapping[Any, Any] | None = None
    channel: str = Channel.KAS
    debit_leg: Leg | None = None  # instead of Kas/Bank (savings cover)


def _member_split(item: PayItem, loan_members: list[LoanMember]) -> dict[int, int]:
    if not item.member_split:
        return {}
    members = {m.pk: m for m in loan_members}
    by_member = {m.member_id: m.pk for m in loan_members}
    split: dict[int, int] = {}
    for key, value in item.member_split.items():
        # A KSMMember maps to its loan share; a LoanMember or its pk is taken as is.
        pk = by_member.get(key.pk, -1) if isinstance(key, KSMMember) else (key if isinstance(key, int) else key.pk)
        if pk not in members:
            raise LedgerError(_("Pembagian per anggota memuat orang yang bukan peminjam."))
        part = _whole(value, _("Bagian anggota"))
        if part < 0:
            raise LedgerError(_("Bagian anggota tidak boleh negatif."))
        if part:
            split[pk] = part
    if sum(split.values()) != item.amount:
        raise LedgerError(
            _("Jumlah per anggota %(sum)s tidak sama dengan jumlah bayar %(amount)s.")
            % {"sum": _rp(sum(split.values())), "amount": _rp(item.amount)}
        )
    return split


def _record_repayments_locked(
    items: list[PayItem],
    *,
    actor,
    collection_sheet: CollectionSheet | None = None,
    name_loans: bool = False,
    books: dict[int, LoanBook] | None = None,
) -> list[Repayment]:
    """Post repayments on distinct, already locked loans of one UPK.

    Reads everything in a fixed number of queries, validates every item (all
    errors together; nothing written if any), then writes in bulk: the cost
    of a 30-loan collection sheet is close to that of one repayment.
    """
    assert len({i.loan.pk for i in items}) == len(items), "one payment per loan per batch"
    # A repeated idempotency key is caught by the UNIQUE constraint (see
    # _idempotent), which saves a query on every normal posting.
    done: dict[int, Repayment] = {}
    todo: list[tuple[int, PayItem]] = list(enumerate(items))
    if todo:
        upk_id = todo[0][1].loan.upk_id
        first = todo[0][1].loan
        # Loans locked by _lock_loans carry the posting window already.
        window = getattr(first, "posting_window", None) or _posting_window(upk_id)
        if books is None:
            books = _load_books(
                (item.loan for _, item in todo), new_paid_on={item.loan.pk: item.paid_on for _, item in todo}
            )
        loan_members: dict[int, list[LoanMember]] = defaultdict(list)
        if any(item.member_split for _, item in todo):
            for lm in LoanMember.objects.filter(loan_id__in=[item.loan.pk for _, item in todo]).order_by("pk"):
                loan_members[lm.loan_id].append(lm)
        plans: dict[int, tuple[Plan, dict[int, int]]] = {}
        errors: list[str] = []
        for index, item in todo:
            try:
                book = books[item.loan.pk]
                _validate_payment(item.loan, item.paid_on, book.schedule, window)
                split = _member_split(item, loan_members[item.loan.pk])
                extra = engine.Payment(NEW_PAYMENT_KEY, item.paid_on, item.amount)
                plans[index] = (_plan(book, event_date=item.paid_on, extra=extra), split)
            except LedgerError as exc:
                prefix = f"{item.loan.ksm.name} ({item.loan.number}): " if name_loans else ""
                errors.extend(prefix + m for m in exc.messages)
        if errors:
            raise LedgerError(*errors)
        accounts = _accounts(upk_id)
        specs: list[EntrySpec] = []
        extra_specs: list[EntrySpec] = []
        for index, item in todo:
            plan = plans[index][0]
            comps: dict[str, int] = defaultdict(int)
            for p in plan.pieces[NEW_PAYMENT_KEY]:
                comps[p.component] += p.amount
            money = item.debit_leg or Leg(_cash_account(accounts, item.channel), item.amount, loan_id=item.loan.pk)
            specs.append(
                EntrySpec(
                    upk_id,
                    item.paid_on,
                    EntryKind.REPAYMENT,
                    _("Angsuran %(loan)s %(ksm)s") % {"loan": item.loan.number, "ksm": item.loan.ksm.name},
                    [money, *_component_legs(accounts, item.loan, comps, -1)],
                )
            )
            extra_specs.extend(_reallocation_specs(item.loan, accounts, plan.deltas, skip=None))
        book_writes = _plan_writes([plans[index][0] for index, _item in todo])
        # Repayment i is paid by entry i (specs come first) and takes receipt i.
        created = [
            Repayment(
                upk_id=upk_id,
                loan=item.loan,
                paid_on=item.paid_on,
                amount=Decimal(item.amount),
                channel=item.channel,
                idempotency_key=item.key,
                collection_sheet=collection_sheet,
                created_by=actor,
            )
            for _index, item in todo
        ]
        book_writes.repayments = created
        book_writes.member_parts = [(item.loan.pk, pk, v) for index, item in todo for pk, v in plans[index][1].items()]
        _post_many_numbered(specs + extra_specs, actor=actor, extra_numbers={"receipt": len(todo)}, books=book_writes)
        for (index, item), rep in zip(todo, created, strict=True):
            book = books[item.loan.pk]
            last = max([r.paid_on for r in book.repayments] + [rep.paid_on])
            _sync_paid_off(item.loan, plans[index][0], actor=actor, on=item.paid_on, last_paid_on=last)
            done[index] = rep
    return [done[i] for i in range(len(items))]


def _idempotent(model, key: str, fn, same=None, *, atomic: bool = True):
    """Run `fn` atomically; when the key was already used (the UNIQUE
    constraint fires: a double click, a retry, a concurrent twin), everything
    is rolled back and the first row is returned — or refused when `same`
    says it was a different action. `atomic=False` is for an `fn` that is
    one statement in autocommit (atomic by itself)."""
    try:
        if not atomic:
            return fn()
        with transaction.atomic():
            return fn()
    except IntegrityError:
        existing = _existing_by_key(model, key)
        if existing is None:
            raise
        if same is not None and not same(existing):
            raise LedgerError(_("Formulir ini sudah dipakai untuk pembayaran lain.")) from None
        return existing


def _idempotent_entry(key: str, run, found=lambda entry: entry):  # type: ignore[no-untyped-def]
    """For events keyed by their journal entry's idempotency key (savings,
    vouchers, capital, reserve, recovery): a key already used returns what it
    made (`found` maps the entry to it), whether it was committed before
    (looked up first) or by a concurrent twin (the UNIQUE constraint fires,
    everything here rolls back)."""
    try:
        with transaction.atomic():
            existing = _existing_by_key(JournalEntry, key)
            if existing is not None:
                return found(existing)
            return run()
    except IntegrityError:
        existing = _existing_by_key(JournalEntry, key)
        if existing is None:
            raise
        return found(existing)


def repayment_record(
    *,
    loan: Loan,
    amount: Any,
    paid_on: date,
    actor,
    idempotency_key: str,
    member_split: Mapping[Any, Any] | None = None,
    channel: str = Channel.KAS,
) -> Repayment:
    """Record a repayment on one loan and allocate it (denda → jasa → BOP →
    pokok per instalment, oldest first; overpayment to next instalments'
    pokok). The same `idempotency_key` twice posts once and returns the first
    repayment. A backdated payment (open month) replays the later ones.

    `member_split` optionally maps LoanMember (or KSMMember, or LoanMember pk)
    to the part each member paid; it must sum to `amount`.
    """
    permissions.check_post(actor, loan.upk_id)
    key = _require_key(idempotency_key, loan.upk_id)
    amount_int = _positive(amount, _("Jumlah bayar"))
    if channel not in (Channel.KAS, Channel.BANK):
        raise LedgerError(_("Cara bayar harus kas atau bank."))

    def in_database() -> Repayment | None:
        if member_split or paid_on > timezone.localdate():
            return None  # the Python path splits, and checks the UPK's days ahead
        return _repayment_append_in_database(
            loan=loan, amount=amount_int, paid_on=paid_on, key=key, channel=channel, actor=actor
        )

    def run(*, database_first: bool = True) -> Repayment:
        posted = in_database() if database_first else None
        if posted is not None:
            return posted
        loans, books = _lock_loans_and_books([loan.pk], new_paid_on={loan.pk: paid_on})
        item = PayItem(loans[loan.pk], amount_int, paid_on, key, member_split, channel)
        return _record_repayments_locked([item], actor=actor, books=books)[0]

    def same(existing: Repayment) -> bool:
        return existing.loan_id == loan.pk and int(existing.amount) == amount_int and existing.paid_on == paid_on

    if connection.get_autocommit():
        # No caller's transaction: the database call is a transaction of its
        # own (one round trip, no BEGIN and COMMIT around it).
        posted = _idempotent(Repayment, key, in_database, same, atomic=False)
        if posted is not None:
            return posted
        return _idempotent(Repayment, key, partial(run, database_first=False), same)
    return _idempotent(Repayment, key, run, same)


_APPEND_SQL = (
    "SELECT * FROM upk_repayment_append(%s::bigint, %s::numeric, %s::date, %s::text, %s::text, %s::bigint, "
    "%s::timestamptz, %s::bigint, %s::bigint[], %s::text[], %s::text, %s::text)"
)
_COMPONENT_ORDER = (Component.POKOK, Component.JASA, Component.BOP, Component.DENDA)


def _repayment_append_in_database(
    *, loan: Loan, amount: int, paid_on: date, key: str, channel: str, actor
) -> Repayment | None:
    """Post a repayment dated on or after every other one of its loan with one
    call to PostgreSQL (`upk_repayment_append`, migration 0012): it locks,
    reads and writes what `_record_repayments_locked` would for it, the
    paid-off transition included. Outside a transaction the call is the whole
    transaction (one statement is atomic).

    None when the database leaves it to the Python path: another database, or
    a payment that path refuses or replays (loan not live, closed month,
    before the schedule, backdated, overpaid)."""
    if not writes.use_bulk_sql():
        return None
    accounts = _accounts(loan.upk_id)
    now = timezone.now()
    # The entry's description as the Python path words it, with format()'s
    # places for the loan number and KSM name the database fills in.
    description = _("Angsuran %(loan)s %(ksm)s") % {"loan": "%1$s", "ksm": "%2$s"}
    params = [
        loan.pk,
        amount,
        paid_on,
        channel,
        key,
        actor.pk,
        now,
        _cash_account(accounts, channel).pk,
        [accounts[COMPONENT_ROLE[c]].pk for c in _COMPONENT_ORDER],
        [str(c.label) for c in _COMPONENT_ORDER],
        description,
        str(_("Lunas")),
    ]
    with writes.hot_cursor() as cursor:
        cursor.execute(_APPEND_SQL, params)
        row = cursor.fetchone()
    if row is None:
        return None
    repayment_pk, entry_pk, receipt, paid_off = row
    repayment = Repayment(
        upk_id=loan.upk_id,
        # As the Python path's repayment, it carries the loan as the posting left it.
        loan=Loan.objects.get(pk=loan.pk) if paid_off else loan,
        receipt_number=receipt,
        paid_on=paid_on,
        amount=Decimal(amount),
        channel=channel,
        idempotency_key=key,
        journal_entry_id=entry_pk,
        created_by=actor,
        created_at=now,
    )
    writes.saved(repayment, repayment_pk)
    return repayment


def collection_sheet_post(
    *, upk, date: date, payments: Iterable[Mapping[str, Any]] | Mapping[int, Any], actor, idempotency_key: str
) -> CollectionSheet:
    """Post a whole collection sheet: every payment or none.

    `payments` is a list of {"loan": Loan|pk, "amount": n, "member_split": {...}|None}
    (or a {loan_pk: amount} mapping). Zero amounts are skipped. All loans are
    locked first, in pk order. Errors name each KSM and nothing is posted.
    """
    permissions.check_post(actor, upk)
    key = _require_key(idempotency_key, upk.pk)
    rows: list[Mapping[str, Any]] = (
        [{"loan": k, "amount": v} for k, v in payments.items()] if isinstance(payments, Mapping) else list(payments)
    )
    wanted: dict[int, dict[str, Any]] = {}
    errors: list[str] = []
    for row in rows:
        loan_pk = row["loan"] if isinstance(row["loan"], int) else row["loan"].pk
        try:
            amount = _whole(row.get("amount") or 0, _("Jumlah bayar"))
        except LedgerError as exc:
            errors.extend(exc.messages)
            continue
        if amount < 0:
            errors.append(_("Jumlah bayar tidak boleh negatif."))
        elif amount > 0:
            if loan_pk in wanted:
                errors.append(_("Satu pinjaman muncul dua kali di lembar penagihan."))
            wanted[loan_pk] = {"amount": amount, "member_split": row.get("member_split")}
    if errors:
        raise LedgerError(*errors)

    def run() -> CollectionSheet:
        existing = _existing_by_key(CollectionSheet, key)
        if existing is not None:
            return existing
        loans, books = _lock_loans_and_books(wanted, new_paid_on={pk: date for pk in wanted})
        if len(loans) != len(wanted) or any(loan.upk_id != upk.pk for loan in loans.values()):
            raise LedgerError(_("Lembar penagihan memuat pinjaman dari UPK lain."))
        # The locked loans carry the UPK's posting window; an empty sheet reads it.
        window = next(iter(loans.values())).posting_window if loans else _posting_window(upk.pk)  # type: ignore[attr-defined]
        window.check(date, _("pembayaran"))
        sheet = CollectionSheet.objects.create(
            upk=upk,
            date=date,
            idempotency_key=key,
            total=Decimal(sum(w["amount"] for w in wanted.values())),
            created_by=actor,
        )
        items = [
            PayItem(loans[pk], wanted[pk]["amount"], date, f"{key}:{pk}"[:80], wanted[pk]["member_split"])
            for pk in sorted(loans)
        ]
        if items:
            _record_repayments_locked(items, actor=actor, collection_sheet=sheet, name_loans=True, books=books)
        return sheet

    return _idempotent(CollectionSheet, key, run)


@transaction.atomic
def repayment_reverse(*, repayment: Repayment, reversed_on: date, reason: str, actor) -> Reversal:
    """Reverse a repayment: an opposite journal entry linked to the original,
    the loan's allocations recomputed from `reversed_on` (reports for earlier
    dates keep showing the payment as it was)."""
    permissions.check_post(actor, repayment.upk_id)
    if not (reason or "").strip():
        raise LedgerError(_("Alasan pembatalan wajib diisi."))
    loan = _lock_loans([repayment.loan_id])[repayment.loan_id]
    repayment = Repayment.objects.select_for_update().select_related("journal_entry").get(pk=repayment.pk)
    if repayment.is_reversed:
        raise LedgerError(_("Kuitansi %(no)s sudah dibatalkan.") % {"no": repayment.receipt_number})
    if reversed_on < repayment.paid_on:
        raise LedgerError(_("Tanggal pembatalan tidak boleh sebelum tanggal bayar."))
    loan.posting_window.check(reversed_on, _("pembatalan"))  # type: ignore[attr-defined]
    if loan.status == LoanStatus.WRITTEN_OFF:
        raise LedgerError(_("Pinjaman sudah dihapusbukukan; angsurannya tidak dapat dibatalkan."))
    book = _load_books([loan])[loan.pk]
    if repayment.pk not in {r.pk for r in book.repayments}:
        raise LedgerError(_("Pinjaman sudah dijadwal ulang sesudah pembayaran ini; pembatalan tidak dapat dicatat."))
    plan = _plan(book, event_date=reversed_on, exclude=repayment.pk)
    accounts = _accounts(loan.upk_id)
    mine: dict[str, int] = defaultdict(int)
    for row in book.current.get(repayment.pk, []):
        mine[row.component] += int(row.amount)
    if repayment.channel == Channel.SAVINGS:
        money_leg = Leg(accounts[AccountRole.SAVINGS], -int(repayment.amount), ksm_id=loan.ksm_id)
    else:
        money_leg = Leg(_cash_account(accounts, repayment.channel), -int(repayment.amount), loan_id=loan.pk)
    legs = [money_leg, *_component_legs(accounts, loan, mine, +1)]
    own = plan.deltas.get(reversed_on)
    if own:
        legs += _component_legs(accounts, loan, own, -1)
    main = EntrySpec(
        loan.upk_id,
        reversed_on,
        EntryKind.REVERSAL,
        _("Pembatalan kuitansi %(no)s: %(reason)s") % {"no": repayment.receipt_number, "reason": reason},
        legs,
        reverses=repayment.journal_entry,
    )
    entries = _post_many([main, *_reallocation_specs(loan, accounts, plan.deltas, skip=reversed_on)], actor=actor)
    _write_plans([plan])
    Repayment.objects.filter(pk=repayment.pk).update(is_reversed=True)
    repayment.is_reversed = True
    reversal = Reversal.objects.create(
        repayment=repayment, reversed_on=reversed_on, reason=reason.strip(), journal_entry=entries[0], actor=actor
    )
    live = [r.paid_on for r in book.repayments if r.pk != repayment.pk]
    _sync_paid_off(loan, plan, actor=actor, on=reversed_on, last_paid_on=max(live) if live else None)
    return reversal


# --- Periods ------------------------------------------------------------------------------


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


@transaction.atomic
def period_close(*, upk, year: int, month: int, actor, reason: str = "", today: date | None = None) -> AccountingPeriod:
    """Close a month (and every earlier month with postings still open)."""
    permissions.check_post(actor, upk)
    today = today or timezone.localdate()
    if _month_end(year, month) >= today:
        raise LedgerError(_("Bulan %(m)s belum berakhir.") % {"m": month_label(year, month)})
    closed = _last_closed(upk.pk)
    if closed and (year, month) <= closed:
        raise LedgerError(_("Bulan %(m)s sudah ditutup.") % {"m": month_label(year, month)})
    first = JournalEntry.objects.filter(upk=upk).order_by("date").values_list("date", flat=True).first()
    start = (closed[0], closed[1] + 1) if closed else ((first.year, first.month) if first else (year, month))
    y, m = start
    if m == 13:
        y, m = y + 1, 1
    target = None
    while (y, m) <= (year, month):
        period, _created = AccountingPeriod.objects.get_or_create(upk=upk, year=y, month=m)
        period.is_closed = True
        period.save(update_fields=["is_closed"])
        PeriodEvent.objects.create(period=period, action=PeriodEvent.CLOSE, actor=actor, reason=reason)
        _snapshot_month_end(upk, y, m)
        target = period
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    assert target is not None
    return target


def _snapshot_month_end(upk, year: int, month: int) -> None:
    """Store every loan's position at the end of a month being closed."""
    from . import selectors

    end = _month_end(year, month)
    LoanMonthEnd.objects.filter(upk=upk, as_of=end).delete()
    UpkMonthEnd.objects.filter(upk=upk, as_of=end).delete()
    UpkMonthEnd.objects.create(upk=upk, as_of=end, totals=dict(selectors._role_totals([upk.pk], end)[upk.pk]))
    LoanMonthEnd.objects.bulk_create(
        [
            LoanMonthEnd(
                upk=upk,
                loan_id=p.loan_id,
                ksm_id=p.ksm_id,
                as_of=end,
                outstanding=Decimal(p.outstanding),
                n_arrears=p.n_arrears,
                due_total=Decimal(p.due_total),
                paid_on_due=Decimal(p.paid_on_due),
                arrears_pokok=Decimal(p.arrears_pokok),
            )
            for p in selectors.loan_positions(upk_ids=[upk.pk], as_of=end).values()
        ]
    )


@transaction.atomic
def period_reopen(*, upk, year: int, month: int, actor, reason: str) -> AccountingPeriod:
    """Staff reopen the latest closed month, with a recorded reason."""
    permissions.check_approve(actor)
    if not (reason or "").strip():
        raise LedgerError(_("Alasan membuka kembali bulan wajib diisi."))
    closed = AccountingPeriod.objects.filter(upk=upk, is_closed=True).order_by("-year", "-month").first()
    if closed is None or (closed.year, closed.month) != (year, month):
        raise LedgerError(_("Hanya bulan terakhir yang ditutup yang dapat dibuka kembali."))
    if YearEndClosing.objects.filter(upk=upk, year__gte=year).exists():
        raise LedgerError(_("Tahun %(y)s sudah tutup buku.") % {"y": year})
    closed.is_closed = False
    closed.save(update_fields=["is_closed"])
    # A derived cache, not a posting: the reopened month may change now.
    LoanMonthEnd.objects.filter(upk=upk, as_of=_month_end(year, month)).delete()
    UpkMonthEnd.objects.filter(upk=upk, as_of=_month_end(year, month)).delete()
    PeriodEvent.objects.create(period=closed, action=PeriodEvent.REOPEN, actor=actor, reason=reason.strip())
    return closed


@transaction.atomic
def monthly_package_submit(*, upk, year: int, month: int, actor, today: date | None = None) -> MonthlyPackage:
    """Submit the monthly package to Bappedalitbang; this closes the month."""
    from . import selectors

    permissions.check_post(actor, upk)
    package = selectors.monthly_package(upk=upk, year=year, month=month)
    period_close(upk=upk, year=year, month=month, actor=actor, reason=_("Laporan bulanan dikirim"), today=today)
    return MonthlyPackage.objects.create(
        upk=upk,
        year=year,
        month=month,
        submitted_by=actor,
        checks_ok=package.checks_ok,
        figures=package.as_json(),
    )


# --- Reschedule and write-off -------------------------------------------------------------


@transaction.atomic
def reschedule_propose(*, loan: Loan, effective_on: date, term_months: int, reason: str, actor) -> Reschedule:
    permissions.check_post(actor, loan.upk_id)
    if not (reason or "").strip():
        raise LedgerError(_("Alasan penjadwalan ulang wajib diisi."))
    if loan.status not in LIVE_STATUSES:
        raise LedgerError(_("Hanya pinjaman aktif yang dapat dijadwal ulang."))
    if not 1 <= term_months <= 24:
        raise LedgerError(_("Jangka waktu harus 1–24 bulan."))
    if loan.reschedules.filter(status=ApprovalStatus.PROPOSED).exists():
        raise LedgerError(_("Sudah ada usulan penjadwalan ulang yang menunggu persetujuan."))
    return Reschedule.objects.create(
        loan=loan, effective_on=effective_on, term_months=term_months, reason=reason.strip(), proposed_by=actor
    )


def _proposal_decide(model, proposal, *, approve: bool, actor, reason: str):  # type: ignore[no-untyped-def]
    """The bookkeeping shared by staff decisions on a proposal (reschedule,
    write-off): lock the loan first, then the proposal (the same order as every
    posting, so a decision and a payment on one loan cannot deadlock), refuse a
    second decision, and record who decided. A rejection needs a reason and
    is saved here; an approval is saved by the caller after its postings."""
    permissions.check_approve(actor)
    loan = _lock_loans([proposal.loan_id])[proposal.loan_id]
    proposal = model.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != ApprovalStatus.PROPOSED:
        raise LedgerError(_("Usulan ini sudah diputuskan."))
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.decision_reason = reason
    if not approve:
        if not reason.strip():
            raise LedgerError(_("Alasan penolakan wajib diisi."))
        proposal.status = ApprovalStatus.REJECTED
        proposal.save()
    return loan, proposal


@transaction.atomic
def reschedule_decide(*, reschedule: Reschedule, approve: bool, actor, reason: str = "") -> Reschedule:
    """Staff approval. On approval the remaining pokok gets a new schedule from
    `effective_on`; overdue unpaid jasa/BOP go on its first instalment; the
    old schedule is kept (ended at `effective_on`)."""
    loan, reschedule = _proposal_decide(Reschedule, reschedule, approve=approve, actor=actor, reason=reason)
    if not approve:
        return reschedule
    on = reschedule.effective_on
    if loan.status not in LIVE_STATUSES:
        raise LedgerError(_("Hanya pinjaman aktif yang dapat dijadwal ulang."))
    check_open(loan.upk_id, on, _("penjadwalan ulang"))
    old = current_schedule(loan)
    if on <= old.effective_from:
        raise LedgerError(_("Tanggal berlaku harus sesudah pencairan/penjadwalan sebelumnya."))
    if loan.repayments.filter(is_reversed=False, paid_on__gte=on).exists():
        raise LedgerError(_("Ada pembayaran pada/sesudah tanggal berlaku; penjadwalan ulang tidak dapat dicatat."))
    result = _replay(loan)
    remaining_pokok = sum(s.remaining("pokok") for s in result.states)
    if remaining_pokok <= 0:
        raise LedgerError(_("Pokok pinjaman sudah lunas."))
    overdue_jasa = sum(s.remaining("jasa") for s in result.states if s.due_date <= on)
    overdue_bop = sum(s.remaining("bop") for s in result.states if s.due_date <= on)
    first_due = on + timedelta(days=7) if loan.frequency == Frequency.WEEKLY else engine.add_months(on, 1)
    lines = engine.build_schedule(
        _terms(loan, principal=remaining_pokok, term_months=reschedule.term_months),
        first_due,
        extra_first_jasa=overdue_jasa,
        extra_first_bop=overdue_bop,
    )
    Schedule.objects.filter(pk=old.pk).update(effective_to=on)
    schedule = _create_schedule(loan, version=old.version + 1, effective_from=on, lines=lines, reason=reschedule.reason)
    reschedule.status = ApprovalStatus.APPROVED
    reschedule.new_schedule = schedule
    reschedule.save()
    _transition(loan, LoanStatus.RESCHEDULED, actor=actor, on=on, reason=reschedule.reason)
    return reschedule


@transaction.atomic
def writeoff_propose(*, loan: Loan, proposed_on: date, reason: str, actor) -> WriteOff:
    permissions.check_post(actor, loan.upk_id)
    if not (reason or "").strip():
        raise LedgerError(_("Alasan hapus buku wajib diisi."))
    if loan.status not in LIVE_STATUSES:
        raise LedgerError(_("Hanya pinjaman aktif yang dapat diusulkan hapus buku."))
    if loan.write_offs.filter(status=ApprovalStatus.PROPOSED).exists():
        raise LedgerError(_("Sudah ada usulan hapus buku untuk pinjaman ini."))
    return WriteOff.objects.create(loan=loan, proposed_on=proposed_on, reason=reason.strip(), proposed_by=actor)


@transaction.atomic
def writeoff_decide(
    *, write_off: WriteOff, approve: bool, actor, written_off_on: date | None = None, reason: str = ""
) -> WriteOff:
    """Staff approval. Posts Dr Cadangan Resiko Pinjaman / Cr Pinjaman KSM for
    the outstanding pokok (unpaid jasa was never booked: cash basis)."""
    loan, write_off = _proposal_decide(WriteOff, write_off, approve=approve, actor=actor, reason=reason)
    if not approve:
        return write_off
    on = written_off_on or write_off.proposed_on
    if loan.status not in LIVE_STATUSES:
        raise LedgerError(_("Hanya pinjaman aktif yang dapat dihapusbukukan."))
    check_open(loan.upk_id, on, _("hapus buku"))
    if loan.repayments.filter(is_reversed=False, paid_on__gt=on).exists():
        raise LedgerError(_("Ada pembayaran sesudah tanggal hapus buku."))
    paid_pokok = Allocation.objects.filter(loan=loan, component=Component.POKOK, effective_to__isnull=True).aggregate(
        s=Sum("amount")
    )["s"] or Decimal(0)
    outstanding = int(loan.principal - paid_pokok)
    accounts = _accounts(loan.upk_id)
    entry = _post(
        upk_id=loan.upk_id,
        on=on,
        kind=EntryKind.WRITE_OFF,
        description=_("Hapus buku %(loan)s %(ksm)s") % {"loan": loan.number, "ksm": loan.ksm.name},
        legs=[
            Leg(accounts[AccountRole.RESERVE], outstanding, loan_id=loan.pk),
            Leg(accounts[AccountRole.LOANS], -outstanding, loan_id=loan.pk),
        ],
        actor=actor,
    )
    write_off.status = ApprovalStatus.APPROVED
    write_off.written_off_on = on
    write_off.amount = Decimal(outstanding)
    write_off.journal_entry = entry
    write_off.save()
    loan.written_off_on = on
    states.set_written_off(loan.pk, on)
    _transition(loan, LoanStatus.WRITTEN_OFF, actor=actor, on=on, reason=write_off.reason)
    return write_off


def recovery_record(
    *, loan: Loan, amount: Any, received_on: date, actor, idempotency_key: str, channel: str = Channel.KAS
) -> Recovery:
    """Money received on a written-off loan: Dr Kas / Cr Pemulihan (income)."""
    permissions.check_post(actor, loan.upk_id)
    key = _require_key(idempotency_key, loan.upk_id)
    amount_int = _positive(amount, _("Jumlah pemulihan"))

    def run() -> Recovery:
        locked = _lock_loans([loan.pk])[loan.pk]
        if locked.status != LoanStatus.WRITTEN_OFF or locked.written_off_on is None:
            raise LedgerError(_("Pemulihan hanya untuk pinjaman yang sudah dihapusbukukan."))
        if received_on < locked.written_off_on:
            raise LedgerError(_("Tanggal terima tidak boleh sebelum tanggal hapus buku."))
        locked.posting_window.check(received_on, _("pemulihan"))  # type: ignore[attr-defined]
        written = locked.write_offs.filter(status=ApprovalStatus.APPROVED).aggregate(s=Sum("amount"))["s"] or 0
        recovered = locked.recoveries.aggregate(s=Sum("amount"))["s"] or 0
        if amount_int > written - recovered:
            raise LedgerError(
                _("Pemulihan melebihi sisa pokok yang dihapus (%(left)s).") % {"left": _rp(written - recovered)}
            )
        accounts = _accounts(locked.upk_id)
        entry = _post(
            upk_id=locked.upk_id,
            on=received_on,
            kind=EntryKind.RECOVERY,
            description=_("Pemulihan %(loan)s %(ksm)s") % {"loan": locked.number, "ksm": locked.ksm.name},
            legs=[
                Leg(_cash_account(accounts, channel), amount_int, loan_id=locked.pk),
                Leg(accounts[AccountRole.RECOVERY_INCOME], -amount_int, loan_id=locked.pk),
            ],
            actor=actor,
            idempotency_key=key,
        )
        return Recovery.objects.create(
            loan=locked,
            upk_id=locked.upk_id,
            received_on=received_on,
            amount=Decimal(amount_int),
            journal_entry=entry,
            created_by=actor,
        )

    return _idempotent_entry(key, run, found=lambda entry: entry.recovery)


# --- Savings --------------------------------------------------------------------------------


def _lock_ksm(ksm: KSM) -> KSM:
    # Savings balance checks read-then-write; the KSM row serialises them.
    return KSM.objects.select_for_update().get(pk=ksm.pk)


def _savings_entry(*, ksm: KSM, kind: str, amount: int, on: date, actor, key: str, channel: str) -> SavingsTransaction:
    accounts = _accounts(ksm.upk_id)
    sign = 1 if kind == SavingsKind.DEPOSIT else -1
    entry = _post(
        upk_id=ksm.upk_id,
        on=on,
        kind=EntryKind.SAVINGS_DEPOSIT if sign > 0 else EntryKind.SAVINGS_WITHDRAWAL,
        description=(_("Setoran tabungan %(ksm)s") if sign > 0 else _("Penarikan tabungan %(ksm)s"))
        % {"ksm": ksm.name},
        legs=[
            Leg(_cash_account(accounts, channel), sign * amount),
            Leg(accounts[AccountRole.SAVINGS], -sign * amount, ksm_id=ksm.pk),
        ],
        actor=actor,
        idempotency_key=key,
    )
    return SavingsTransaction.objects.create(
        ksm=ksm, upk_id=ksm.upk_id, date=on, kind=kind, amount=Decimal(amount), journal_entry=entry, created_by=actor
    )


def savings_deposit(
    *, ksm: KSM, amount: Any, date: date, actor, idempotency_key: str, channel: str = Channel.KAS
) -> SavingsTransaction:
    """Setoran tabungan KSM: Dr Kas|Bank / Cr Tabungan KSM."""
    permissions.check_post(actor, ksm.upk_id)
    key = _require_key(idempotency_key, ksm.upk_id)
    amount_int = _positive(amount, _("Jumlah setoran"))

    def run() -> SavingsTransaction:
        check_open(ksm.upk_id, date, _("setoran"))
        return _savings_entry(
            ksm=ksm, kind=SavingsKind.DEPOSIT, amount=amount_int, on=date, actor=actor, key=key, channel=channel
        )

    return _idempotent_entry(key, run, found=lambda entry: entry.savings_transaction)


def savings_withdraw(
    *, ksm: KSM, amount: Any, date: date, actor, idempotency_key: str, channel: str = Channel.KAS
) -> SavingsTransaction:
    """Penarikan tabungan KSM: Dr Tabungan KSM / Cr Kas|Bank; never below zero."""
    permissions.check_post(actor, ksm.upk_id)
    key = _require_key(idempotency_key, ksm.upk_id)
    amount_int = _positive(amount, _("Jumlah penarikan"))

    def run() -> SavingsTransaction:
        locked = _lock_ksm(ksm)
        check_open(ksm.upk_id, date, _("penarikan"))
        available = min(savings_balance(locked, date), savings_balance(locked))
        if amount_int > available:
            raise LedgerError(_("Saldo tabungan tidak cukup (tersedia %(b)s).") % {"b": _rp(available)})
        return _savings_entry(
            ksm=locked, kind=SavingsKind.WITHDRAWAL, amount=amount_int, on=date, actor=actor, key=key, channel=channel
        )

    return _idempotent_entry(key, run, found=lambda entry: entry.savings_transaction)


def savings_cover_arrears(
    *, loan: Loan, amount: Any, date: date, decision: str, actor, idempotency_key: str
) -> SavingsTransaction:
    """By UPK decision (tanggung renteng), pay a loan's arrears from the KSM's
    savings: a repayment whose journal debits Tabungan KSM instead of Kas."""
    from . import selectors

    permissions.check_post(actor, loan.upk_id)
    key = _require_key(idempotency_key, loan.upk_id)
    amount_int = _positive(amount, _("Jumlah"))
    if not (decision or "").strip():
        raise LedgerError(_("Keputusan UPK (dasar penggunaan tabungan) wajib diisi."))

    def run() -> SavingsTransaction:
        existing = _existing_by_key(Repayment, key)
        if existing is not None:
            return existing.savings_transaction
        locked = _lock_loans([loan.pk])[loan.pk]
        ksm = _lock_ksm(locked.ksm)
        available = min(savings_balance(ksm, date), savings_balance(ksm))
        if amount_int > available:
            raise LedgerError(_("Saldo tabungan tidak cukup (tersedia %(b)s).") % {"b": _rp(available)})
        position = selectors.loan_position(locked, as_of=date)
        if amount_int > position.arrears_amount:
            raise LedgerError(_("Jumlah melebihi tunggakan (%(a)s).") % {"a": _rp(position.arrears_amount)})
        accounts = _accounts(locked.upk_id)
        item = PayItem(
            locked,
            amount_int,
            date,
            key,
            channel=Channel.SAVINGS,
            debit_leg=Leg(accounts[AccountRole.SAVINGS], amount_int, ksm_id=ksm.pk),
        )
        repayment = _record_repayments_locked([item], actor=actor)[0]
        return SavingsTransaction.objects.create(
            ksm=ksm,
            upk_id=ksm.upk_id,
            date=date,
            kind=SavingsKind.ARREARS_COVER,
            amount=Decimal(amount_int),
            journal_entry=repayment.journal_entry,
            repayment=repayment,
            decision=decision.strip(),
            created_by=actor,
        )

    try:
        with transaction.atomic():
            return run()
    except IntegrityError:
        existing = _existing_by_key(Repayment, key)
        if existing is None:
            raise
        return existing.savings_transaction


# --- Cash vouchers, capital, reserve, year end -------------------------------------------------

PROTECTED_ROLES = {
    AccountRole.KAS,
    AccountRole.BANK,
    AccountRole.LOANS,
    AccountRole.RESERVE,
    AccountRole.SAVINGS,
    AccountRole.BOP,
    AccountRole.JASA_INCOME,
    AccountRole.DENDA_INCOME,
    AccountRole.RECOVERY_INCOME,
    AccountRole.RESERVE_EXPENSE,
}


def cash_voucher_record(
    *,
    upk,
    direction: str,
    account: Account,
    amount: Any,
    date: date,
    description: str,
    actor,
    idempotency_key: str,
    channel: str = Channel.KAS,
) -> JournalEntry:
    """Bukti kas masuk (direction="in": Dr Kas / Cr account) or keluar
    ("out": Dr account / Cr Kas). Accounts the loan services own (Pinjaman KSM,
    Jasa, Tabungan, Cadangan …) are refused: use their own services."""
    permissions.check_post(actor, upk)
    key = _require_key(idempotency_key, upk.pk)
    amount_int = _positive(amount, _("Jumlah"))
    if direction not in ("in", "out"):
        raise LedgerError(_("Arah kas harus masuk atau keluar."))
    if account.upk_id != upk.pk or not account.is_active:
        raise LedgerError(_("Akun tidak tersedia di UPK ini."))
    if account.role in PROTECTED_ROLES:
        raise LedgerError(_("Akun %(a)s dicatat lewat menu khususnya, bukan bukti kas.") % {"a": account})
    if not (description or "").strip():
        raise LedgerError(_("Uraian wajib diisi."))

    def run() -> JournalEntry:
        check_open(upk.pk, date, _("bukti kas"))
        accounts = _accounts(upk.pk)
        sign = 1 if direction == "in" else -1
        return _post(
            upk_id=upk.pk,
            on=date,
            kind=EntryKind.CASH_IN if sign > 0 else EntryKind.CASH_OUT,
            description=description.strip(),
            legs=[Leg(_cash_account(accounts, channel), sign * amount_int), Leg(account, -sign * amount_int)],
            actor=actor,
            idempotency_key=key,
        )

    return _idempotent_entry(key, run)


def capital_receive(
    *,
    upk,
    account: Account,
    amount: Any,
    date: date,
    description: str,
    actor,
    idempotency_key: str,
    channel: str = Channel.BANK,
) -> JournalEntry:
    """Capital received (BLM P2KP / PNPM / KOTAKU / hibah): Dr Bank|Kas / Cr Modal."""
    permissions.check_post(actor, upk)
    key = _require_key(idempotency_key, upk.pk)
    amount_int = _positive(amount, _("Jumlah modal"))
    if account.upk_id != upk.pk or account.role not in CAPITAL_ROLES:
        raise LedgerError(_("Pilih akun modal (BLM P2KP, PNPM, KOTAKU atau hibah)."))

    def run() -> JournalEntry:
        check_open(upk.pk, date, _("penerimaan modal"))
        accounts = _accounts(upk.pk)
        return _post(
            upk_id=upk.pk,
            on=date,
            kind=EntryKind.CAPITAL,
            description=(description or "").strip() or _("Penerimaan modal"),
            legs=[Leg(_cash_account(accounts, channel), amount_int), Leg(account, -amount_int)],
            actor=actor,
            idempotency_key=key,
        )

    return _idempotent_entry(key, run)


def reserve_adjust(*, upk, date: date, actor, idempotency_key: str, amount: Any = None) -> JournalEntry | None:
    """Bring Cadangan Resiko Pinjaman to the required reserve of the
    kolektibilitas as of `date` (or adjust by `amount`; + adds to the reserve).
    Dr Biaya Cadangan / Cr Cadangan, or the opposite to release. Returns None
    when nothing needs adjusting."""
    from . import selectors

    permissions.check_post(actor, upk)
    key = _require_key(idempotency_key, upk.pk)

    def run() -> JournalEntry | None:
        check_open(upk.pk, date, _("penyesuaian cadangan"))
        delta = (
            _whole(amount, _("Jumlah"))
            if amount is not None
            else selectors.kolektibilitas(upk=upk, as_of=date).proposed_adjustment
        )
        if delta == 0:
            return None
        accounts = _accounts(upk.pk)
        return _post(
            upk_id=upk.pk,
            on=date,
            kind=EntryKind.RESERVE_ADJUSTMENT,
            description=_("Penyesuaian cadangan resiko pinjaman per %(d)s") % {"d": date.strftime("%d-%m-%Y")},
            legs=[Leg(accounts[AccountRole.RESERVE_EXPENSE], delta), Leg(accounts[AccountRole.RESERVE], -delta)],
            actor=actor,
            idempotency_key=key,
        )

    return _idempotent_entry(key, run)


@transaction.atomic
def year_end_close(*, upk, year: int, actor) -> YearEndClosing:
    """Tutup buku: close the year's income and expense accounts and allocate
    the surplus by the UPK's percentages (capital → Laba Ditahan, UPS, UPL,
    other). A deficit goes wholly to Laba Ditahan. Dated 31 December; the
    year accepts no postings afterwards."""
    from . import selectors

    permissions.check_post(actor, upk)
    if YearEndClosing.objects.filter(upk=upk, year=year).exists():
        raise LedgerError(_("Tahun %(y)s sudah tutup buku.") % {"y": year})
    if YearEndClosing.objects.filter(upk=upk, year__gt=year).exists():
        raise LedgerError(_("Tahun sesudahnya sudah tutup buku."))
    on = date(year, 12, 31)
    check_open(upk.pk, on, _("tutup buku"))
    rules = get_settings(upk)
    pcts = [rules.alloc_capital_pct, rules.alloc_ups_pct, rules.alloc_upl_pct, rules.alloc_other_pct]
    if sum(pcts) != 100:
        raise LedgerError(_("Persentase alokasi surplus harus berjumlah 100%."))
    balances = selectors.account_balances(upk=upk, as_of=on)
    accounts = {a.pk: a for a in Account.objects.filter(upk=upk)}
    legs: list[Leg] = []
    surplus = 0
    for account_id, signed in balances.items():  # signed = debit − credit
        account = accounts[account_id]
        if account.kind in (AccountKind.INCOME, AccountKind.EXPENSE) and signed:
            legs.append(Leg(account, -signed, memo=_("Tutup buku")))
            surplus -= signed
    role = _accounts(upk.pk)
    allocations: dict[str, int] = {}
    if surplus > 0:
        scaled = [int(p * 10000) for p in pcts]
        parts = engine.largest_remainder(surplus, scaled)
        for r, part in zip(
            [AccountRole.RETAINED, AccountRole.UPS_FUND, AccountRole.UPL_FUND, AccountRole.OTHER_ALLOC],
            parts,
            strict=True,
        ):
            allocations[r] = part
            legs.append(Leg(role[r], -part, memo=_("Alokasi surplus")))
    elif surplus < 0:
        allocations[AccountRole.RETAINED] = surplus
        legs.append(Leg(role[AccountRole.RETAINED], -surplus, memo=_("Defisit tahun berjalan")))
    if not [leg for leg in legs if leg.amount]:
        raise LedgerError(_("Tidak ada pendapatan atau biaya tahun %(y)s untuk ditutup.") % {"y": year})
    entry = _post(
        upk_id=upk.pk,
        on=on,
        kind=EntryKind.YEAR_END,
        description=_("Tutup buku tahun %(y)s") % {"y": year},
        legs=legs,
        actor=actor,
    )
    return YearEndClosing.objects.create(
        upk=upk, year=year, surplus=Decimal(surplus), allocations=allocations, journal_entry=entry, created_by=actor
    )


# --- Named shortcuts for the screens ------------------------------------------------------------


def loan_reschedule(*, loan: Loan, effective_on: date, term_months: int, reason: str, actor) -> Reschedule:
    """The manager's reschedule request (staff approve it with `reschedule_approve`)."""
    return reschedule_propose(loan=loan, effective_on=effective_on, term_months=term_months, reason=reason, actor=actor)


def reschedule_approve(*, reschedule: Reschedule, actor, reason: str = "") -> Reschedule:
    return reschedule_decide(reschedule=reschedule, approve=True, actor=actor, reason=reason)


def reschedule_reject(*, reschedule: Reschedule, actor, reason: str) -> Reschedule:
    return reschedule_decide(reschedule=reschedule, approve=False, actor=actor, reason=reason)


def writeoff_approve(*, write_off: WriteOff, actor, written_off_on: date | None = None, reason: str = "") -> WriteOff:
    return writeoff_decide(write_off=write_off, approve=True, actor=actor, written_off_on=written_off_on, reason=reason)


def writeoff_reject(*, write_off: WriteOff, actor, reason: str) -> WriteOff:
    return writeoff_decide(write_off=write_off, approve=False, actor=actor, reason=reason)


# --- Configuration: products, rules, chart of accounts -------------------------------------------

PRODUCT_TERMS = (
    "name",
    "jasa_rate",
    "jasa_method",
    "bop_rate",
    "frequency",
    "min_term",
    "max_term",
    "rounding_unit",
    "late_fee_enabled",
    "late_fee_amount",
    "late_fee_grace_days",
    "is_active",
)


def _validate_product(product: LoanProduct) -> None:
    errors: list[str] = []
    if not str(product.name or "").strip():
        errors.append(_("Nama produk wajib diisi."))
    if product.rounding_unit not in (1, 100, 500, 1000):
        errors.append(_("Pembulatan harus Rp 1, 100, 500 atau 1.000."))
    if not 1 <= product.min_term <= product.max_term <= 24:
        errors.append(_("Jangka waktu harus 1–24 bulan dan minimal ≤ maksimal."))
    for value, label in ((product.jasa_rate, _("Jasa per bulan")), (product.bop_rate, _("BOP per bulan"))):
        if not 0 <= Decimal(value) <= 100:
            errors.append(_("%(what)s harus 0–100%%.") % {"what": label})
    if (
        Decimal(product.late_fee_amount) < 0
        or Decimal(product.late_fee_amount) != Decimal(product.late_fee_amount).to_integral_value()
    ):
        errors.append(_("Denda harus Rupiah bulat, tidak negatif."))
    if errors:
        raise LedgerError(*errors)


@transaction.atomic
def product_update(*, product: LoanProduct, actor, **terms: Any) -> LoanProduct:
    """Change a product's terms (keys of `PRODUCT_TERMS`), validated like `product_create`.

    Loans already applied for keep their own terms: `loan_apply` copies rate,
    method, BOP, frequency, rounding and late fee onto the Loan, and schedules
    are computed from the loan's copy (`_terms`). So an edit applies only to
    applications made after it; existing schedules and balances never move.
    """
    permissions.check_configure(actor, product.upk_id)
    unknown = set(terms) - set(PRODUCT_TERMS)
    if unknown:
        raise LedgerError(_("Isian tidak dikenal: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    product = LoanProduct.objects.select_for_update().get(pk=product.pk)
    for key, value in terms.items():
        setattr(product, key, value)
    _validate_product(product)
    product.save(update_fields=list(terms) or None)
    return product


# Percentages that cannot exceed 100; CCr thresholds (coverage) may.
_PCT_FIELDS = (
    "min_women_pct",
    "reserve_lancar",
    "reserve_dpk",
    "reserve_kl",
    "reserve_d",
    "reserve_m",
    "lar_good",
    "lar_fair",
    "par_good",
    "par_fair",
    "roi_good",
    "roi_fair",
    "rr_good",
    "rr_fair",
    "cr_good",
    "cr_fair",
    "alloc_capital_pct",
    "alloc_ups_pct",
    "alloc_upl_pct",
    "alloc_other_pct",
)
SETTINGS_FIELDS = (
    "posting_days_ahead",
    "min_members",
    "min_savings_months",
    "ceiling_first_loan",
    "ceiling_repeat_loan",
    "kol_dpk_from",
    "kol_kl_from",
    "kol_d_from",
    "kol_m_from",
    "risk_instalments",
    "ccr_good",
    "ccr_fair",
    *_PCT_FIELDS,
)


def _settings_label(name: str) -> str:
    return str(getattr(UpkSettings._meta.get_field(name), "verbose_name", name)).capitalize()


def _validate_settings(s: UpkSettings) -> list[str]:
    errors: list[str] = []
    for name in _PCT_FIELDS:
        if not 0 <= Decimal(getattr(s, name)) <= 100:
            errors.append(_("%(what)s harus 0–100%%.") % {"what": _settings_label(name)})
    for name in ("ccr_good", "ccr_fair", "ceiling_first_loan", "ceiling_repeat_loan"):
        if Decimal(getattr(s, name)) < 0:
            errors.append(_("%(what)s tidak boleh negatif.") % {"what": _settings_label(name)})
    if not 0 <= s.posting_days_ahead <= 7:
        errors.append(_("Transaksi bertanggal maju paling banyak 7 hari."))
    if s.min_members < 1:
        errors.append(_("Anggota KSM minimal sedikitnya 1."))
    if s.risk_instalments < 1:
        errors.append(_("Tunggakan berisiko sedikitnya 1 angsuran."))
    if not 1 <= s.kol_dpk_from < s.kol_kl_from < s.kol_d_from < s.kol_m_from:
        errors.append(_("Batas kolektibilitas harus naik: 1 ≤ DPK < Kurang Lancar < Diragukan < Macet."))
    for good, fair, what in (("lar_good", "lar_fair", "LAR"), ("par_good", "par_fair", "PAR")):
        if getattr(s, good) > getattr(s, fair):
            errors.append(_("Batas %(w)s sehat tidak boleh di atas batas kurang sehat.") % {"w": what})
    for good, fair, what in (
        ("ccr_good", "ccr_fair", "CCr"),
        ("roi_good", "roi_fair", "ROI"),
        ("rr_good", "rr_fair", "RR"),
        ("cr_good", "cr_fair", _("tingkat penagihan")),
    ):
        if getattr(s, good) < getattr(s, fair):
            errors.append(_("Batas %(w)s sehat tidak boleh di bawah batas kurang sehat.") % {"w": what})
    alloc = s.alloc_capital_pct + s.alloc_ups_pct + s.alloc_upl_pct + s.alloc_other_pct
    if alloc != 100:
        # year_end_close refuses any other split
        errors.append(
            _("Persentase alokasi surplus harus berjumlah 100%% (sekarang %(n)s%%).") % {"n": f"{alloc.normalize():f}"}
        )
    return errors


@transaction.atomic
def upk_settings_update(*, upk, actor, **fields: Any) -> UpkSettings:
    """Change a UPK's rules (keys of `SETTINGS_FIELDS`); all errors at once, nothing saved on error.

    Rules are read when used (loan_apply, kolektibilitas, indicators, year end),
    so past postings stay as they were."""
    permissions.check_configure(actor, upk)
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise LedgerError(_("Isian tidak dikenal: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    get_settings(upk)
    settings_obj = UpkSettings.objects.select_for_update().get(upk_id=upk.pk)
    for key, value in fields.items():
        setattr(settings_obj, key, value)
    errors = _validate_settings(settings_obj)
    if errors:
        raise LedgerError(*errors)
    settings_obj.save(update_fields=list(fields) or None)
    return settings_obj


@transaction.atomic
def account_create(*, upk, actor, code: str, name: str, kind: str, is_contra: bool = False) -> Account:
    """A new account without a system role (roles are fixed by `upk_setup`)."""
    permissions.check_configure(actor, upk)
    code, name = code.strip(), name.strip()
    errors: list[str] = []
    if not code.isdigit() or len(code) > 10:
        errors.append(_("Kode akun harus angka, paling banyak 10 digit."))
    if not name:
        errors.append(_("Nama akun wajib diisi."))
    if kind not in AccountKind.values:
        errors.append(_("Golongan akun tidak dikenal."))
    if Account.objects.filter(upk=upk, code=code).exists():
        errors.append(_("Kode akun %(c)s sudah dipakai.") % {"c": code})
    if errors:
        raise LedgerError(*errors)
    try:
        with transaction.atomic():
            return Account.objects.create(upk=upk, code=code, name=name, kind=kind, is_contra=is_contra, role="")
    except IntegrityError:
        raise LedgerError(_("Kode akun %(c)s sudah dipakai.") % {"c": code}) from None


def account_rename(*, account: Account, actor, name: str) -> Account:
    """Only the name changes: code, kind and role stay, so postings and reports keep their meaning."""
    permissions.check_configure(actor, account.upk_id)
    name = name.strip()
    if not name:
        raise LedgerError(_("Nama akun wajib diisi."))
    Account.objects.filter(pk=account.pk).update(name=name)
    account.name = name
    return account
