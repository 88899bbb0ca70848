"""UPK rules with effective dates.

The rules that grade and judge a UPK's books — kolektibilitas buckets,
risk instalments, indicator bands, reserve rates and the application
(eligibility) rules — are versions effective from a month
(`UpkRuleVersion`). A manager proposes a change; a staff admin other than
the proposer approves it (maker-checker, both recorded); it takes effect from
the first month still open on the day it is approved, never inside a closed
one. Every as-of figure reads the version in force on its date
(`rules_in_force`), so closing a month freezes the rules it was judged by.

The values in `UpkSettings` are the UPK's first version (in force from the
beginning of its books); approved versions overlay them from their month on.
Late-fee terms are the product's and are copied onto each loan at
application (a product edit never reaches a running loan), so they are
versioned per loan already.
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import copy
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, Subquery

from ..models import ApprovalStatus, UpkRuleVersion, UpkSettings

RULE_FIELDS = (
    # application (eligibility) rules
    "min_members",
    "min_women_pct",
    "min_savings_months",
    "ceiling_first_loan",
    "ceiling_repeat_loan",
    # kolektibilitas and reserve
    "kol_dpk_from",
    "kol_kl_from",
    "kol_d_from",
    "kol_m_from",
    "reserve_lancar",
    "reserve_dpk",
    "reserve_kl",
    "reserve_d",
    "reserve_m",
    # indicators
    "risk_instalments",
    "lar_good",
    "lar_fair",
    "par_good",
    "par_fair",
    "ccr_good",
    "ccr_fair",
    "roi_good",
    "roi_fair",
    "rr_good",
    "rr_fair",
    "cr_good",
    "cr_fair",
)
_INTEGER_FIELDS = {
    "min_members",
    "min_savings_months",
    "kol_dpk_from",
    "kol_kl_from",
    "kol_d_from",
    "kol_m_from",
    "risk_instalments",
}


def encode(values: dict[str, Any]) -> dict[str, str]:
    """Rule values as stored in a version (JSON: decimals as text, exact)."""
    return {k: str(v) for k, v in values.items()}


def decode(values: dict[str, str]) -> dict[str, Any]:
    return {k: int(v) if k in _INTEGER_FIELDS else Decimal(v) for k, v in values.items() if k in RULE_FIELDS}


def apply(base: UpkSettings, values: dict[str, str]) -> UpkSettings:
    """A copy of `base` with a version's rule values (the copy is never saved)."""
    rules = copy(base)
    for key, value in decode(values).items():
        setattr(rules, key, value)
    return rules


def rules_in_force(upk_ids: Iterable[int], on: date | None) -> dict[int, UpkSettings]:
    """Each UPK's rules in force on `on` (None: its first version, the
    settings row): the settings with the latest approved version effective
    by then laid over them. One query whatever the number of UPKs."""
    return rules_in_force_dates(upk_ids, [on])[on]


def rules_in_force_dates(
    upk_ids: Iterable[int], dates: Iterable[date | None]
) -> dict[date | None, dict[int, UpkSettings]]:
    """`rules_in_force` at several dates in one query (a version look-up per
    date on each settings row). A UPK whose rules are the same on every date
    gets the same object for each (the dashboard asks for five dates of
    1,000 UPKs)."""
    ids = list(upk_ids)
    days = list(dict.fromkeys(dates))
    rows = UpkSettings.objects.filter(upk_id__any_of=ids)
    annotations = {}
    for n, on in enumerate(days):
        if on is not None:
            latest = UpkRuleVersion.objects.filter(
                upk_id=OuterRef("upk_id"), status=ApprovalStatus.APPROVED, effective_from__lte=on
            ).order_by("-effective_from", "-pk")
            annotations[f"version_values_{n}"] = Subquery(latest.values("values")[:1])
    found = {s.upk_id: s for s in rows.annotate(**annotations)}
    result: dict[date | None, dict[int, UpkSettings]] = {on: {} for on in days}
    for i in ids:
        # UPKs never set up read with the defaults (unsaved instances).
        base = found.get(i) or UpkSettings(upk_id=i)
        for n, on in enumerate(days):
            values = getattr(base, f"version_values_{n}", None)
            result[on][i] = apply(base, values) if values else base
    return result
