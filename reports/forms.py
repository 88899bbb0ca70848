from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from bkm.models import BKM, Kecamatan


class ReportParamsForm(forms.Form):
    """Base of every report's parameter form; knows the asking user to narrow choices."""

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def to_params(self) -> dict[str, Any]:
        """JSON-safe parameters: model choices as ids, empty values left out."""
        params: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if value in (None, ""):
                continue
            params[name] = value.pk if isinstance(value, Model) else value
        return params

    @classmethod
    def from_params(cls, params: dict[str, Any], *, user: Any = None) -> ReportParamsForm:
        return cls(data={k: v for k, v in params.items() if v is not None}, user=user)


def kecamatan_field(**kwargs: Any) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Kecamatan.objects.order_by("name"),
        required=False,
        label=_("Kecamatan"),
        empty_label=_("Semua kecamatan"),
        **kwargs,
    )


def bkm_field(**kwargs: Any) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=BKM.objects.select_related("kelurahan").order_by("name"),
        required=False,
        label=_("BKM/LKM"),
        **kwargs,
    )


class AcknowledgeWarningForm(forms.Form):
    key = forms.CharField(max_length=200, widget=forms.HiddenInput)
    subject = forms.CharField(max_length=300, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Catatan tindak lanjut"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Tuliskan catatan tindak lanjut.")},
    )


def describe_parameters(form_class: type[ReportParamsForm], params: dict[str, Any]) -> list[tuple[str, str]]:
    """Human labels for stored parameters: field labels, and names instead of ids."""
    form = form_class()
    rows = []
    for name, value in params.items():
        field = form.fields.get(name)
        shown = str(value)
        if isinstance(field, forms.ModelChoiceField):
            obj = field.queryset.filter(pk=value).first()  # type: ignore[union-attr]
            shown = str(obj) if obj is not None else f"#{value}"
        rows.append((str(field.label) if field and field.label else name, shown))
    return rows
