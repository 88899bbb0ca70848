"""KSMs, their members and the UPK's loan products: create, correct,
(de)activate. The history (django-simple-history) keeps who changed what.

Public API (keyword-only arguments):
    ksm_create(*, upk, code, name, kelurahan, formed_on, actor, rt="") -> KSM
    ksm_update(*, ksm, actor, reason="", **fields) -> KSM
    ksm_set_active(*, ksm, active, actor, reason) -> KSM
    ksm_chair_update(*, ksm, actor, chair_name, chair_phone) -> KSM
    ksm_member_add(*, ksm, nik, name, gender, actor, address="", is_poor=True, business="") -> KSMMember
    ksm_member_update(*, member, actor, reason="", **fields) -> KSMMember
    ksm_member_set_active(*, member, active, actor, reason) -> KSMMember
    product_create(*, upk, name, actor, **terms) -> LoanProduct
    product_update(*, product, actor, **terms) -> LoanProduct
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from .. import permissions
from ..ledger.actors import Actor
from ..ledger.errors import LedgerError
from ..models import (
    KSM,
    LIVE_STATUSES,
    Gender,
    KSMMember,
    LoanMember,
    LoanProduct,
    LoanStatus,
)

if TYPE_CHECKING:
    from bkm.models import Kelurahan, Unit
from core.nik import NIK_INVALID, is_valid_nik, normalize_nik

from .history import save_with_history


def ksm_create(
    *, upk: Unit, code: str, name: str, kelurahan: Kelurahan, formed_on: date, actor: Actor, rt: str = ""
) -> KSM:
    actor = permissions.check_post(actor, upk)
    code = code.strip()
    if KSM.objects.filter(upk=upk, code=code).exists():
        raise LedgerError(_("Kode KSM %(code)s sudah dipakai di UPK ini.") % {"code": code})
    ksm = KSM(upk=upk, code=code, name=name.strip(), kelurahan=kelurahan, rt=rt, formed_on=formed_on)
    save_with_history(ksm, actor, _("KSM dibentuk"))
    return ksm


_OPEN_LOAN_STATUSES = (LoanStatus.APPLIED, LoanStatus.APPROVED, *LIVE_STATUSES)


KSM_EDIT_FIELDS = ("code", "name", "kelurahan", "rt", "formed_on")


MEMBER_EDIT_FIELDS = ("nik", "name", "gender", "address", "is_poor", "business")


@transaction.atomic
def ksm_update(*, ksm: KSM, actor: Actor, reason: str = "", **fields: Any) -> KSM:
    """Correct a KSM's data (`KSM_EDIT_FIELDS`); the history keeps the old values."""
    actor = permissions.check_post(actor, ksm.upk_id)
    unknown = set(fields) - set(KSM_EDIT_FIELDS)
    if unknown:
        raise LedgerError(_("Isian tidak dikenal: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    ksm = KSM.objects.select_for_update().get(pk=ksm.pk)
    if "code" in fields:
        fields["code"] = str(fields["code"]).strip()
        if not fields["code"]:
            raise LedgerError(_("Kode KSM wajib diisi."))
        if KSM.objects.filter(upk_id=ksm.upk_id, code=fields["code"]).exclude(pk=ksm.pk).exists():
            raise LedgerError(_("Kode KSM %(code)s sudah dipakai di UPK ini.") % {"code": fields["code"]})
    if "name" in fields:
        fields["name"] = str(fields["name"]).strip()
        if not fields["name"]:
            raise LedgerError(_("Nama KSM wajib diisi."))
    for key, value in fields.items():
        setattr(ksm, key, value)
    save_with_history(ksm, actor, reason or _("Data KSM diubah"))
    return ksm


@transaction.atomic
def ksm_set_active(*, ksm: KSM, active: bool, actor: Actor, reason: str) -> KSM:
    """Deactivate (or reactivate) a KSM, with a reason. A KSM with a loan
    applied, approved or running stays active."""
    actor = permissions.check_post(actor, ksm.upk_id)
    if not (reason or "").strip():
        raise LedgerError(_("Alasan wajib diisi."))
    ksm = KSM.objects.select_for_update().get(pk=ksm.pk)
    if not active and ksm.loans.filter(status__in=_OPEN_LOAN_STATUSES).exists():
        raise LedgerError(
            _("KSM %(ksm)s masih punya pinjaman berjalan; tidak dapat dinonaktifkan.") % {"ksm": ksm.name}
        )
    ksm.is_active = active
    save_with_history(ksm, actor, reason.strip(), update_fields=["is_active"])
    return ksm


@transaction.atomic
def ksm_member_update(*, member: KSMMember, actor: Actor, reason: str = "", **fields: Any) -> KSMMember:
    """Correct a member's data (`MEMBER_EDIT_FIELDS`); the history keeps the old values."""
    actor = permissions.check_post(actor, member.ksm.upk_id)
    unknown = set(fields) - set(MEMBER_EDIT_FIELDS)
    if unknown:
        raise LedgerError(_("Isian tidak dikenal: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    member = KSMMember.objects.select_for_update().get(pk=member.pk)
    if "nik" in fields:
        fields["nik"] = normalize_nik(fields["nik"])
        if not is_valid_nik(fields["nik"]):
            raise LedgerError(str(NIK_INVALID))
        if KSMMember.objects.filter(ksm_id=member.ksm_id, nik=fields["nik"]).exclude(pk=member.pk).exists():
            raise LedgerError(_("NIK %(nik)s sudah terdaftar di KSM ini.") % {"nik": fields["nik"]})
    if "gender" in fields and fields["gender"] not in Gender.values:
        raise LedgerError(_("Jenis kelamin harus L atau P."))
    if "name" in fields:
        fields["name"] = str(fields["name"]).strip()
        if not fields["name"]:
            raise LedgerError(_("Nama anggota wajib diisi."))
    for key, value in fields.items():
        setattr(member, key, value)
    save_with_history(member, actor, reason or _("Data anggota diubah"))
    return member


@transaction.atomic
def ksm_member_set_active(*, member: KSMMember, active: bool, actor: Actor, reason: str) -> KSMMember:
    """Deactivate (or reactivate) a member, with a reason. A member sharing a
    loan applied, approved or running stays active (joint liability)."""
    actor = permissions.check_post(actor, member.ksm.upk_id)
    if not (reason or "").strip():
        raise LedgerError(_("Alasan wajib diisi."))
    member = KSMMember.objects.select_for_update().get(pk=member.pk)
    if not active and LoanMember.objects.filter(member=member, loan__status__in=_OPEN_LOAN_STATUSES).exists():
        raise LedgerError(
            _("%(name)s masih ikut menanggung pinjaman berjalan; tidak dapat dinonaktifkan.") % {"name": member.name}
        )
    member.is_active = active
    save_with_history(member, actor, reason.strip(), update_fields=["is_active"])
    return member


def ksm_member_add(
    *,
    ksm: KSM,
    nik: str,
    name: str,
    gender: str,
    actor: Actor,
    address: str = "",
    is_poor: bool = True,
    business: str = "",
) -> KSMMember:
    actor = permissions.check_post(actor, ksm.upk_id)
    nik = normalize_nik(nik)
    if not is_valid_nik(nik):
        raise LedgerError(str(NIK_INVALID))
    if gender not in Gender.values:
        raise LedgerError(_("Jenis kelamin harus L atau P."))
    if KSMMember.objects.filter(ksm=ksm, nik=nik).exists():
        raise LedgerError(_("NIK %(nik)s sudah terdaftar di KSM ini.") % {"nik": nik})
    member = KSMMember(
        ksm=ksm, nik=nik, name=name.strip(), gender=gender, address=address, is_poor=is_poor, business=business
    )
    save_with_history(member, actor, _("Anggota didaftarkan"))
    return member


def product_create(*, upk: Unit, name: str, actor: Actor, **terms: Any) -> LoanProduct:
    """Terms: jasa_rate, jasa_method, bop_rate, frequency, min_term, max_term,
    rounding_unit, late_fee_enabled, late_fee_amount, late_fee_grace_days.
    The UPK's managers or a staff admin (`check_configure`)."""
    actor = permissions.check_configure(actor, upk)
    product = LoanProduct(upk=upk, name=name, **terms)
    _validate_product(product)
    save_with_history(product, actor, _("Produk dibuat"))
    return product


PRODUCT_TERMS = (
    "name",
    "jasa_rate",
    "jasa_method",
    "bop_rate",
    "frequency",
    "min_term",
    "max_term",
    "rounding_unit",
    "late_fee_enabled",
    "late_fee_amount",
    "late_fee_grace_days",
    "is_active",
)


def _validate_product(product: LoanProduct) -> None:
    errors: list[str] = []
    if not str(product.name or "").strip():
        errors.append(_("Nama produk wajib diisi."))
    if product.rounding_unit not in (1, 100, 500, 1000):
        errors.append(_("Pembulatan harus Rp 1, 100, 500 atau 1.000."))
    if not 1 <= product.min_term <= product.max_term <= 24:
        errors.append(_("Jangka waktu harus 1–24 bulan dan minimal ≤ maksimal."))
    for value, label in ((product.jasa_rate, _("Jasa per bulan")), (product.bop_rate, _("BOP per bulan"))):
        if not 0 <= Decimal(value) <= 100:
            errors.append(_("%(what)s harus 0–100%%.") % {"what": label})
    if (
        Decimal(product.late_fee_amount) < 0
        or Decimal(product.late_fee_amount) != Decimal(product.late_fee_amount).to_integral_value()
    ):
        errors.append(_("Denda harus Rupiah bulat, tidak negatif."))
    if errors:
        raise LedgerError(*errors)


@transaction.atomic
def product_update(*, product: LoanProduct, actor: Actor, **terms: Any) -> LoanProduct:
    """Change a product's terms (keys of `PRODUCT_TERMS`), validated like `product_create`.

    Loans already applied for keep their own terms: `loan_apply` copies rate,
    method, BOP, frequency, rounding and late fee onto the Loan, and schedules
    are computed from the loan's copy (`loan_terms`). So an edit applies only to
    applications made after it; existing schedules and balances never move.
    """
    actor = permissions.check_configure(actor, product.upk_id)
    unknown = set(terms) - set(PRODUCT_TERMS)
    if unknown:
        raise LedgerError(_("Isian tidak dikenal: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    product = LoanProduct.objects.select_for_update().get(pk=product.pk)
    for key, value in terms.items():
        setattr(product, key, value)
    _validate_product(product)
    save_with_history(product, actor, _("Syarat produk diubah"), update_fields=list(terms) or None)
    return product


@transaction.atomic
def ksm_chair_update(*, ksm: KSM, actor: Actor, chair_name: str, chair_phone: str) -> KSM:
    """The KSM chair, to whom receipts and reminders go by WhatsApp (upk/receipts.py): the phone is
    stored as 62… (empty clears it); the history keeps the old values."""
    from ..receipts import wa_phone

    user = permissions.check_post(actor, ksm.upk_id)
    phone = (chair_phone or "").strip()
    normalised = wa_phone(phone) if phone else ""
    if phone and not normalised:
        raise LedgerError(
            _("Nomor WhatsApp %(phone)s tidak dikenali: tulis nomor Indonesia, misalnya 0812 3456 7890.")
            % {"phone": phone}
        )
    ksm = KSM.objects.select_for_update().get(pk=ksm.pk)
    ksm.chair_name = (chair_name or "").strip()
    ksm.chair_phone = normalised
    save_with_history(ksm, user, _("Kontak ketua diubah"), update_fields=["chair_name", "chair_phone"])
    return ksm
