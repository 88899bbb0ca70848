from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from upk import services
from upk.models import Instalment


def test_ledger_check_passes_on_clean_books(upk, manager, loan):
    services.repayments.repayment_record(
        loan=loan, amount=491_600, paid_on=date(2024, 6, 10), actor=manager, idempotency_key="a"
    )
    out = StringIO()
    call_command("ledger_check", "--upk", str(upk.pk), stdout=out)
    assert "konsisten" in out.getvalue()


def test_ledger_check_fails_on_drifted_cache(upk, manager, loan):
    services.repayments.repayment_record(
        loan=loan, amount=491_600, paid_on=date(2024, 6, 10), actor=manager, idempotency_key="a"
    )
    Instalment.objects.filter(loan=loan, number=1).update(paid_jasa=0)
    with pytest.raises(CommandError, match="selisih"):
        call_command("ledger_check", "--upk", str(upk.pk), stdout=StringIO(), stderr=StringIO())


def test_ledger_check_detects_tampered_month_end_cache(upk, manager, loan):
    from upk.models import LoanMonthEnd

    services.repayments.repayment_record(
        loan=loan, amount=491_600, paid_on=date(2024, 6, 10), actor=manager, idempotency_key="a"
    )
    services.periods.period_close(upk=upk, year=2024, month=6, actor=manager)
    call_command("ledger_check", "--upk", str(upk.pk), stdout=StringIO())
    LoanMonthEnd.objects.filter(loan=loan).update(n_arrears=5)
    with pytest.raises(CommandError):
        call_command("ledger_check", "--upk", str(upk.pk), stdout=StringIO(), stderr=StringIO())
