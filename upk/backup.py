"""The UPK ledger's part of a portal backup (core/backup.py's registry, registered in
`UpkConfig.ready()`): the manifest records every UPK's trial balance after its last posting;
verification after a restore compares it and checks that debits equal credits and that the
ledger's caches agree with their source rows (`selectors.ledger_drift`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bkm.models import Unit

from .selectors import ledger_drift, trial_balance

FAR_FUTURE = date(2100, 12, 31)  # trial balances "as of" after every possible posting


def trial_balances() -> dict[str, dict[str, Any]]:
    """Every UPK's trial balance after its last posting: totals and each account's debit/credit."""
    result = {}
    for unit in Unit.objects.filter(unit_type="upk").order_by("pk"):
        tb = trial_balance(upk=unit, as_of=FAR_FUTURE)
        result[str(unit.pk)] = {
            "debit": int(tb.total_debit),
            "credit": int(tb.total_credit),
            "accounts": {row.account.code: [int(row.debit), int(row.credit)] for row in tb.rows},
        }
    return result


def verify_trial_balances(expected_balances: dict[str, dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    balances = trial_balances()
    for upk_id, expected in expected_balances.items():
        actual = balances.get(upk_id)
        if actual != expected:
            problems.append(f"neraca saldo UPK {upk_id} berbeda dari cadangan")
        elif actual["debit"] != actual["credit"]:
            problems.append(f"neraca saldo UPK {upk_id} tidak seimbang: {actual['debit']} ≠ {actual['credit']}")
    for unit in Unit.objects.filter(unit_type="upk").order_by("pk"):
        problems += [f"UPK {unit.pk}: {p}" for p in ledger_drift(upk=unit)]
    return problems
