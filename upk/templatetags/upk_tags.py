from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

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
