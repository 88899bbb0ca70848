"""upk.writes: the one-statement PostgreSQL writes and the portable ORM path
(the one SQLite takes for the embedded demo) record exactly the same books."""

from __future__ import annotations

from datetime import date, timedelta

from upk import services
from upk.ledger import writes
from upk.models import Allocation, Counter, Instalment, JournalLine, Repayment, RepaymentMember

from .factories import make_active_loan

DISBURSED = date(2024, 5, 10)


def _sequence(loan, manager) -> None:
    """Payments on time, early, late, backdated (a replay that moves other
    repayments' pieces), with a member split, on a sheet, and a reversal."""
    first_due = loan.instalments.order_by("number").first()
    total = int(first_due.total)
    member = loan.loan_members.order_by("pk").first()
    rec = services.repayments.repayment_record
    early = rec(loan=loan, amount=150_000, paid_on=date(2024, 6, 1), actor=manager, idempotency_key=f"a{loan.pk}")
    rec(loan=loan, amount=total * 2, paid_on=date(2024, 7, 20), actor=manager, idempotency_key=f"b{loan.pk}")
    rec(
        loan=loan,
        amount=200_000,
        paid_on=date(2024, 6, 15),  # backdated: the July payment is re-allocated
        actor=manager,
        idempotency_key=f"c{loan.pk}",
        member_split={member: 200_000},
    )
    services.repayments.collection_sheet_post(
        upk=loan.upk, date=date(2024, 8, 12), payments={loan.pk: total}, actor=manager, idempotency_key=f"d{loan.pk}"
    )
    services.repayments.repayment_reverse(
        repayment=early, reversed_on=date(2024, 8, 20), reason="Salah input", actor=manager
    )


def _books(loan) -> dict:
    """Everything the postings wrote about `loan`, without ids or numbers
    (the two loans share the UPK's counters)."""
    start = DISBURSED + timedelta(days=1)
    lines = JournalLine.objects.filter(entry__date__gte=start, entry__lines__loan=loan).distinct()
    return {
        "repayments": sorted(
            (r.paid_on, int(r.amount), r.channel, r.is_reversed, r.receipt_number[:8], r.journal_entry.kind)
            for r in Repayment.objects.filter(loan=loan)
        ),
        "members": sorted(
            (p.repayment.paid_on, int(p.amount)) for p in RepaymentMember.objects.filter(repayment__loan=loan)
        ),
        "allocations": sorted(
            (a.repayment.paid_on, a.instalment.number, a.component, int(a.amount), a.effective_from, a.effective_to)
            + (a.settles, a.due_date)
            for a in Allocation.objects.filter(loan=loan).select_related("repayment", "instalment")
        ),
        "instalments": [
            (i.number, int(i.paid_pokok), int(i.paid_jasa), int(i.paid_bop), int(i.paid_denda))
            for i in Instalment.objects.filter(loan=loan).order_by("number")
        ],
        "lines": sorted(
            (ln.date, ln.entry.kind, ln.account.role or ln.account.code, int(ln.debit), int(ln.credit), ln.memo)
            for ln in lines.select_related("entry", "account")
        ),
    }


def test_ledger_insert_orm_path_writes_the_same_books(upk, manager, capital, monkeypatch):
    bulk_loan = make_active_loan(upk, manager, disbursed_on=DISBURSED)
    orm_loan = make_active_loan(upk, manager, disbursed_on=DISBURSED)

    _sequence(bulk_loan, manager)
    with monkeypatch.context() as patch:
        patch.setattr(writes, "use_bulk_sql", lambda: False)
        _sequence(orm_loan, manager)

    bulk, orm = _books(bulk_loan), _books(orm_loan)
    assert bulk["allocations"] and bulk["members"] and any(r[3] for r in bulk["repayments"])
    assert any(a[5] is not None for a in bulk["allocations"])  # the replay closed rows
    assert bulk == orm


def test_ledger_insert_numbers_receipts_and_entries_without_gaps(upk, manager, capital):
    loans = [make_active_loan(upk, manager, disbursed_on=DISBURSED) for _ in range(3)]
    before = set(Repayment.objects.values_list("receipt_number", flat=True))
    sheet = services.repayments.collection_sheet_post(
        upk=upk,
        date=date(2024, 6, 10),
        payments={loan.pk: 100_000 for loan in loans},
        actor=manager,
        idempotency_key="sheet-numbers",
    )
    reps = list(sheet.repayments.order_by("loan_id").select_related("journal_entry"))
    numbers = [int(r.receipt_number.rsplit("-", 1)[1]) for r in reps]
    entries = [r.journal_entry.number for r in reps]
    assert not before & {r.receipt_number for r in reps}
    assert numbers == list(range(numbers[0], numbers[0] + 3))
    assert entries == list(range(entries[0], entries[0] + 3))
    assert all(r.receipt_number.startswith("KW-2024-") and len(r.receipt_number) == 14 for r in reps)
    assert all(sum(ln.debit for ln in r.journal_entry.lines.all()) == 100_000 for r in reps)


def test_ledger_insert_receipt_numbers_past_six_digits_match_python(upk, manager, capital):
    loan = make_active_loan(upk, manager, disbursed_on=DISBURSED)
    Counter.objects.update_or_create(upk=upk, name="receipt", defaults={"value": 1_234_566})
    rep = services.repayments.repayment_record(
        loan=loan, amount=50_000, paid_on=date(2024, 6, 3), actor=manager, idempotency_key="seven-digits"
    )
    rep.refresh_from_db()
    assert rep.receipt_number == writes.receipt_number(date(2024, 6, 3), 1_234_567) == "KW-2024-1234567"
    assert writes.receipt_number(date(2026, 1, 5), 42) == "KW-2026-000042"


def test_postings_work_with_server_side_preparation_off(upk, manager, capital):
    """DATABASE_PREPARE_THRESHOLD="" (behind a transaction-mode pooler): the
    same statements, planned each time."""
    from django.db import connection

    loan = make_active_loan(upk, manager, disbursed_on=DISBURSED)
    connection.ensure_connection()
    raw = connection.connection
    saved, raw.prepare_threshold = raw.prepare_threshold, None
    try:
        for n in range(3):
            services.repayments.repayment_record(
                loan=loan, amount=60_000, paid_on=date(2024, 6, 3 + n), actor=manager, idempotency_key=f"np-{n}"
            )
    finally:
        raw.prepare_threshold = saved
    assert Repayment.objects.filter(loan=loan).count() == 3
    assert sum(int(a.amount) for a in Allocation.objects.filter(loan=loan, effective_to__isnull=True)) == 180_000
