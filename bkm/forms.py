"""Forms of the registry screens. Validation messages are Indonesian.

Forms only shape input; the rules that must hold whoever writes (NIK format,
term order, one coordinator, file content) live in the models and services,
so the admin and demo data get them too.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.fields import DecimalNumberField, RupiahField, number_formfield
from core.nik import NikField

from .models import (
    BKM,
    OPD,
    AssessmentAspect,
    AuditRecord,
    BankAccount,
    BoardMember,
    Document,
    DocumentType,
    Election,
    Handover,
    Kelurahan,
    Proposal,
    ProposalStatus,
    RPLPItem,
    SlumArea,
    SlumMeasure,
    SlumMeasureUpdate,
    Unit,
    UnitPerson,
)
from .services import (
    BKM_CONTACT_FIELDS,
    BKM_PROFILE_FIELDS,
    PROPOSAL_EDIT_FIELDS,
    RPLP_ITEM_FIELDS,
    document_check_file,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _model_field(form: forms.BaseForm, name: str) -> Any:
    """A model choice field of the form, typed loosely so querysets can be narrowed."""
    return form.fields[name]


def _date_widgets(*names: str) -> dict[str, forms.Widget]:
    return {n: DateInput() for n in names}


# --- BKM ------------------------------------------------------------------------------


class BKMProfileForm(forms.ModelForm):
    class Meta:
        model = BKM
        fields = list(BKM_PROFILE_FIELDS)
        widgets = _date_widgets("date_formed", "akta_date", "ahu_date")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "kelurahan").queryset = Kelurahan.objects.select_related("kecamatan").order_by("name")


class BKMCreateForm(BKMProfileForm):
    class Meta(BKMProfileForm.Meta):
        fields = list(BKM_PROFILE_FIELDS + BKM_CONTACT_FIELDS)


class BKMContactsForm(forms.ModelForm):
    class Meta:
        model = BKM
        fields = list(BKM_CONTACT_FIELDS)
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}


class BoardMemberForm(forms.ModelForm):
    nik = NikField(required=False, help_text=_("16 digit angka sesuai KTP; boleh dikosongkan."))

    class Meta:
        model = BoardMember
        fields = ["name", "nik", "gender", "phone", "position", "term_start", "term_end", "election", "is_active"]
        widgets = _date_widgets("term_start", "term_end")

    def __init__(self, *args: Any, bkm: BKM, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "election").queryset = Election.objects.filter(bkm=bkm)
        _model_field(self, "election").empty_label = _("(belum dicatat)")


class ElectionForm(forms.ModelForm):
    class Meta:
        model = Election
        fields = ["election_date", "adults", "voters", "minutes"]
        widgets = {**_date_widgets("election_date"), "minutes": forms.Textarea(attrs={"rows": 4})}


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["unit_type", "name", "formed_on", "is_active"]
        widgets = _date_widgets("formed_on")


class UnitPersonForm(forms.ModelForm):
    class Meta:
        model = UnitPerson
        fields = ["unit", "name", "position", "gender", "phone", "start_date", "end_date", "is_active"]
        widgets = _date_widgets("start_date", "end_date")

    def __init__(self, *args: Any, bkm: BKM, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "unit").queryset = Unit.objects.filter(bkm=bkm).select_related("bkm")


class BankAccountForm(forms.ModelForm):
    class Meta:
        model = BankAccount
        fields = ["bank_name", "account_number", "account_holder", "purpose", "is_active"]


class HandoverForm(forms.ModelForm):
    asset_kas = RupiahField(label=_("Kas (Rp)"), required=False)
    asset_bank = RupiahField(label=_("Bank (Rp)"), required=False)
    asset_piutang_ksm = RupiahField(label=_("Piutang KSM (Rp)"), required=False)
    asset_inventaris = RupiahField(label=_("Inventaris (Rp)"), required=False)
    asset_infrastruktur = RupiahField(label=_("Infrastruktur (Rp)"), required=False)

    class Meta:
        model = Handover
        formfield_callback = staticmethod(number_formfield)
        fields = ["handover_date", "legal_basis", "berita_acara", *Handover.ASSET_FIELDS, "notes"]
        widgets = _date_widgets("handover_date")

    def __init__(self, *args: Any, bkm: BKM, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "berita_acara").queryset = Document.objects.filter(
            bkm=bkm, doc_type=DocumentType.BERITA_ACARA
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in Handover.ASSET_FIELDS:
            if data.get(name) is None and name not in self.errors:
                data[name] = Decimal(0)
        return data


class DocumentForm(forms.Form):
    doc_type = forms.ChoiceField(label=_("Jenis dokumen"), choices=DocumentType.choices)
    title = forms.CharField(label=_("Judul"), max_length=255)
    description = forms.CharField(label=_("Keterangan"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    file = forms.FileField(
        label=_("Berkas"), help_text=_("PDF, gambar atau dokumen kantor; ukuran dibatasi."), allow_empty_file=False
    )
    note = forms.CharField(label=_("Catatan versi"), required=False, max_length=255)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        document_check_file(upload=upload)
        return upload


class DocumentVersionForm(forms.Form):
    file = forms.FileField(label=_("Berkas versi baru"), allow_empty_file=False)
    note = forms.CharField(label=_("Catatan versi"), required=False, max_length=255)

    clean_file = DocumentForm.clean_file


class SlumAreaForm(forms.ModelForm):
    class Meta:
        model = SlumArea
        formfield_callback = staticmethod(number_formfield)
        fields = ["kelurahan", "name", "sk_number", "sk_year", "area_ha", "typology", "notes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "kelurahan").queryset = Kelurahan.objects.select_related("kecamatan").order_by("name")


class SlumMeasureForm(forms.ModelForm):
    class Meta:
        model = SlumMeasure
        formfield_callback = staticmethod(number_formfield)
        fields = [
            "year",
            "building",
            "roads",
            "drainage",
            "drinking_water",
            "wastewater",
            "solid_waste",
            "fire_protection",
            "notes",
        ]


class OPDForm(forms.ModelForm):
    class Meta:
        model = OPD
        fields = ["name", "acronym", "address", "contact_person", "phone"]
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}


class ProposalForm(forms.ModelForm):
    budget_proposed = RupiahField(label=_("Anggaran diusulkan (Rp)"))

    class Meta:
        model = Proposal
        formfield_callback = staticmethod(number_formfield)
        fields = list(PROPOSAL_EDIT_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, bkm: BKM, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "kelurahan").queryset = Kelurahan.objects.order_by("name")
        _model_field(self, "slum_area").queryset = SlumArea.objects.select_related("kelurahan").order_by("name")
        _model_field(self, "rplp_item").queryset = RPLPItem.objects.filter(bkm=bkm).order_by("year", "aspect", "title")
        if not self.instance.pk:
            self.initial.setdefault("kelurahan", bkm.kelurahan_id)


class RPLPItemForm(forms.ModelForm):
    budget = RupiahField(label=_("Perkiraan biaya (Rp)"))

    class Meta:
        model = RPLPItem
        formfield_callback = staticmethod(number_formfield)
        fields = list(RPLP_ITEM_FIELDS)
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, bkm: BKM, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "slum_area").queryset = SlumArea.objects.filter(kelurahan_id=bkm.kelurahan_id).order_by(
            "name"
        )


class ProposalTransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("Ubah status ke"), choices=ProposalStatus.choices)
    budget_approved = RupiahField(
        label=_("Anggaran disetujui (Rp)"), required=False, help_text=_("Wajib saat menyetujui usulan.")
    )
    note = forms.CharField(label=_("Catatan"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    # How the verification steps read to who takes them (the statuses keep their own names).
    STEP_LABELS: dict[str, Any] = {
        ProposalStatus.DIAJUKAN: _("Ajukan ke sekretariat POKJA-PKP untuk verifikasi"),
        ProposalStatus.DIKEMBALIKAN: _("Kembalikan ke BKM dengan catatan perbaikan"),
    }
    ACCEPT_LABEL = _("Terima: masuk alur usulan ke OPD (Diusulkan)")

    def __init__(self, *args: Any, allowed: list[str], current: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The select offers the allowed steps; the field still accepts every
        # status so a stale page reaches the service and gets its clear message.
        labels = {**dict(ProposalStatus.choices), **self.STEP_LABELS}
        if current == ProposalStatus.DIAJUKAN:
            labels[ProposalStatus.DIUSULKAN] = self.ACCEPT_LABEL
        self.fields["to_status"].widget.choices = [(s, labels[s]) for s in allowed]
        if allowed == [ProposalStatus.DIAJUKAN]:
            # The BKM's only step: no approved budget to give.
            del self.fields["budget_approved"]
            self.fields["note"].label = _("Catatan untuk sekretariat")


class VerifyForm(forms.Form):
    """The secretariat's decision on an LPJ or a measure update."""

    decision = forms.ChoiceField(
        label=_("Keputusan"),
        choices=[("terima", _("Terima")), ("kembalikan", _("Kembalikan ke BKM dengan catatan perbaikan"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Catatan"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    @property
    def accept(self) -> bool:
        return self.cleaned_data["decision"] == "terima"


class LPJForm(forms.Form):
    year = forms.IntegerField(label=_("Tahun laporan"), min_value=2000, max_value=2100)
    file = forms.FileField(label=_("Berkas LPJ"), allow_empty_file=False)
    note = forms.CharField(
        label=_("Catatan untuk sekretariat"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        document_check_file(upload=upload)
        return upload


class SlumMeasureUpdateForm(forms.ModelForm):
    note = forms.CharField(
        label=_("Catatan untuk sekretariat"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    class Meta:
        model = SlumMeasureUpdate
        formfield_callback = staticmethod(number_formfield)
        fields = [
            "year",
            "building",
            "roads",
            "drainage",
            "drinking_water",
            "wastewater",
            "solid_waste",
            "fire_protection",
        ]


class ProposalAttachmentForm(forms.Form):
    title = forms.CharField(label=_("Keterangan"), required=False, max_length=255)
    file = forms.FileField(label=_("Berkas"), allow_empty_file=False)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        document_check_file(upload=upload)
        return upload


class AssessmentForm(forms.Form):
    year = forms.IntegerField(label=_("Tahun"), min_value=2000, max_value=2100)
    assessed_on = forms.DateField(label=_("Tanggal penilaian"), required=False, widget=DateInput())
    assessor = forms.CharField(label=_("Penilai"), required=False, max_length=200)
    notes = forms.CharField(label=_("Catatan"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(
        self, *args: Any, aspects: list[AssessmentAspect], current: dict[int, tuple[Decimal, Decimal]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.aspects = aspects
        for aspect in aspects:
            weight, score = current.get(aspect.pk, (aspect.default_weight, None))
            self.fields[f"weight_{aspect.pk}"] = DecimalNumberField(
                label=_("Bobot %(aspect)s (%%)") % {"aspect": aspect.name},
                min_value=0,
                max_value=100,
                decimal_places=2,
                initial=weight,
            )
            self.fields[f"score_{aspect.pk}"] = DecimalNumberField(
                label=_("Nilai %(aspect)s (0–100)") % {"aspect": aspect.name},
                min_value=0,
                max_value=100,
                decimal_places=2,
                initial=score,
                help_text=aspect.description,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        weights: list[Decimal] = [w for a in self.aspects if (w := data.get(f"weight_{a.pk}")) is not None]
        if len(weights) == len(self.aspects):
            total = sum(weights, Decimal(0))
            if total != 100:
                raise ValidationError(
                    _("Jumlah bobot harus 100%%, sekarang %(sum)s%%.") % {"sum": total.normalize()}, code="weights"
                )
        return data

    def scores(self) -> dict[AssessmentAspect, tuple[Decimal, Decimal]]:
        return {a: (self.cleaned_data[f"weight_{a.pk}"], self.cleaned_data[f"score_{a.pk}"]) for a in self.aspects}

    def assessment_data(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("year", "assessed_on", "assessor", "notes")}


class AuditForm(forms.ModelForm):
    class Meta:
        model = AuditRecord
        fields = [
            "fiscal_year",
            "auditor",
            "audit_date",
            "opinion",
            "findings",
            "follow_up_status",
            "follow_up_notes",
            "report_document",
        ]
        widgets = {
            **_date_widgets("audit_date"),
            "findings": forms.Textarea(attrs={"rows": 3}),
            "follow_up_notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, bkm: BKM, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "report_document").queryset = Document.objects.filter(
            bkm=bkm, doc_type=DocumentType.LAPORAN_AUDIT
        )


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field if the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)


class GeoJSONUploadForm(forms.Form):
    """A kelurahan boundary or slum-area delineation: a GeoJSON file, checked by `bkm.geo` in the service."""

    file = forms.FileField(
        label=_("Berkas GeoJSON"),
        required=False,
        help_text=_(
            "Polygon/MultiPolygon atau FeatureCollection-nya, koordinat WGS84 (bujur, lintang) di dalam wilayah kota."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json,application/geo+json,application/json"}),
    )
    remove = forms.BooleanField(label=_("Hapus geometri yang tersimpan"), required=False)

    def clean_file(self) -> Any:
        from .geo import GeometryError, check_size

        upload = self.cleaned_data.get("file")
        if upload:
            try:
                check_size(upload.size)
            except GeometryError as exc:
                raise forms.ValidationError(str(exc)) from None
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("file") and not data.get("remove"):
            raise forms.ValidationError(_("Pilih berkas GeoJSON, atau centang hapus."))
        return data

    def geojson(self) -> bytes | None:
        """The uploaded bytes (checked against the size limit in `clean_file`), or None to remove."""
        if self.cleaned_data.get("remove") and not self.cleaned_data.get("file"):
            return None
        upload = self.cleaned_data["file"]
        return upload.read()
