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


def _previous_month() -> str:
    from django.utils import timezone

    from .registry import previous_month

    return previous_month(timezone.localdate())


class PeriodField(forms.CharField):
    """A month as "YYYY-MM" (an HTML month input); the value stays the string."""

    widget = forms.TextInput(attrs={"type": "month", "pattern": "[0-9]{4}-[0-9]{2}", "placeholder": "2026-03"})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Periode (bulan)"))
        kwargs.setdefault("initial", _previous_month)
        kwargs.setdefault("error_messages", {"required": _("Pilih bulan laporan.")})
        super().__init__(max_length=7, **kwargs)

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if value in (None, ""):
            return value
        from .selectors import parse_period

        try:
            year, month = parse_period(value)
        except ValueError:
            raise forms.ValidationError(_("Periode harus berbentuk TTTT-BB, mis. 2026-03."), code="period") from None
        from django.utils import timezone

        today = timezone.localdate()
        if (year, month) > (today.year, today.month):
            raise forms.ValidationError(_("Periode tidak boleh di masa depan."), code="future")
        return f"{year:04d}-{month:02d}"


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
