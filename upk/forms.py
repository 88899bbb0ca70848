"""Forms of the UPK screens. They only parse input; the services decide.

Forms that post money carry an `idempotency_key` hidden field, generated when
the form is first rendered, so a double submit (double click, retry, back
button) reaches the service with the same key and posts once. The key is
issued by the server for the user and the UPK (`upk/ledger/idempotency.py`):
one sent back by another user or to another UPK is refused.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from bkm.models import Kelurahan
from core.fields import RupiahField, number_formfield
from core.nik import NikField

from .ledger.errors import LedgerError
from .ledger.idempotency import form_key_issue, form_key_open
from .models import Account, AccountKind, Channel, Gender, KSMMember, LoanProduct


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


CASH_CHANNELS = [(Channel.KAS, Channel.KAS.label), (Channel.BANK, Channel.BANK.label)]


class KeyedForm(forms.Form):
    """A form posting money: hidden idempotency key issued at first render for `actor` and `upk_id`;
    `cleaned_data["idempotency_key"]` is the key the services store (see `form_key_open`)."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80, required=False)

    def __init__(self, *args: Any, actor: Any, upk_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_owner = {"actor_id": actor.pk, "upk_id": upk_id}
        if not self.is_bound:
            self.initial["idempotency_key"] = form_key_issue(**self.key_owner)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            cleaned["idempotency_key"] = form_key_open(cleaned.get("idempotency_key", ""), **self.key_owner)
        except LedgerError as exc:
            self.add_error(None, exc.messages)
            # The page shown again carries a key of this user's own, so the next send can post.
            data = self.data.copy() if isinstance(self.data, QueryDict) else dict(self.data)
            data[self.add_prefix("idempotency_key")] = form_key_issue(**self.key_owner)
            self.data = data
        return cleaned


class KSMForm(forms.Form):
    code = forms.CharField(label=_("Kode KSM"), max_length=30)
    name = forms.CharField(label=_("Nama KSM"), max_length=200)
    kelurahan = forms.ModelChoiceField(label=_("Kelurahan"), queryset=Kelurahan.objects.order_by("name"))
    rt = forms.CharField(label=_("RT"), max_length=10, required=False)
    formed_on = forms.DateField(label=_("Tanggal pembentukan"), widget=DateInput())


class MemberForm(forms.Form):
    nik = NikField()
    name = forms.CharField(label=_("Nama"), max_length=200)
    gender = forms.ChoiceField(label=_("Jenis kelamin"), choices=Gender.choices)
    address = forms.CharField(label=_("Alamat"), max_length=255, required=False)
    is_poor = forms.BooleanField(label=_("Keluarga miskin (PS2)"), required=False, initial=True)
    business = forms.CharField(label=_("Usaha"), max_length=200, required=False)


class SavingsForm(KeyedForm):
    kind = forms.ChoiceField(label=_("Jenis"), choices=[("deposit", _("Setoran")), ("withdrawal", _("Penarikan"))])
    amount = RupiahField(label=_("Jumlah"))
    date = forms.DateField(label=_("Tanggal"), widget=DateInput())
    channel = forms.ChoiceField(label=_("Kas/Bank"), choices=CASH_CHANNELS)


class LoanApplyForm(forms.Form):
    """KSM, product, term and one amount field per active member (`m_<pk>`)."""

    product = forms.ModelChoiceField(label=_("Produk pinjaman"), queryset=LoanProduct.objects.none())
    term_months = forms.IntegerField(label=_("Jangka (bulan)"), min_value=1, max_value=24, initial=12)
    applied_on = forms.DateField(label=_("Tanggal pengajuan"), widget=DateInput())
    purpose = forms.CharField(label=_("Tujuan penggunaan"), max_length=255, required=False)

    def __init__(self, *args: Any, upk: Any, members: list[KSMMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = LoanProduct.objects.filter(upk=upk, is_active=True)  # type: ignore[attr-defined]
        self.members = members
        for m in members:
            self.fields[f"m_{m.pk}"] = RupiahField(label=m.name, required=False)

    def member_amounts(self) -> dict[int, Any]:
        return {m.pk: self.cleaned_data.get(f"m_{m.pk}") or 0 for m in self.members}


class LoanDecideForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("Putusan"),
        choices=[("1", _("Setujui")), ("0", _("Tolak"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    decided_on = forms.DateField(label=_("Tanggal putusan"), widget=DateInput())
    reason = forms.CharField(label=_("Alasan (wajib jika ditolak)"), required=False, widget=forms.Textarea({"rows": 2}))


class LoanDisburseForm(forms.Form):
    disbursed_on = forms.DateField(label=_("Tanggal pencairan"), widget=DateInput())
    via = forms.ChoiceField(label=_("Dicairkan lewat"), choices=CASH_CHANNELS)
    first_due_date = forms.DateField(
        label=_("Jatuh tempo pertama (kosong = otomatis)"), required=False, widget=DateInput()
    )


class RepaymentForm(KeyedForm):
    amount = RupiahField(label=_("Jumlah bayar"))
    paid_on = forms.DateField(label=_("Tanggal bayar"), widget=DateInput())
    channel = forms.ChoiceField(label=_("Kas/Bank"), choices=CASH_CHANNELS)

    def __init__(self, *args: Any, loan_members: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loan_members = loan_members or []
        for lm in self.loan_members:
            self.fields[f"lm_{lm.pk}"] = RupiahField(
                label=_("Bagian %(name)s (opsional)") % {"name": lm.member.name}, required=False
            )

    def member_split(self) -> dict[int, Any] | None:
        split = {lm.pk: self.cleaned_data.get(f"lm_{lm.pk}") for lm in self.loan_members}
        if not any(v for v in split.values()):
            return None
        return {k: v or 0 for k, v in split.items()}


class SavingsCoverForm(KeyedForm):
    """Arrears paid from the KSM's joint-liability savings, by UPK decision."""

    amount = RupiahField(label=_("Jumlah diambil dari tabungan"))
    date = forms.DateField(label=_("Tanggal"), widget=DateInput())
    decision = forms.CharField(
        label=_("Keputusan UPK (nomor/tanggal dan alasan)"), max_length=255, widget=forms.Textarea({"rows": 2})
    )
    confirm = forms.BooleanField(
        label=_("Saya memastikan penggunaan tabungan KSM ini sudah diputuskan UPK (tanggung renteng)."),
        error_messages={"required": _("Centang konfirmasi keputusan UPK.")},
    )


class ReversalForm(forms.Form):
    reversed_on = forms.DateField(label=_("Tanggal pembatalan"), widget=DateInput())
    reason = forms.CharField(label=_("Alasan pembatalan"), widget=forms.Textarea({"rows": 3}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Alasan"), widget=forms.Textarea({"rows": 3}))


class DecisionForm(forms.Form):
    """Staff approval of a reschedule or a write-off."""

    approve = forms.TypedChoiceField(
        label=_("Putusan"),
        choices=[("1", _("Setujui")), ("0", _("Tolak"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Alasan (wajib jika ditolak)"), required=False, widget=forms.Textarea({"rows": 2}))


class RescheduleForm(forms.Form):
    effective_on = forms.DateField(label=_("Berlaku mulai"), widget=DateInput())
    term_months = forms.IntegerField(label=_("Jangka baru (bulan)"), min_value=1, max_value=24)
    reason = forms.CharField(label=_("Alasan"), widget=forms.Textarea({"rows": 3}))


class WriteOffForm(forms.Form):
    proposed_on = forms.DateField(label=_("Tanggal usulan"), widget=DateInput())
    reason = forms.CharField(label=_("Alasan"), widget=forms.Textarea({"rows": 3}))


class RecoveryForm(KeyedForm):
    amount = RupiahField(label=_("Jumlah diterima"))
    received_on = forms.DateField(label=_("Tanggal terima"), widget=DateInput())
    channel = forms.ChoiceField(label=_("Kas/Bank"), choices=CASH_CHANNELS)


class CashVoucherForm(KeyedForm):
    account: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Akun lawan"), queryset=Account.objects.none())
    amount = RupiahField(label=_("Jumlah"))
    date = forms.DateField(label=_("Tanggal"), widget=DateInput())
    description = forms.CharField(label=_("Uraian"), max_length=255)
    channel = forms.ChoiceField(label=_("Kas/Bank"), choices=CASH_CHANNELS)

    def __init__(self, *args: Any, accounts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts  # type: ignore[attr-defined]


class CapitalForm(CashVoucherForm):
    pass


class ReserveForm(KeyedForm):
    date = forms.DateField(label=_("Tanggal penyesuaian"), widget=DateInput())


class YearEndForm(forms.Form):
    year = forms.IntegerField(label=_("Tahun buku"), min_value=2000, max_value=2100)


class MonthForm(forms.Form):
    year = forms.IntegerField(label=_("Tahun"), min_value=2000, max_value=2100)
    month = forms.IntegerField(label=_("Bulan"), min_value=1, max_value=12)


class ReopenForm(MonthForm):
    reason = forms.CharField(label=_("Alasan membuka kembali"), widget=forms.Textarea({"rows": 2}))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Berkas XLSX atau CSV"))
    dry_run = forms.BooleanField(label=_("Periksa saja, jangan catat"), required=False)


INCOME_EXPENSE = [AccountKind.INCOME, AccountKind.EXPENSE]


# --- Configuration (products, rules, chart of accounts) -----------------------------------------
# Plain forms built from the model fields: the services validate the whole
# object (e.g. bucket order, year-end split) and return Indonesian messages.


class ProductForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django.forms.models import fields_for_model

        from .services.registry import PRODUCT_TERMS

        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(LoanProduct, fields=PRODUCT_TERMS, formfield_callback=number_formfield))


class UpkSettingsForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django.forms.models import fields_for_model

        from .models import UpkSettings
        from .services.settings import SETTINGS_FIELDS

        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(UpkSettings, fields=SETTINGS_FIELDS, formfield_callback=number_formfield))


class AccountCreateForm(forms.Form):
    code = forms.CharField(label=_("kode"), max_length=10)
    name = forms.CharField(label=_("nama akun"), max_length=120)
    kind = forms.ChoiceField(label=_("golongan"), choices=AccountKind.choices)
    is_contra = forms.BooleanField(label=_("akun lawan (saldo normal terbalik)"), required=False)


class AccountRenameForm(forms.Form):
    name = forms.CharField(label=_("nama akun"), max_length=120)


class KSMEditForm(KSMForm):
    reason = forms.CharField(label=_("Alasan perubahan"), max_length=100, required=False)


class MemberEditForm(MemberForm):
    reason = forms.CharField(label=_("Alasan perubahan"), max_length=100, required=False)


class ActiveForm(forms.Form):
    """Deactivate or reactivate a KSM or a member, with the reason."""

    active = forms.TypedChoiceField(
        label=_("Status"),
        choices=[("0", _("Nonaktifkan")), ("1", _("Aktifkan kembali"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Alasan"), max_length=100)


class KSMChairForm(forms.Form):
    """The KSM chair's contact (receipts and reminders go there by WhatsApp)."""

    chair_name = forms.CharField(label=_("Nama ketua KSM"), max_length=200, required=False)
    chair_phone = forms.CharField(
        label=_("Nomor WhatsApp ketua"),
        max_length=30,
        required=False,
        help_text=_("Misalnya 0812 3456 7890; disimpan sebagai 62…"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
