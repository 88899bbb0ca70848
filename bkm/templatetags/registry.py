from __future__ import annotations

from django import template

from core.nik import mask_nik as _mask_nik

register = template.Library()


@register.filter
def mask_nik(nik: str | None) -> str:
    return _mask_nik(nik or "")
