"""A UPK's configuration: setup (settings and chart of accounts), the
operational settings, the rule versions (a proposal, decided by a second
person) and the chart of accounts.

Public API (keyword-only arguments):
    upk_setup(*, upk) -> UpkSettings  (the ledger core's `chart.upk_setup`)
    upk_settings_update(*, upk, actor, reason="", **fields) -> UpkSettings
    upk_rules_propose(*, upk, actor, reason, **fields) -> UpkRuleVersion
    upk_rules_decide(*, version, approve, actor, reason="") -> UpkRuleVersion
    account_create(*, upk, actor, code, name, kind, is_contra=False) -> Account
    account_rename(*, account, actor, name) -> Account
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.params import is_number

from .. import permissions
from ..ledger.actors import Actor
from ..ledger.chart import get_settings
from ..ledger.chart import upk_setup as upk_setup  # setting a UPK up is the core's; the screens call it here
from ..ledger.errors import LedgerError
from ..ledger.periods import last_closed
from ..ledger.rules import RULE_FIELDS, rules_in_force
from ..ledger.rules import apply as rules_apply
from ..ledger.rules import encode as rules_encode
from ..models import (
    Account,
    AccountKind,
    ApprovalStatus,
    JournalEntry,
    UpkRuleVersion,
    UpkSettings,
)

if TYPE_CHECKING:
    from bkm.models import Unit
from .history import save_with_history

# Percentages that cannot exceed 100; CCr thresholds (coverage) may.
_PCT_FIELDS = (
    "min_women_pct",
    "reserve_lancar",
    "reserve_dpk",
    "reserve_kl",
    "reserve_d",
    "reserve_m",
    "lar_good",
    "lar_fair",
    "par_good",
    "par_fair",
    "roi_good",
    "roi_fair",
    "rr_good",
    "rr_fair",
    "cr_good",
    "cr_fair",
    "alloc_capital_pct",
    "alloc_ups_pct",
    "alloc_upl_pct",
    "alloc_other_pct",
)


SETTINGS_FIELDS = (
    "posting_days_ahead",
    "min_members",
    "min_savings_months",
    "ceiling_first_loan",
    "ceiling_repeat_loan",
    "kol_dpk_from",
    "kol_kl_from",
    "kol_d_from",
    "kol_m_from",
    "risk_instalments",
    "ccr_good",
    "ccr_fair",
    *_PCT_FIELDS,
)


def _settings_label(name: str) -> str:
    return str(getattr(UpkSettings._meta.get_field(name), "verbose_name", name)).capitalize()


def _validate_settings(s: UpkSettings) -> list[str]:
    errors: list[str] = []
    for name in _PCT_FIELDS:
        if not 0 <= Decimal(getattr(s, name)) <= 100:
            errors.append(_("%(what)s harus 0–100%%.") % {"what": _settings_label(name)})
    for name in ("ccr_good", "ccr_fair", "ceiling_first_loan", "ceiling_repeat_loan"):
        if Decimal(getattr(s, name)) < 0:
            errors.append(_("%(what)s tidak boleh negatif.") % {"what": _settings_label(name)})
    if not 0 <= s.posting_days_ahead <= 7:
        errors.append(_("Transaksi bertanggal maju paling banyak 7 hari."))
    if s.min_members < 1:
        errors.append(_("Anggota KSM minimal sedikitnya 1."))
    if s.risk_instalments < 1:
        errors.append(_("Tunggakan berisiko sedikitnya 1 angsuran."))
    if not 1 <= s.kol_dpk_from < s.kol_kl_from < s.kol_d_from < s.kol_m_from:
        errors.append(_("Batas kolektibilitas harus naik: 1 ≤ DPK < Kurang Lancar < Diragukan < Macet."))
    for good, fair, what in (("lar_good", "lar_fair", "LAR"), ("par_good", "par_fair", "PAR")):
        if getattr(s, good) > getattr(s, fair):
            errors.append(_("Batas %(w)s sehat tidak boleh di atas batas kurang sehat.") % {"w": what})
    for good, fair, what in (
        ("ccr_good", "ccr_fair", "CCr"),
        ("roi_good", "roi_fair", "ROI"),
        ("rr_good", "rr_fair", "RR"),
        ("cr_good", "cr_fair", _("tingkat penagihan")),
    ):
        if getattr(s, good) < getattr(s, fair):
            errors.append(_("Batas %(w)s sehat tidak boleh di bawah batas kurang sehat.") % {"w": what})
    alloc = s.alloc_capital_pct + s.alloc_ups_pct + s.alloc_upl_pct + s.alloc_other_pct
    if alloc != 100:
        # year_end_close refuses any other split
        errors.append(
            _("Persentase alokasi surplus harus berjumlah 100%% (sekarang %(n)s%%).") % {"n": f"{alloc.normalize():f}"}
        )
    return errors


@transaction.atomic
def upk_settings_update(*, upk: Unit, actor: Actor, reason: str = "", **fields: Any) -> UpkSettings:
    """Change a UPK's settings (keys of `SETTINGS_FIELDS`); all errors at once, nothing saved on error.

    Operational settings (days ahead, year-end split) change at once. A
    change to a rule (`ledger.rules.RULE_FIELDS`: kolektibilitas, reserve,
    indicators, eligibility) is never applied here: it becomes a proposal
    (`upk_rules_propose`) that a staff admin approves, effective from the
    first open month — so no figure of a closed month moves. Returns the
    settings (operational values saved)."""
    actor = permissions.check_configure(actor, upk)
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise LedgerError(_("Isian tidak dikenal: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    get_settings(upk)
    settings_obj = UpkSettings.objects.select_for_update().get(upk_id=upk.pk)
    today = timezone.localdate()
    in_force = rules_in_force([upk.pk], today)[upk.pk]
    rule_changes = {
        k: v for k, v in fields.items() if k in RULE_FIELDS and Decimal(str(v)) != Decimal(str(getattr(in_force, k)))
    }
    operational = {k: v for k, v in fields.items() if k not in RULE_FIELDS}
    candidate = rules_apply(settings_obj, rules_encode({k: getattr(in_force, k) for k in RULE_FIELDS}))
    for key, value in {**operational, **rule_changes}.items():
        setattr(candidate, key, value)
    errors = _validate_settings(candidate)
    if errors:
        raise LedgerError(*errors)
    for key, value in operational.items():
        setattr(settings_obj, key, value)
    if operational:
        save_with_history(settings_obj, actor, _("Pengaturan UPK diubah"), update_fields=list(operational))
    if rule_changes:
        upk_rules_propose(upk=upk, actor=actor, reason=reason or _("Diusulkan dari layar pengaturan"), **rule_changes)
    return settings_obj


def _first_open_month(upk_id: int) -> date:
    """The first day of the first month a rule change may take effect in:
    the month after the last closed one; with nothing closed, the month of
    the UPK's first posting (or this month when it has none)."""
    closed = last_closed(upk_id)
    if closed is not None:
        year, month = closed
        return date(year + month // 12, month % 12 + 1, 1)
    first = JournalEntry.objects.filter(upk_id=upk_id).order_by("date").values_list("date", flat=True).first()
    start = first or timezone.localdate()
    return date(start.year, start.month, 1)


@transaction.atomic
def upk_rules_propose(*, upk: Unit, actor: Actor, reason: str, **fields: Any) -> UpkRuleVersion:
    """A manager's (or staff admin's) proposal for new rules (`RULE_FIELDS`),
    on top of the rules in force today; nothing changes until a staff admin
    other than the proposer approves it (`upk_rules_decide`)."""
    actor = permissions.check_configure(actor, upk)
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise LedgerError(_("Isian tidak dikenal: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    if not fields:
        raise LedgerError(_("Tidak ada aturan yang diubah."))
    if not (reason or "").strip():
        raise LedgerError(_("Alasan perubahan aturan wajib diisi."))
    base = get_settings(upk)
    in_force = rules_in_force([upk.pk], timezone.localdate())[upk.pk]
    values = {k: getattr(in_force, k) for k in RULE_FIELDS}
    values.update(fields)
    errors = _validate_settings(rules_apply(base, rules_encode(values)))
    if errors:
        raise LedgerError(*errors)
    return UpkRuleVersion.objects.create(
        upk=upk,
        values=rules_encode(values),
        effective_from=_first_open_month(upk.pk),
        reason=reason.strip(),
        proposed_by=actor,
    )


@transaction.atomic
def upk_rules_decide(*, version: UpkRuleVersion, approve: bool, actor: Actor, reason: str = "") -> UpkRuleVersion:
    """A staff admin's decision on a rule proposal (maker-checker: not the
    proposer). An approval takes effect from the first month open today —
    later than proposed if months were closed meanwhile, never inside a
    closed month."""
    actor = permissions.check_approve(actor)
    version = UpkRuleVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != ApprovalStatus.PROPOSED:
        raise LedgerError(_("Usulan ini sudah diputuskan."))
    if version.proposed_by_id == actor.pk:
        raise LedgerError(_("Usulan aturan harus diputuskan oleh staf lain, bukan pengusulnya."))
    if not approve and not (reason or "").strip():
        raise LedgerError(_("Alasan penolakan wajib diisi."))
    version.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    version.decided_by = actor
    version.decided_at = timezone.now()
    version.decision_reason = (reason or "").strip()
    if approve:
        version.effective_from = max(version.effective_from, _first_open_month(version.upk_id))
    version.save()
    return version


@transaction.atomic
def account_create(*, upk: Unit, actor: Actor, code: str, name: str, kind: str, is_contra: bool = False) -> Account:
    """A new account without a system role (roles are fixed by `upk_setup`)."""
    actor = permissions.check_configure(actor, upk)
    code, name = code.strip(), name.strip()
    errors: list[str] = []
    if not is_number(code) or len(code) > 10:
        errors.append(_("Kode akun harus angka, paling banyak 10 digit."))
    if not name:
        errors.append(_("Nama akun wajib diisi."))
    if kind not in AccountKind.values:
        errors.append(_("Golongan akun tidak dikenal."))
    if Account.objects.filter(upk=upk, code=code).exists():
        errors.append(_("Kode akun %(c)s sudah dipakai.") % {"c": code})
    if errors:
        raise LedgerError(*errors)
    try:
        with transaction.atomic():
            account = Account(upk=upk, code=code, name=name, kind=kind, is_contra=is_contra, role="")
            save_with_history(account, actor, _("Akun dibuat"))
            return account
    except IntegrityError:
        raise LedgerError(_("Kode akun %(c)s sudah dipakai.") % {"c": code}) from None


def account_rename(*, account: Account, actor: Actor, name: str) -> Account:
    """Only the name changes: code, kind and role stay, so postings and reports keep their meaning."""
    actor = permissions.check_configure(actor, account.upk_id)
    name = name.strip()
    if not name:
        raise LedgerError(_("Nama akun wajib diisi."))
    account = Account.objects.get(pk=account.pk)
    account.name = name
    save_with_history(account, actor, _("Nama akun diubah"), update_fields=["name"])
    return account
