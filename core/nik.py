"""NIK (Nomor Induk Kependudukan, the 16-digit number on the KTP): the one
place that says what a valid NIK is, how typed input becomes one, and how it
is shown to readers who may not see it whole.

Every reader and writer uses this module — BKM board members (`bkm.models`,
`bkm.forms`), KSM members (`upk.models`, `upk.forms`, `upk.services.registry`,
the book import), the history pages and the templates (`mask_nik` filter).
The database constraints (`boardmember_nik_16_digits`,
`upk_member_nik_16_digits`) say the same with `NIK_SQL_REGEX`.

ASCII digits only: Python's `\\d` and `str.isdigit()` also accept other
scripts' digits ("٣٢٧١…"), which PostgreSQL's `[0-9]` refuses — checked
that way the database would turn a typo into an error page instead of the
form's message.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

NIK_LENGTH = 16
NIK_SQL_REGEX = r"^[0-9]{16}$"  # the check constraints' pattern (PostgreSQL and Python read it alike)
NIK_INVALID = _("NIK harus 16 digit angka.")
_NIK_RE = re.compile(NIK_SQL_REGEX)

# Model fields' validator (full_clean, admin). Same pattern as the constraint.
nik_validator = RegexValidator(NIK_SQL_REGEX, NIK_INVALID, code="nik")


def normalize_nik(value: Any) -> str:
    """Typed or imported input as a NIK candidate: surrounding and inner
    whitespace removed (people type "3271 0101 …" as printed on the KTP);
    a number read from a spreadsheet cell loses its ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "".join(str(value).split())


def is_valid_nik(value: str) -> bool:
    """Exactly 16 ASCII digits (after `normalize_nik`)."""
    return bool(_NIK_RE.match(value or ""))


def clean_nik(value: Any, *, required: bool = True) -> str:
    """`normalize_nik`, then `ValidationError(NIK_INVALID, code="nik")`
    unless it is a valid NIK (or empty when not `required`)."""
    nik = normalize_nik(value)
    if not nik and not required:
        return ""
    if not is_valid_nik(nik):
        raise ValidationError(NIK_INVALID, code="nik")
    return nik


def mask_nik(nik: str | None) -> str:
    """A NIK for readers outside its holder: region code and last four digits only."""
    if not nik or len(nik) < 10:
        return nik or "—"
    return nik[:4] + "•" * (len(nik) - 8) + nik[-4:]


class NikField(forms.CharField):
    """The form field of a NIK: normalised and checked by `clean_nik`. A
    plain CharField underneath (max_length generous) so a 17-digit NIK gets
    the NIK message, not a length one."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("NIK"))
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        return clean_nik(value, required=self.required)
