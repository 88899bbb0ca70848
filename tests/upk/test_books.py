"""Books: DB-enforced balance, append-only journal, statements as of a date."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.utils import InternalError

from upk import selectors, services
from upk.ledger.errors import LedgerError
from upk.models import Account, JournalEntry


def _raw_entry(upk, user, lines):
    """Insert an entry and lines with SQL only, bypassing every Python check."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO upk_journalentry (upk_id, number, date, kind, description, created_by_id, created_at) "
            "VALUES (%s, 999999, '2024-06-01', 'cash_in', 'raw', %s, now()) RETURNING id",
            [upk.pk, user.pk],
        )
        entry_id = cursor.fetchone()[0]
        for account_id, debit, credit in lines:
            cursor.execute(
                "INSERT INTO upk_journalline (entry_id, upk_id, date, account_id, debit, credit, memo) "
                "VALUES (%s, %s, '2024-06-01', %s, %s, %s, '')",
                [entry_id, upk.pk, account_id, debit, credit],
            )
    return entry_id


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_db_trigger_rejects_unbalanced_entry_at_commit(upk, manager):
    kas = Account.objects.get(upk=upk, role="kas")
    other = Account.objects.get(upk=upk, code="41090")
    with pytest.raises((IntegrityError, InternalError), match="tidak seimbang"), transaction.atomic():
        _raw_entry(upk, manager, [(kas.pk, 1000, 0), (other.pk, 0, 999)])
    assert not JournalEntry.objects.filter(number=999999).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_db_trigger_rejects_entry_without_lines(upk, manager):
    with pytest.raises((IntegrityError, InternalError), match="dua baris"), transaction.atomic():
        _raw_entry(upk, manager, [])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_db_trigger_accepts_balanced_entry(upk, manager):
    kas = Account.objects.get(upk=upk, role="kas")
    other = Account.objects.get(upk=upk, code="41090")
    with transaction.atomic():
        entry_id = _raw_entry(upk, manager, [(kas.pk, 1000, 0), (other.pk, 0, 1000)])
    assert JournalEntry.objects.filter(pk=entry_id).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_db_trigger_rejects_update_of_posted_line(upk, manager, capital):
    line = capital.lines.first()
    with (
        pytest.raises((IntegrityError, InternalError), match="tidak boleh diubah"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE upk_journalline SET debit = debit + 1 WHERE id = %s", [line.pk])


def test_cash_voucher_record_in_and_out(upk, manager, capital):
    income = Account.objects.get(upk=upk, code="41040")
    cost = Account.objects.get(upk=upk, code="51030")
    services.cash.cash_voucher_record(
        upk=upk,
        direction="in",
        account=income,
        amount=50_000,
        date=date(2024, 6, 1),
        description="Jasa bank Juni",
        actor=manager,
        idempotency_key="bkm-1",
    )
    services.cash.cash_voucher_record(
        upk=upk,
        direction="out",
        account=cost,
        amount=20_000,
        date=date(2024, 6, 2),
        description="Beli ATK",
        actor=manager,
        idempotency_key="bkk-1",
    )
    book = selectors.cash_book(upk=upk, date_from=date(2024, 6, 1), date_to=date(2024, 6, 30))
    assert book.opening == 100_000_000
    assert [(r.debit, r.credit) for r in book.rows] == [(50_000, 0), (0, 20_000)]
    assert book.closing == 100_030_000
    pl = selectors.laba_rugi(upk=upk, date_from=date(2024, 1, 1), date_to=date(2024, 6, 30))
    assert (pl.income.total, pl.expense.total, pl.surplus) == (50_000, 20_000, 30_000)


def test_cash_voucher_record_refuses_loan_accounts(upk, manager):
    loans = Account.objects.get(upk=upk, role="loans")
    with pytest.raises(LedgerError, match="menu khususnya"):
        services.cash.cash_voucher_record(
            upk=upk,
            direction="out",
            account=loans,
            amount=1,
            date=date(2024, 6, 1),
            description="x",
            actor=manager,
            idempotency_key="x",
        )


def test_trial_balance_and_neraca_balance_after_loan_activity(upk, manager, loan):
    services.repayments.repayment_record(
        loan=loan, amount=491_600, paid_on=date(2024, 6, 10), actor=manager, idempotency_key="a"
    )
    tb = selectors.trial_balance(upk=upk, as_of=date(2024, 6, 30))
    assert tb.balanced and tb.total_debit > 0
    bs = selectors.neraca(upk=upk, as_of=date(2024, 6, 30))
    assert bs.balanced
    assert bs.balance_of("loans") == 5_000_000 - 416_600


def test_general_ledger_running_balance(upk, manager, loan):
    services.repayments.repayment_record(
        loan=loan, amount=491_600, paid_on=date(2024, 6, 10), actor=manager, idempotency_key="a"
    )
    book = selectors.general_ledger(
        account=Account.objects.get(upk=upk, role="loans"), date_from=date(2024, 1, 1), date_to=date(2024, 12, 31)
    )
    assert [r.balance for r in book.rows] == [5_000_000, 5_000_000 - 416_600]


def test_year_end_close_allocates_surplus_and_opens_new_year(upk, manager, loan):
    services.repayments.repayment_record(
        loan=loan, amount=5_900_000, paid_on=date(2024, 6, 10), actor=manager, idempotency_key="a"
    )
    closing = services.periods.year_end_close(upk=upk, year=2024, actor=manager)
    assert closing.surplus == 900_000
    assert closing.allocations == {
        "retained": 450_000,
        "ups_fund": 135_000,
        "upl_fund": 135_000,
        "other_alloc": 180_000,
    }
    bs = selectors.neraca(upk=upk, as_of=date(2025, 1, 1))
    assert bs.balanced
    assert bs.balance_of("ups_fund") == 135_000
    # Income accounts start the new year at zero; the closed year's statement is unchanged.
    assert selectors.laba_rugi(upk=upk, date_from=date(2025, 1, 1), date_to=date(2025, 1, 31)).income.total == 0
    assert selectors.laba_rugi(upk=upk, date_from=date(2024, 1, 1), date_to=date(2024, 12, 31)).income.total == 900_000
    with pytest.raises(LedgerError, match="sudah ditutup"):
        services.repayments.repayment_record(
            loan=loan, amount=1, paid_on=date(2024, 12, 1), actor=manager, idempotency_key="b"
        )


def test_capital_receive_requires_capital_account(upk, manager):
    with pytest.raises(LedgerError, match="akun modal"):
        services.cash.capital_receive(
            upk=upk,
            account=Account.objects.get(upk=upk, role="kas"),
            amount=1,
            date=date(2024, 1, 1),
            description="",
            actor=manager,
            idempotency_key="c",
        )
