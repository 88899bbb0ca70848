"""Forms of the capacity-building pages; they clean input only (rules are in library_services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bkm.models import BKM, OPD, AssessmentAspect, Unit

from .models import MaterialCategory, Training

_TEXT = {"class": "form-control"}
_SELECT = {"class": "form-select"}


def _aspects_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=_("Aspek penilaian yang dikuatkan"),
        queryset=AssessmentAspect.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("BKM yang lemah pada aspek ini akan melihat saran ini di halamannya."),
    )


class MaterialForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("Kategori"), queryset=MaterialCategory.objects.all(), widget=forms.Select(attrs=_SELECT)
    )
    title = forms.CharField(label=_("Judul"), max_length=200, widget=forms.TextInput(attrs=_TEXT))
    description = forms.CharField(label=_("Uraian"), required=False, widget=forms.Textarea(attrs={**_TEXT, "rows": 4}))
    aspects = _aspects_field()

    def __init__(self, *args: Any, with_file: bool = True, with_archive: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["aspects"] = _aspects_field()
        if with_file:
            self.fields["file"] = forms.FileField(
                label=_("Berkas (PDF, Word, Excel, PowerPoint, OpenDocument)"),
                widget=forms.ClearableFileInput(attrs=_TEXT),
            )
            self.fields["note"] = forms.CharField(
                label=_("Catatan versi"), max_length=255, required=False, widget=forms.TextInput(attrs=_TEXT)
            )
        if with_archive:
            self.fields["is_archived"] = forms.BooleanField(
                label=_("Arsipkan (tidak tampil bagi pembaca)"), required=False
            )


class MaterialVersionForm(forms.Form):
    file = forms.FileField(label=_("Berkas versi baru"), widget=forms.ClearableFileInput(attrs=_TEXT))
    note = forms.CharField(
        label=_("Catatan versi (apa yang berubah)"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs=_TEXT),
    )


class TrainingForm(forms.ModelForm):
    starts_on = forms.DateField(
        label=_("Tanggal mulai"), widget=forms.DateInput(attrs={**_TEXT, "type": "date"}, format="%Y-%m-%d")
    )
    ends_on = forms.DateField(
        label=_("Tanggal selesai"),
        required=False,
        widget=forms.DateInput(attrs={**_TEXT, "type": "date"}, format="%Y-%m-%d"),
    )
    organiser_opd = forms.ModelChoiceField(
        label=_("Penyelenggara"),
        queryset=OPD.objects.order_by("name"),
        required=False,
        empty_label=_("Bappedalitbang"),
        widget=forms.Select(attrs=_SELECT),
    )
    aspects = _aspects_field()

    class Meta:
        model = Training
        fields = [
            "title",
            "topic",
            "aspects",
            "description",
            "starts_on",
            "ends_on",
            "place",
            "organiser_opd",
            "capacity",
        ]
        widgets = {
            "title": forms.TextInput(attrs=_TEXT),
            "topic": forms.TextInput(attrs=_TEXT),
            "description": forms.Textarea(attrs={**_TEXT, "rows": 3}),
            "place": forms.TextInput(attrs=_TEXT),
            "capacity": forms.NumberInput(attrs={**_TEXT, "min": 1}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["aspects"] = _aspects_field()


class ParticipantForm(forms.Form):
    bkm = forms.ModelChoiceField(label=_("BKM"), queryset=BKM.objects.none(), widget=forms.Select(attrs=_SELECT))
    unit = forms.ModelChoiceField(
        label=_("Unit (opsional)"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("BKM (tanpa unit)"),
        widget=forms.Select(attrs=_SELECT),
    )
    name = forms.CharField(label=_("Nama peserta"), max_length=150, widget=forms.TextInput(attrs=_TEXT))
    position = forms.CharField(label=_("Jabatan"), max_length=100, required=False, widget=forms.TextInput(attrs=_TEXT))

    def __init__(self, *args: Any, bkms: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["bkm"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = bkms.order_by("name")
        units = self.fields["unit"]
        assert isinstance(units, forms.ModelChoiceField)
        units.queryset = Unit.objects.filter(bkm__in=bkms).select_related("bkm").order_by("bkm__name", "unit_type")
        if bkms.count() == 1:
            field.initial = bkms.first()
