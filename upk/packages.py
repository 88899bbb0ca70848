"""Reads of submitted monthly packages: "submitted means frozen".

A submitted package (`MonthlyPackage.figures`) is shown and printed from its
stored snapshot, never recomputed. If a staff reopening later changed the
month, the page shows the snapshot, today's recalculation and the difference
(`package_differences`); a resubmission supersedes the earlier package
(`MonthlyPackage.supersedes`), which stays, marked "digantikan".

The snapshot's keys are written by `selectors.MonthlyPackageData.as_json`;
packages submitted before a key existed simply lack it (shown as "—").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from . import selectors
from .models import Account, AccountingPeriod, MonthlyPackage, PeriodEvent

if TYPE_CHECKING:
    from bkm.models import Unit

RUPIAH, PERCENT, COUNT, TEXT = "rupiah", "percent", "count", "text"


@dataclass
class Difference:
    label: str
    submitted: Any
    now: Any
    kind: str = RUPIAH

    @property
    def change(self) -> Any:
        """now − submitted for amounts and counts (None where it means nothing)."""
        if self.kind in (RUPIAH, COUNT, PERCENT) and self.submitted is not None and self.now is not None:
            return self.now - self.submitted
        return None


@dataclass
class SnapshotBucket:
    code: str
    name: str
    loans: int | None
    outstanding: int | None
    required: int | None
    rate: Decimal | None


@dataclass
class SnapshotKol:
    """The snapshot's kolektibilitas in the shape `upk/_kol.html` reads."""

    buckets: list[SnapshotBucket]
    outstanding: int | None
    required_reserve: int | None
    booked_reserve: int | None

    @property
    def proposed_adjustment(self) -> int | None:
        if self.required_reserve is None or self.booked_reserve is None:
            return None
        return self.required_reserve - self.booked_reserve


@dataclass
class SubmittedPackage:
    package: MonthlyPackage  # the package in force for the month (the latest submission)
    submissions: list[MonthlyPackage]  # every submission of the month, newest first
    snapshot: dict[str, Any]
    indicators: list[selectors.IndicatorValue]
    kolektibilitas: SnapshotKol
    lpp_rows: list[dict[str, Any]] | None  # None: submitted before the snapshot kept the rows
    trial_balance: list[tuple[str, str, int]]  # code, account name, debit − credit
    differences: list[Difference] = field(default_factory=list)
    reopenings: list[PeriodEvent] = field(default_factory=list)  # of this month, after the submission
    month_open: bool = False  # reopened and not yet submitted again
    books_unchanged: bool = True  # today's trial balance = the snapshot's (so neraca and laba-rugi are as submitted)

    @property
    def changed(self) -> bool:
        return bool(self.differences)


def _pct(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def snapshot_indicators(snapshot: dict[str, Any]) -> list[selectors.IndicatorValue]:
    """The submitted indicators, in the one indicator list's order (`selectors.INDICATORS`)."""
    stored = snapshot.get("indicators", {})
    return [
        selectors.IndicatorValue(
            d.code, d.label, _pct(stored.get(d.code, {}).get("value")), stored.get(d.code, {}).get("band")
        )
        for d in selectors.INDICATORS
    ]


def snapshot_kolektibilitas(snapshot: dict[str, Any]) -> SnapshotKol:
    stored = snapshot.get("kol_buckets", {})
    buckets = [
        SnapshotBucket(
            code,
            str(name),
            stored.get(code, {}).get("loans"),
            stored.get(code, {}).get("outstanding"),
            stored.get(code, {}).get("required"),
            _pct(stored.get(code, {}).get("rate")),
        )
        for code, name in selectors.KOL_NAMES
    ]
    return SnapshotKol(
        buckets, snapshot.get("lpp_outstanding"), snapshot.get("required_reserve"), snapshot.get("booked_reserve")
    )


def package_differences(
    submitted: dict[str, Any], now: dict[str, Any], account_names: dict[str, str] | None = None
) -> list[Difference]:
    """What changed between a stored snapshot and today's recalculation of
    the same month, as labelled rows (only the figures that differ)."""
    names = account_names or {}
    rows: list[Difference] = []

    def add(label: str, a: Any, b: Any, kind: str = RUPIAH) -> None:
        if a != b:
            rows.append(Difference(label, a, b, kind))

    add(_("Saldo pinjaman (LPP)"), submitted.get("lpp_outstanding"), now.get("lpp_outstanding"))
    ind_a, ind_b = submitted.get("indicators", {}), now.get("indicators", {})
    for d in selectors.INDICATORS:
        a, b = ind_a.get(d.code, {}), ind_b.get(d.code, {})
        add(d.label, _pct(a.get("value")), _pct(b.get("value")), PERCENT)
        band_a, band_b = a.get("band"), b.get("band")
        if band_a != band_b:
            labels = selectors.BAND_LABELS
            add(
                _("%(i)s: tingkat") % {"i": d.label},
                str(labels[band_a]) if band_a else "—",
                str(labels[band_b]) if band_b else "—",
                TEXT,
            )
    kol_a, kol_b = submitted.get("kol_buckets", {}), now.get("kol_buckets", {})
    for code, name in selectors.KOL_NAMES:
        a, b = kol_a.get(code, {}), kol_b.get(code, {})
        add(_("%(k)s: jumlah pinjaman") % {"k": name}, a.get("loans"), b.get("loans"), COUNT)
        add(_("%(k)s: saldo pokok") % {"k": name}, a.get("outstanding"), b.get("outstanding"))
        add(_("%(k)s: cadangan wajib") % {"k": name}, a.get("required"), b.get("required"))
    add(_("Cadangan wajib"), submitted.get("required_reserve"), now.get("required_reserve"))
    add(_("Cadangan tercatat"), submitted.get("booked_reserve"), now.get("booked_reserve"))
    nr_a, nr_b = submitted.get("neraca", {}), now.get("neraca", {})
    add(_("Neraca: jumlah aktiva"), nr_a.get("total_assets"), nr_b.get("total_assets"))
    add(_("Neraca: jumlah pasiva"), nr_a.get("total_liabilities_equity"), nr_b.get("total_liabilities_equity"))
    lr_a, lr_b = submitted.get("laba_rugi", {}), now.get("laba_rugi", {})
    add(_("Laba-rugi: pendapatan"), lr_a.get("income"), lr_b.get("income"))
    add(_("Laba-rugi: biaya"), lr_a.get("expense"), lr_b.get("expense"))
    tb_a, tb_b = submitted.get("trial_balance", {}), now.get("trial_balance", {})
    for code in sorted(set(tb_a) | set(tb_b)):
        label = _("Neraca saldo %(c)s %(n)s") % {"c": code, "n": names.get(code, "")}
        add(label.strip(), tb_a.get(code, 0), tb_b.get(code, 0))
    if "lpp_rows" in submitted:  # older snapshots kept only the LPP total
        rows_a = {r["number"]: r for r in submitted["lpp_rows"]}
        rows_b = {r["number"]: r for r in now.get("lpp_rows", [])}
        for number in sorted(set(rows_a) | set(rows_b)):
            a, b = rows_a.get(number, {}), rows_b.get(number, {})
            add(_("Pinjaman %(n)s: saldo") % {"n": number}, a.get("outstanding"), b.get("outstanding"))
            add(_("Pinjaman %(n)s: tunggakan") % {"n": number}, a.get("arrears"), b.get("arrears"))
            kol_a_, kol_b_ = a.get("kol"), b.get("kol")
            add(
                _("Pinjaman %(n)s: kolektibilitas") % {"n": number},
                None if kol_a_ is None else kol_a_ + 1,
                None if kol_b_ is None else kol_b_ + 1,
                COUNT,
            )
    return rows


def submitted_package(
    *, upk: Unit, year: int, month: int, recalculated: selectors.MonthlyPackageData | None = None
) -> SubmittedPackage | None:
    """The month's package in force with its snapshot, the earlier
    submissions it superseded, and — against today's recalculation (pass it
    when the caller has it) — the difference. None if never submitted."""
    submissions = list(
        MonthlyPackage.objects.filter(upk=upk, year=year, month=month)
        .select_related("submitted_by", "supersedes", "superseded_by")
        .order_by("-submitted_at", "-pk")
    )
    if not submissions:
        return None
    current = next((p for p in submissions if not hasattr(p, "superseded_by")), submissions[0])
    snapshot = current.figures
    # order_by(): the models' orderings go through the UPK to its BKM's name, two joins for nothing.
    accounts = dict(Account.objects.filter(upk=upk).order_by().values_list("code", "name"))
    now = (recalculated or selectors.monthly_package(upk=upk, year=year, month=month)).as_json()
    period = AccountingPeriod.objects.filter(upk=upk, year=year, month=month).order_by("pk").first()
    reopenings = list(
        PeriodEvent.objects.filter(
            period__upk=upk,
            period__year=year,
            period__month=month,
            action=PeriodEvent.REOPEN,
            at__gt=current.submitted_at,
        )
        .select_related("actor")
        .order_by("at")
    )
    lpp_rows = snapshot.get("lpp_rows")
    return SubmittedPackage(
        package=current,
        submissions=submissions,
        snapshot=snapshot,
        indicators=snapshot_indicators(snapshot),
        kolektibilitas=snapshot_kolektibilitas(snapshot),
        lpp_rows=lpp_rows,
        trial_balance=[
            (code, accounts.get(code, ""), amount) for code, amount in snapshot.get("trial_balance", {}).items()
        ],
        differences=package_differences(snapshot, now, accounts),
        reopenings=reopenings,
        month_open=not (period and period.is_closed),
        books_unchanged=snapshot.get("trial_balance") == now.get("trial_balance"),
    )
