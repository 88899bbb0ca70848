from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bkm.models import BKM, OPD, Proposal
from core.widgets import QuickClearableFileInput, QuickHiddenInput, QuickSelect

from .models import Category, FollowUpStatus, Meeting, ReportOutcome, RSVPResponse, WatchLevel


class MultipleFileInput(QuickClearableFileInput):
    # Written without the template engine when empty (core.widgets): the reply form of every thread page.
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"class": "form-control"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


BODY_WIDGET = forms.Textarea(
    attrs={
        "rows": 6,
        "class": "form-control forum-editor",
        "data-mention-url": "",
        "placeholder": _("Tulis dengan Markdown. Sebut anggota dengan @namapengguna."),
    }
)


class PostForm(forms.Form):
    body = forms.CharField(label=_("Isi"), widget=BODY_WIDGET, max_length=20_000)
    attachments = MultipleFileField(label=_("Lampiran (PDF, gambar, dokumen Office)"), required=False)
    quote_of = forms.IntegerField(widget=QuickHiddenInput, required=False)


class ThreadForm(PostForm):
    title = forms.CharField(label=_("Judul"), max_length=200, widget=forms.TextInput(attrs={"class": "form-control"}))
    bkm = forms.ModelChoiceField(
        label=_("Terkait BKM (opsional)"),
        queryset=BKM.objects.order_by("name"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    proposal = forms.ModelChoiceField(
        label=_("Terkait usulan kegiatan (opsional)"),
        queryset=Proposal.objects.order_by("-year", "title"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    field_order = ["title", "body", "bkm", "proposal", "attachments"]


class EditPostForm(forms.Form):
    body = forms.CharField(label=_("Isi"), widget=BODY_WIDGET, max_length=20_000)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Alasan"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"})
    )


class MoveForm(ReasonForm):
    category = forms.ModelChoiceField(
        label=_("Pindahkan ke kategori"),
        queryset=Category.objects.none(),
        # Shares a form with pin/lock/hide buttons; HTML "required" would block those.
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=_("Mengapa tulisan ini perlu ditinjau moderator?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class CloseReportForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Hasil"), choices=ReportOutcome.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    note = forms.CharField(
        label=_("Catatan"), required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"})
    )


class WatchForm(forms.Form):
    level = forms.ChoiceField(
        # On every thread page: written without the template engine (core.widgets).
        choices=WatchLevel.choices,
        widget=QuickSelect(attrs={"class": "form-select form-select-sm"}),
    )


class ProfileForm(forms.Form):
    default_watch_level = forms.ChoiceField(
        label=_("Tingkat mengikuti bawaan untuk topik yang Anda mulai atau balas"),
        choices=WatchLevel.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    daily_digest = forms.BooleanField(label=_("Kirim ringkasan harian lewat email"), required=False)


class MeetingForm(forms.ModelForm):
    starts_at = forms.DateTimeField(
        label=_("Mulai (WIB)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M"),
    )
    ends_at = forms.DateTimeField(
        label=_("Selesai (WIB)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M"),
    )
    thread_category = forms.ModelChoiceField(
        label=_("Buat topik diskusi di kategori (opsional)"),
        queryset=Category.objects.all(),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    class Meta:
        model = Meeting
        fields = ["title", "agenda", "starts_at", "ends_at", "place", "online_link", "invited_bkms"]
        widgets = {
            "title": forms.TextInput(attrs={"class": "form-control"}),
            "agenda": forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
            "place": forms.TextInput(attrs={"class": "form-control"}),
            "online_link": forms.URLInput(attrs={"class": "form-control"}),
            "invited_bkms": forms.SelectMultiple(attrs={"class": "form-select", "size": 8}),
        }

    def clean_online_link(self) -> str:
        link = self.cleaned_data.get("online_link") or ""
        if link and not link.lower().startswith(("https://", "http://")):
            raise forms.ValidationError(_("Tautan daring harus diawali https://"))
        return link


class RSVPForm(forms.Form):
    response = forms.ChoiceField(choices=RSVPResponse.choices)


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("Notulen"), required=False, widget=forms.Textarea(attrs={"rows": 8, "class": "form-control"})
    )


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("Keputusan"), widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))


class FollowUpForm(forms.Form):
    description = forms.CharField(
        label=_("Tindak lanjut"), widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"})
    )
    assignee_bkm = forms.ModelChoiceField(
        label=_("BKM"),
        queryset=BKM.objects.order_by("name"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    assignee_opd = forms.ModelChoiceField(
        label=_("atau OPD"),
        queryset=OPD.objects.all(),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    due_date = forms.DateField(
        label=_("Tenggat"), widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )


class FollowUpStatusForm(forms.Form):
    status = forms.ChoiceField(choices=FollowUpStatus.choices)


class AttendanceForm(forms.Form):
    attendees = forms.MultipleChoiceField(required=False)
