"""Posting repayments on locked loans: validation, member split, allocation and ONE bulk write for a single repayment, a collection sheet, a savings cover or an import row alike."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from ..models import (
    LIVE_STATUSES,
    Channel,
    CollectionSheet,
    EntryKind,
    KSMMember,
    Loan,
    LoanMember,
    LoanStatus,
    Repayment,
    Schedule,
)
from . import engine
from .books import NEW_PAYMENT_KEY, LoanBook, Plan, load_books, plan_replay, plan_writes
from .chart import cash_account, role_accounts
from .errors import LedgerError, rp, whole_rupiah
from .journal import EntrySpec, Leg, component_legs, post_entries_numbered, reallocation_specs
from .lifecycle import sync_paid_off
from .periods import PostingWindow, posting_window_of

if TYPE_CHECKING:
    from core.models import User


def validate_payment(loan: Loan, paid_on: date, schedule: Schedule, window: PostingWindow) -> None:
    window.check(paid_on, _("pembayaran"))
    if loan.status == LoanStatus.WRITTEN_OFF:
        raise LedgerError(_("Pinjaman %(loan)s sudah dihapusbukukan; catat sebagai pemulihan.") % {"loan": loan.number})
    if loan.status not in LIVE_STATUSES:
        raise LedgerError(
            _("Pinjaman %(loan)s tidak aktif (%(status)s).")
            % {"loan": loan.number, "status": loan.get_status_display()}
        )
    if paid_on < schedule.effective_from:
        raise LedgerError(
            _("Tanggal bayar sebelum %(date)s (pencairan/penjadwalan ulang) tidak dapat dicatat.")
            % {"date": schedule.effective_from.strftime("%d-%m-%Y")}
        )


@dataclass
class PayItem:
    loan: Loan  # locked by the caller
    amount: int
    paid_on: date
    key: str
    member_split: Mapping[Any, Any] | None = None
    channel: str = Channel.KAS
    debit_leg: Leg | None = None  # instead of Kas/Bank (savings cover)


def member_split_parts(item: PayItem, loan_members: list[LoanMember]) -> dict[int, int]:
    if not item.member_split:
        return {}
    members = {m.pk: m for m in loan_members}
    by_member = {m.member_id: m.pk for m in loan_members}
    split: dict[int, int] = {}
    for key, value in item.member_split.items():
        # A KSMMember maps to its loan share; a LoanMember or its pk is taken as is.
        pk = by_member.get(key.pk, -1) if isinstance(key, KSMMember) else (key if isinstance(key, int) else key.pk)
        if pk not in members:
            raise LedgerError(_("Pembagian per anggota memuat orang yang bukan peminjam."))
        part = whole_rupiah(value, _("Bagian anggota"))
        if part < 0:
            raise LedgerError(_("Bagian anggota tidak boleh negatif."))
        if part:
            split[pk] = part
    if sum(split.values()) != item.amount:
        raise LedgerError(
            _("Jumlah per anggota %(sum)s tidak sama dengan jumlah bayar %(amount)s.")
            % {"sum": rp(sum(split.values())), "amount": rp(item.amount)}
        )
    return split


def record_repayments_locked(
    items: list[PayItem],
    *,
    actor: User,
    collection_sheet: CollectionSheet | None = None,
    name_loans: bool = False,
    books: dict[int, LoanBook] | None = None,
) -> list[Repayment]:
    """Post repayments on distinct, already locked loans of one UPK.

    Reads everything in a fixed number of queries, validates every item (all
    errors together; nothing written if any), then writes in bulk: the cost
    of a 30-loan collection sheet is close to that of one repayment.
    """
    assert len({i.loan.pk for i in items}) == len(items), "one payment per loan per batch"
    # A repeated idempotency key is caught by the UNIQUE constraint (see
    # idempotent), which saves a query on every normal posting.
    done: dict[int, Repayment] = {}
    todo: list[tuple[int, PayItem]] = list(enumerate(items))
    if todo:
        upk_id = todo[0][1].loan.upk_id
        first = todo[0][1].loan
        # Loans locked by lock_loans carry the posting window already.
        window = getattr(first, "posting_window", None) or posting_window_of(upk_id)
        if books is None:
            books = load_books(
                (item.loan for _, item in todo), new_paid_on={item.loan.pk: item.paid_on for _, item in todo}
            )
        loan_members: dict[int, list[LoanMember]] = defaultdict(list)
        if any(item.member_split for _, item in todo):
            for lm in LoanMember.objects.filter(loan_id__in=[item.loan.pk for _, item in todo]).order_by("pk"):
                loan_members[lm.loan_id].append(lm)
        plans: dict[int, tuple[Plan, dict[int, int]]] = {}
        errors: list[str] = []
        for index, item in todo:
            try:
                book = books[item.loan.pk]
                validate_payment(item.loan, item.paid_on, book.schedule, window)
                split = member_split_parts(item, loan_members[item.loan.pk])
                extra = engine.Payment(NEW_PAYMENT_KEY, item.paid_on, item.amount)
                plans[index] = (plan_replay(book, event_date=item.paid_on, extra=extra), split)
            except LedgerError as exc:
                prefix = f"{item.loan.ksm.name} ({item.loan.number}): " if name_loans else ""
                errors.extend(prefix + m for m in exc.messages)
        if errors:
            raise LedgerError(*errors)
        accounts = role_accounts(upk_id)
        specs: list[EntrySpec] = []
        extra_specs: list[EntrySpec] = []
        for index, item in todo:
            plan = plans[index][0]
            comps: dict[str, int] = defaultdict(int)
            for p in plan.pieces[NEW_PAYMENT_KEY]:
                comps[p.component] += p.amount
            money = item.debit_leg or Leg(cash_account(accounts, item.channel), item.amount, loan_id=item.loan.pk)
            specs.append(
                EntrySpec(
                    upk_id,
                    item.paid_on,
                    EntryKind.REPAYMENT,
                    _("Angsuran %(loan)s %(ksm)s") % {"loan": item.loan.number, "ksm": item.loan.ksm.name},
                    [money, *component_legs(accounts, item.loan, comps, -1)],
                )
            )
            extra_specs.extend(reallocation_specs(item.loan, accounts, plan.deltas, skip=None))
        book_writes = plan_writes([plans[index][0] for index, _item in todo])
        # Repayment i is paid by entry i (specs come first) and takes receipt i.
        created = [
            Repayment(
                upk_id=upk_id,
                loan=item.loan,
                paid_on=item.paid_on,
                amount=Decimal(item.amount),
                channel=item.channel,
                idempotency_key=item.key,
                collection_sheet=collection_sheet,
                created_by=actor,
            )
            for _index, item in todo
        ]
        book_writes.repayments = created
        book_writes.member_parts = [(item.loan.pk, pk, v) for index, item in todo for pk, v in plans[index][1].items()]
        post_entries_numbered(specs + extra_specs, actor=actor, extra_numbers={"receipt": len(todo)}, books=book_writes)
        for (index, item), rep in zip(todo, created, strict=True):
            book = books[item.loan.pk]
            last = max([r.paid_on for r in book.repayments] + [rep.paid_on])
            sync_paid_off(item.loan, plans[index][0], actor=actor, on=item.paid_on, last_paid_on=last)
            done[index] = rep
    return [done[i] for i in range(len(items))]
