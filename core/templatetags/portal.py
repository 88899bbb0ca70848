from __future__ import annotations

from decimal import Decimal

from django import template

from core import links
from core.money import format_rupiah

register = template.Library()


@register.filter
def rupiah(value: Decimal | int | None) -> str:
    return format_rupiah(value)


@register.simple_tag
def id_url(name: str, *ids: int) -> str:
    """`{% url name id %}` for a row's whole-number ids, reversed once per name (core.links)."""
    return links.id_url(name, *ids)
