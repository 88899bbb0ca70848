"""Receipts that travel (issue 14): what a kuitansi says, and the WhatsApp texts a manager sends.

- `rupiah_words`: the amount in words (*terbilang*, num2words `id`), as written on a kuitansi.
- `receipt_facts`: what the kuitansi shows — allocations, the instalments this payment went to,
  what is left in arrears after it.
- `share_token` / `repayment_from_token`: the receipt link sent to the KSM chair, who has no login;
  a signed, expiring token names the repayment (nothing else can be read through it).
- `wa_phone`, `wa_link`: a phone number normalised to 62…, and a `wa.me` share link (WhatsApp opens
  with the text filled in; the manager presses send — no WhatsApp API, nothing leaves the server).
- `receipt_message`, `reminder_message`: the prefilled texts, always in Indonesian (the chair reads them).

Reads only: the chair's contact is written by `upk.services.registry.ksm_chair_update`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote

from django.core import signing
from django.utils import translation
from django.utils.translation import gettext as _
from num2words import num2words

from core.money import format_rupiah

from . import selectors
from .models import Allocation, Component, Repayment

# How long a shared receipt link opens (the paper kuitansi or the PDF stays valid for ever).
SHARE_MAX_AGE_DAYS = 180
_SHARE_SALT = "upk.receipt.share"


def rupiah_words(amount: int) -> str:
    """`560500` → "Lima ratus enam puluh ribu lima ratus rupiah"."""
    words = num2words(int(amount), lang="id")
    return f"{words} rupiah"[:1].upper() + f"{words} rupiah"[1:]


def wa_phone(raw: str) -> str:
    """An Indonesian phone number as WhatsApp wants it (62 and digits), or "" if it is not one.

    "0812-3456-7890", "+62 812 3456 7890", "62812…" and "812…" all give "6281234567890".
    """
    digits = re.sub(r"\D", "", raw or "")
    if digits.startswith("620"):  # "+62 0812…"
        digits = "62" + digits[3:]
    elif digits.startswith("0"):
        digits = "62" + digits[1:]
    elif digits.startswith("8"):
        digits = "62" + digits
    if not digits.startswith("62") or not 10 <= len(digits) <= 15:
        return ""
    return digits


def wa_link(*, phone: str, text: str) -> str:
    """A `wa.me` link opening a chat with `phone` (or the contact picker if none) with `text` typed in."""
    return f"https://wa.me/{wa_phone(phone)}?text={quote(text, safe='')}"


def share_token(*, repayment_id: int) -> str:
    return signing.dumps(repayment_id, salt=_SHARE_SALT)


def repayment_from_token(token: str) -> Repayment | None:
    """The repayment a shared link names, or None (forged, altered or older than the limit)."""
    try:
        pk = signing.loads(token, salt=_SHARE_SALT, max_age=SHARE_MAX_AGE_DAYS * 24 * 60 * 60)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return Repayment.objects.select_related("loan", "loan__ksm", "upk", "upk__bkm", "created_by").filter(pk=pk).first()


@dataclass(frozen=True)
class InstalmentPaid:
    number: int
    settled: bool  # this payment completed it (else it paid part of it)


@dataclass
class ReceiptFacts:
    rep: Repayment
    words: str
    allocations: list[tuple[str, int]] = field(default_factory=list)  # component name, amount
    instalments: list[InstalmentPaid] = field(default_factory=list)
    position: selectors.LoanPosition | None = None  # the loan at the end of the payment's day

    @property
    def instalments_text(self) -> str:
        return ", ".join(
            str(i.number) if i.settled else _("%(n)s (sebagian)") % {"n": i.number} for i in self.instalments
        )


def receipt_facts(rep: Repayment) -> ReceiptFacts:
    """What one kuitansi shows. Four queries."""
    return receipt_facts_many([rep])[rep.pk]


def receipt_facts_many(
    reps: list[Repayment], *, positions: dict[int, selectors.LoanPosition] | None = None
) -> dict[int, ReceiptFacts]:
    """Repayment id → what its kuitansi shows: how the payment was allocated on its own day (a
    later backdated payment may reallocate it; the receipt keeps what was true when it was
    issued) and the loan's position at the end of that day. `positions` (loan id → position on
    the repayments' common date, e.g. a collection sheet's) saves reading them again.
    One query for the allocations, and one per distinct date for the positions if not given."""
    pieces = (
        Allocation.objects.filter(repayment__in=[r.pk for r in reps])
        .select_related("instalment")
        .order_by("instalment__number", "pk")
    )
    paid_on = {r.pk: r.paid_on for r in reps}
    by_component: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    settled: dict[int, dict[int, bool]] = defaultdict(dict)
    for a in pieces:
        on = paid_on[a.repayment_id]
        if a.effective_from > on or (a.effective_to is not None and a.effective_to <= on):
            continue
        by_component[a.repayment_id][str(Component(a.component).label)] += int(a.amount)
        number = a.instalment.number
        settled[a.repayment_id][number] = settled[a.repayment_id].get(number, False) or a.settles
    position_of: dict[int, selectors.LoanPosition | None] = {}
    if positions is not None:
        position_of = {r.pk: positions.get(r.loan_id) for r in reps}
    else:
        by_date: dict[date, list[Repayment]] = defaultdict(list)
        for r in reps:
            by_date[r.paid_on].append(r)
        for on, same_day in by_date.items():
            found = selectors.loan_positions(
                upk_ids={r.upk_id for r in same_day}, as_of=on, loan_ids=[r.loan_id for r in same_day]
            )
            position_of.update({r.pk: found.get(r.loan_id) for r in same_day})
    return {
        r.pk: ReceiptFacts(
            rep=r,
            words=rupiah_words(int(r.amount)),
            allocations=sorted(by_component[r.pk].items()),
            instalments=[InstalmentPaid(n, s) for n, s in sorted(settled[r.pk].items())],
            position=position_of.get(r.pk),
        )
        for r in reps
    }


def receipt_message(facts: ReceiptFacts, *, link: str) -> str:
    rep = facts.rep
    with translation.override("id"):
        text = _(
            "Yth. Ketua KSM %(ksm)s, pembayaran angsuran pinjaman %(loan)s sebesar %(amount)s (%(words)s) "
            "telah diterima UPK %(upk)s pada %(date)s, kuitansi %(receipt)s."
        ) % {
            "ksm": rep.loan.ksm.name,
            "loan": rep.loan.number,
            "amount": format_rupiah(rep.amount),
            "words": facts.words.lower(),
            "upk": rep.upk.name,
            "date": rep.paid_on.strftime("%d-%m-%Y"),
            "receipt": rep.receipt_number,
        }
        if facts.instalments:
            text += " " + _("Angsuran ke-%(list)s.") % {"list": facts.instalments_text}
        if facts.position is not None:
            if facts.position.arrears_amount:
                text += " " + _("Tunggakan sesudah pembayaran ini: %(amount)s (%(n)s angsuran).") % {
                    "amount": format_rupiah(facts.position.arrears_amount),
                    "n": facts.position.n_arrears,
                }
            else:
                text += " " + _("Tidak ada tunggakan.")
        if rep.is_reversed:
            text += " " + _("Kuitansi ini DIBATALKAN.")
        return text + " " + _("Kuitansi: %(link)s") % {"link": link}


def reminder_message(
    *, ksm_name: str, loan_number: str, upk_name: str, amount: int, until: date, n_arrears: int = 0
) -> str:
    """A due-date (or arrears) reminder for the KSM chair."""
    with translation.override("id"):
        if n_arrears:
            text = _(
                "Yth. Ketua KSM %(ksm)s, pengingat dari UPK %(upk)s: pinjaman %(loan)s menunggak %(n)s angsuran. "
                "Jumlah yang harus dibayar sampai %(date)s: %(amount)s."
            )
        else:
            text = _(
                "Yth. Ketua KSM %(ksm)s, pengingat dari UPK %(upk)s: angsuran pinjaman %(loan)s sebesar "
                "%(amount)s jatuh tempo sampai %(date)s."
            )
        return (
            text
            % {
                "ksm": ksm_name,
                "upk": upk_name,
                "loan": loan_number,
                "n": n_arrears,
                "amount": format_rupiah(amount),
                "date": until.strftime("%d-%m-%Y"),
            }
            + " "
            + _("Terima kasih.")
        )
