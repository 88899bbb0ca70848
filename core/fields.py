"""The portal's one money input and one decimal (rate, area, score) input.

Users type numbers the way the portal prints them: "560.500", "Rp 560.500",
a rate as "1,5". Every form in the apps uses these two fields (directly, or
through `number_formfield` for fields built from a model), so the same
writing is accepted everywhere and prefilled values show as printed
("6.726.000", "1,5"). The widgets are text inputs with `inputmode` (numeric
or decimal keypad on a phone), never `type=number`, which refuses "560.500".
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .money import RupiahInputError, parse_rupiah
from .params import is_number

_GROUPED = re.compile(r"\d{1,3}(\.\d{3})+")


def parse_decimal(text: str) -> Decimal:
    """A decimal written the Indonesian way: "1,5", "1.250,75", "1.250" (one
    thousand two hundred fifty); a lone dot that is not thousands grouping is
    read as the decimal sign, as phones type it ("1.5"). ValueError otherwise."""
    cleaned = text.strip().replace(" ", "").replace("%", "")
    sign = ""
    if cleaned.startswith("-"):
        sign, cleaned = "-", cleaned[1:]
    whole, comma, fraction = cleaned.partition(",")
    if comma:
        if "," in fraction or not is_number(fraction):
            raise ValueError(text)
        if _GROUPED.fullmatch(whole):
            whole = whole.replace(".", "")
    elif _GROUPED.fullmatch(whole):
        whole = whole.replace(".", "")
    elif whole.count(".") == 1:
        whole, fraction = whole.split(".")
        if not is_number(fraction):
            raise ValueError(text)
    if not is_number(whole) or len(whole) > 20:
        raise ValueError(text)
    try:
        return Decimal(f"{sign}{whole}.{fraction or 0}")
    except InvalidOperation as exc:  # pragma: no cover - guarded by the digit checks
        raise ValueError(text) from exc


def format_decimal(value: Decimal | int, places: int | None = None) -> str:
    """`1.250,75`: dots group thousands, a comma before the decimals; trailing zeros dropped."""
    amount = Decimal(value)
    if places is not None:
        amount = amount.quantize(Decimal(1).scaleb(-places))
    text = f"{amount.normalize():f}" if amount == amount.to_integral_value() else f"{amount:f}".rstrip("0")
    whole, _dot, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    grouped = f"{int(whole.lstrip('-') or 0):,}".replace(",", ".")
    return f"{sign}{grouped},{fraction}" if fraction else f"{sign}{grouped}"


class RupiahField(forms.CharField):
    """Whole Rupiah: "1.500.000", "Rp 1.500.000" or "1500000"; sen are refused, never dropped."""

    def __init__(self, *, min_value: int | None = 0, max_value: int | None = None, **kwargs: Any) -> None:
        kwargs.pop("max_length", None)  # its validator would run on the Decimal
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "numeric")
        self.widget.attrs.setdefault("autocomplete", "off")
        self.widget.attrs.setdefault("maxlength", "30")
        self.widget.attrs.setdefault("placeholder", "1.500.000")
        if min_value is not None:
            self.validators.append(validators.MinValueValidator(Decimal(min_value)))
        if max_value is not None:
            self.validators.append(validators.MaxValueValidator(Decimal(max_value)))

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            return format_decimal(value, 0)
        return value

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_rupiah(text)
        except RupiahInputError as exc:
            if exc.code == "too_large":
                raise ValidationError(
                    _("«%(text)s» terlalu besar untuk jumlah Rupiah."), code="rupiah", params={"text": text[:30]}
                ) from exc
            raise ValidationError(
                _("«%(text)s» bukan Rupiah bulat. Tulis tanpa sen, mis. 1.500.000."),
                code="rupiah",
                params={"text": text[:30]},
            ) from exc


class DecimalNumberField(forms.CharField):
    """A rate, area or score: "1,5" (Indonesian) or "1.5"; at most `decimal_places` decimals."""

    def __init__(
        self,
        *,
        decimal_places: int = 2,
        max_digits: int | None = None,
        min_value: Decimal | int | None = None,
        max_value: Decimal | int | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("max_length", None)
        kwargs.setdefault("widget", forms.TextInput)
        self.decimal_places = decimal_places
        self.max_digits = max_digits
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")
        self.widget.attrs.setdefault("autocomplete", "off")
        self.widget.attrs.setdefault("maxlength", "30")
        if min_value is not None:
            self.validators.append(validators.MinValueValidator(Decimal(min_value)))
        if max_value is not None:
            self.validators.append(validators.MaxValueValidator(Decimal(max_value)))

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            return format_decimal(value)
        return value

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            number = parse_decimal(text)
        except ValueError:
            raise ValidationError(
                _("«%(text)s» bukan angka. Tulis mis. 1,5."), code="decimal", params={"text": text[:30]}
            ) from None
        exponent = number.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > self.decimal_places:
            raise ValidationError(
                _("«%(text)s» punya lebih dari %(places)s angka di belakang koma."),
                code="decimal_places",
                params={"text": text[:30], "places": self.decimal_places},
            )
        if self.max_digits is not None:
            whole_digits = len(str(abs(int(number))).lstrip("0"))
            if whole_digits > self.max_digits - self.decimal_places:
                raise ValidationError(_("«%(text)s» terlalu besar."), code="max_digits", params={"text": text[:30]})
        return number


def number_formfield(db_field: models.Field, **kwargs: Any) -> Any:
    """`formfield_callback` for forms built from models: a whole-Rupiah DecimalField
    becomes a `RupiahField`, any other DecimalField a `DecimalNumberField`."""
    if isinstance(db_field, models.DecimalField):
        common: dict[str, Any] = {
            "required": not db_field.blank,
            "label": kwargs.get("label", capfirst(db_field.verbose_name)),
            "help_text": db_field.help_text,
            "validators": [v for v in db_field.validators if not isinstance(v, validators.DecimalValidator)],
        }
        if db_field.has_default():
            common["initial"] = db_field.get_default()
        if db_field.decimal_places == 0:
            return RupiahField(min_value=None, **common)
        return DecimalNumberField(
            decimal_places=db_field.decimal_places, max_digits=db_field.max_digits, min_value=None, **common
        )
    return db_field.formfield(**kwargs)
