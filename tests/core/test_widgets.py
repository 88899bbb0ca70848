"""core.widgets write the HTML Django's widget templates write."""

from __future__ import annotations

import pytest
from django import forms
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from core.widgets import QuickClearableFileInput, QuickHiddenInput, QuickSelect, QuickTextInput

CHOICES = [
    ("", gettext_lazy("Semua jenis")),
    ("a", "Satu & dua"),
    (3, 1500),
    ('x"y', mark_safe("<b>aman</b>")),
]
GROUPED = [("", "—"), ("Kelompok <1>", [("p", "P"), ("q", "Q")]), ("r", "R")]


def _pair(quick, django, *, name, value, attrs=None):
    return quick.render(name, value, attrs), django.render(name, value, attrs)


@pytest.mark.parametrize("choices", [CHOICES, GROUPED, []])
@pytest.mark.parametrize("value", [None, "", "a", 3, ["a", "q"], "tidak-ada"])
@pytest.mark.parametrize(
    "attrs",
    [None, {"class": "form-select form-select-sm", "id": "id_x", "required": True, "disabled": False, "data-q": '"'}],
)
def test_quick_select_is_djangos_select(choices, value, attrs):
    ours, django = _pair(
        QuickSelect(choices=choices), forms.Select(choices=choices), name="jenis", value=value, attrs=attrs
    )
    assert ours == django


def test_quick_select_in_a_form_field_with_model_like_choices():
    class F(forms.Form):
        kind = forms.ChoiceField(choices=CHOICES, widget=QuickSelect(attrs={"class": "c"}), required=False)
        plain = forms.ChoiceField(choices=CHOICES, widget=forms.Select(attrs={"class": "c"}), required=False)

    form = F({"kind": "a", "plain": "a"})
    assert str(form["kind"]).replace("kind", "plain") == str(form["plain"])


@pytest.mark.parametrize("value", [None, "", "pinjaman <b>", 12345, mark_safe("&amp;")])
def test_quick_text_input_is_djangos_text_input(value):
    attrs = {"class": "form-control form-control-sm", "id": "id_q", "required": False, "autofocus": True}
    ours, django = _pair(
        QuickTextInput(attrs={"maxlength": 200}),
        forms.TextInput(attrs={"maxlength": 200}),
        name="q",
        value=value,
        attrs=attrs,
    )
    assert ours == django


@pytest.mark.parametrize("value", [None, "", "12", 12345, "<x>"])
def test_quick_hidden_input_is_djangos_hidden_input(value):
    attrs = {"id": "id_quote_of"}
    ours, django = _pair(QuickHiddenInput(), forms.HiddenInput(), name="quote_of", value=value, attrs=attrs)
    assert ours == django


class _Multiple(QuickClearableFileInput):
    allow_multiple_selected = True


class _DjangoMultiple(forms.ClearableFileInput):
    allow_multiple_selected = True


@pytest.mark.parametrize("attrs", [None, {"id": "id_attachments", "required": False}, {"required": True}])
def test_quick_clearable_file_input_without_a_file_is_djangos(attrs):
    for quick, django in ((QuickClearableFileInput(), forms.ClearableFileInput()), (_Multiple(), _DjangoMultiple())):
        quick.attrs = django.attrs = {"class": "form-control"}
        ours, theirs = _pair(quick, django, name="attachments", value=None, attrs=attrs)
        assert ours == theirs
