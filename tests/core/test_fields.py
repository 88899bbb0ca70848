"""The one money input and the one decimal input every form uses."""

from __future__ import annotations

import inspect
from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError

from core.fields import DecimalNumberField, RupiahField, format_decimal, number_formfield, parse_decimal


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1,5", Decimal("1.5")),
        ("1.5", Decimal("1.5")),
        ("0,25", Decimal("0.25")),
        ("1.250,75", Decimal("1250.75")),
        ("1.250", Decimal(1250)),
        ("12", Decimal(12)),
        (" 2,5 % ", Decimal("2.5")),
        ("-3,5", Decimal("-3.5")),
    ],
)
def test_parse_decimal_reads_indonesian_and_phone_writing(text, number):
    assert parse_decimal(text) == number


@pytest.mark.parametrize("text", ["", "abc", "1,5,5", "1,", "1.2.3", "1,5e3", "1..5"])
def test_parse_decimal_refuses_garbage(text):
    with pytest.raises(ValueError):
        parse_decimal(text)


def test_format_decimal_groups_thousands_and_uses_the_comma():
    assert format_decimal(Decimal("1.5000")) == "1,5"
    assert format_decimal(Decimal("1250.75")) == "1.250,75"
    assert format_decimal(6_726_000) == "6.726.000"
    assert format_decimal(Decimal("6726000.4"), 0) == "6.726.000"


def test_rupiahfield_message_repeats_what_was_typed():
    with pytest.raises(ValidationError) as exc:
        RupiahField().clean("150.000,50")
    assert exc.value.messages == ["«150.000,50» bukan Rupiah bulat. Tulis tanpa sen, mis. 1.500.000."]


def test_rupiahfield_is_a_phone_keypad_text_input_not_type_number():
    widget_html = RupiahField().widget.render("amount", Decimal(6_726_000))
    assert 'type="text"' in widget_html and 'inputmode="numeric"' in widget_html
    assert 'value="6.726.000"' in RupiahField().widget.render("amount", RupiahField().prepare_value(Decimal(6_726_000)))
    assert 'inputmode="decimal"' in DecimalNumberField().widget.render("rate", "1,5")


def test_decimalnumberfield_accepts_comma_and_limits_places():
    field = DecimalNumberField(decimal_places=2, max_digits=5, min_value=0, max_value=100)
    assert field.clean("1,5") == Decimal("1.5")
    assert field.prepare_value(Decimal("12.50")) == "12,5"
    for text, message in [
        ("1,555", "«1,555» punya lebih dari 2 angka di belakang koma."),
        ("satu", "«satu» bukan angka. Tulis mis. 1,5."),
        ("1.000", "«1.000» terlalu besar."),
        ("100,5", "Pastikan nilai ini lebih kecil dari atau sama dengan 100."),
    ]:
        with pytest.raises(ValidationError) as exc:
            field.clean(text)
        assert exc.value.messages == [message]


@pytest.mark.django_db
def test_number_formfield_maps_money_and_rates_from_models():
    from upk.models import LoanProduct

    rate = number_formfield(LoanProduct._meta.get_field("jasa_rate"))
    fee = number_formfield(LoanProduct._meta.get_field("late_fee_amount"))
    name = number_formfield(LoanProduct._meta.get_field("name"))
    assert isinstance(rate, DecimalNumberField) and rate.decimal_places == 4
    assert isinstance(fee, RupiahField) and fee.prepare_value(Decimal(5000)) == "5.000"
    assert isinstance(name, forms.CharField) and not isinstance(name, RupiahField)
    assert rate.clean("1,5") == Decimal("1.5")
    with pytest.raises(ValidationError):
        rate.clean("-1")  # the model's MinValueValidator(0) is kept


def _form_fields():
    """Every field of every form class in the apps, dynamic ones built with sample arguments."""
    from bkm import forms as bkm_forms
    from forum import forms as forum_forms
    from reports import forms as reports_forms
    from upk import forms as upk_forms

    for module in (bkm_forms, upk_forms, forum_forms, reports_forms):
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                for field_name, field in cls.base_fields.items():
                    yield f"{module.__name__}.{name}.{field_name}", field
    for name, form in (("ProductForm", upk_forms.ProductForm()), ("UpkSettingsForm", upk_forms.UpkSettingsForm())):
        for field_name, field in form.fields.items():
            yield f"upk.forms.{name}.{field_name}", field


@pytest.mark.django_db
def test_no_form_in_the_apps_uses_a_bare_decimal_field_or_a_number_input():
    offenders = [
        name
        for name, field in _form_fields()
        if isinstance(field, forms.DecimalField | forms.FloatField)
        or isinstance(field.widget, forms.NumberInput)
        and not isinstance(field, forms.IntegerField)
    ]
    assert offenders == []


@pytest.mark.parametrize("text", ["²", "1,²", "١٢", "１.５"])
def test_rupiahfield_and_parse_decimal_refuse_digits_that_are_not_0_to_9(text):
    with pytest.raises(ValidationError):
        RupiahField().clean(text)
    with pytest.raises(ValueError):
        parse_decimal(text)


def test_is_number_accepts_only_ascii_digits():
    from core.params import is_number

    assert is_number("0123456789")
    assert not any(is_number(t) for t in ("", "²", "①", "١٢", "１２", "-1", "1.5", " 1"))
