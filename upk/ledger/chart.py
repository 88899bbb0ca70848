"""The chart of accounts: the default chart, `upk_setup`, the UPK's role accounts (cached per process) and which account each component and channel posts to."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from ..models import (
    Account,
    AccountKind,
    AccountRole,
    Channel,
    Component,
    UpkSettings,
)
from .errors import LedgerError

if TYPE_CHECKING:
    from bkm.models import Unit

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
def upk_setup(*, upk: Unit) -> UpkSettings:
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


def get_settings(upk: Unit) -> UpkSettings:
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
ACCOUNTS_CACHE: dict[int, dict[str, Account]] = {}

# Within one long transaction that sets a UPK up and then posts thousands of
# events (the import), the process cache above stays empty until commit and
# every posting would read the accounts again (≈ 10 % of an import's time).
# `accounts_memoized()` keeps them for the duration of a block that lies
# inside that one transaction, so nothing read there outlives it.
_IN_TRANSACTION: ContextVar[dict[int, dict[str, Account]] | None] = ContextVar("upk_role_accounts", default=None)


@contextmanager
def accounts_memoized() -> Iterator[None]:
    """Reuse each UPK's role accounts inside this block, which must lie
    within one transaction (`transaction.atomic()` around it)."""
    assert transaction.get_connection().in_atomic_block, "accounts_memoized() belongs inside one transaction"
    token = _IN_TRANSACTION.set({})
    try:
        yield
    finally:
        _IN_TRANSACTION.reset(token)


def role_accounts(upk_id: int) -> dict[str, Account]:
    cached = ACCOUNTS_CACHE.get(upk_id)
    if cached is not None:
        return cached
    memo = _IN_TRANSACTION.get()
    if memo is not None and upk_id in memo:
        return memo[upk_id]
    accounts = {a.role: a for a in Account.objects.filter(upk_id=upk_id).exclude(role="")}
    if len(accounts) < len(AccountRole):
        from bkm.models import Unit

        upk_setup(upk=Unit.objects.get(pk=upk_id))
        accounts = {a.role: a for a in Account.objects.filter(upk_id=upk_id).exclude(role="")}
    transaction.on_commit(lambda: ACCOUNTS_CACHE.setdefault(upk_id, accounts))
    if memo is not None:
        memo[upk_id] = accounts
    return accounts


def cash_account(accounts: Mapping[str, Account], channel: str) -> Account:
    if channel == Channel.BANK:
        return accounts[AccountRole.BANK]
    if channel == Channel.KAS:
        return accounts[AccountRole.KAS]
    raise LedgerError(_("Cara bayar tidak dikenal."))


COMPONENT_ROLE = {
    Component.POKOK: AccountRole.LOANS,
    Component.JASA: AccountRole.JASA_INCOME,
    Component.BOP: AccountRole.BOP,
    Component.DENDA: AccountRole.DENDA_INCOME,
}
