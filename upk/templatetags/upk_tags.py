from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import template

from upk import receipts

register = template.Library()


@register.filter
def minus(value: Any, other: Any) -> Decimal:
    """value − other for money in templates (Django's `add` has no subtract)."""
    return Decimal(value or 0) - Decimal(other or 0)


@register.filter
def sections(report: Any) -> list[Any]:
    """Neraca → [aset, kewajiban, modal]; LabaRugi → [pendapatan, biaya]."""
    if hasattr(report, "assets"):
        return [report.assets, report.liabilities, report.equity]
    return [report.income, report.expense]


@register.filter
def lookup(mapping: Any, key: Any) -> Any:
    """`mapping[key]`, or "" (e.g. a KSM chair's phone from a dict the view read in one query)."""
    return (mapping or {}).get(key, "")


@register.simple_tag
def reminder_wa(
    *, upk: Any, ksm_name: str, loan_number: str, amount: int, until: date, n_arrears: int = 0, phone: str = ""
) -> str:
    """The `wa.me` link that sends the KSM chair a due-date or arrears reminder (upk/receipts.py)."""
    text = receipts.reminder_message(
        ksm_name=ksm_name, loan_number=loan_number, upk_name=upk.name, amount=amount, until=until, n_arrears=n_arrears
    )
    return receipts.wa_link(phone=phone or "", text=text)
