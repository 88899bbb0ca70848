from __future__ import annotations

from decimal import Decimal

from django import template

from core.money import format_rupiah

register = template.Library()


@register.filter
def rupiah(value: Decimal | int | None) -> str:
    return format_rupiah(value)
