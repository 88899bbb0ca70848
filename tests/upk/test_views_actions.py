"""Approval and period screens: who may do what, and that the action happens."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from upk import selectors
from upk.models import AccountingPeriod, MonthlyPackage, PeriodEvent, Reschedule, WriteOff
from upk.queries import today

from .factories_ui import fund, make_portfolio


def _loan(upk, manager):
    fund(upk, manager)
    return make_portfolio(upk, manager, 1, today=today(), months_ago=5)[0]


def test_reschedule_proposed_by_manager_approved_by_staff(client, manager, staff, upk):
    loan = _loan(upk, manager)
    client.force_login(manager)
    response = client.post(
        reverse("upk:reschedule", args=[loan.pk]),
        {"effective_on": today().isoformat(), "term_months": 12, "reason": "Usaha terdampak banjir"},
    )
    assert response.status_code == 302
    item = Reschedule.objects.get(loan=loan)
    assert client.get(reverse("upk:reschedule_decide", args=[item.pk])).status_code == 403
    client.force_login(staff)
    assert "Usaha terdampak banjir" in client.get(reverse("upk:approvals")).content.decode()
    response = client.post(reverse("upk:reschedule_decide", args=[item.pk]), {"approve": "1", "reason": ""})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "approved"
    card = client.get(reverse("upk:loan_card", args=[loan.pk])).content.decode()
    assert 'data-testid="schedule-v1"' in card and 'data-testid="schedule-v2"' in card


def test_writeoff_rejection_needs_reason_on_screen(client, manager, staff, upk):
    loan = _loan(upk, manager)
    client.force_login(manager)
    client.post(reverse("upk:writeoff", args=[loan.pk]), {"proposed_on": today().isoformat(), "reason": "Macet"})
    item = WriteOff.objects.get(loan=loan)
    client.force_login(staff)
    response = client.post(reverse("upk:writeoff_decide", args=[item.pk]), {"approve": "0", "reason": ""})
    assert response.status_code == 200
    assert "Alasan penolakan wajib diisi" in response.content.decode()
    item.refresh_from_db()
    assert item.status == "proposed"


def test_package_submit_closes_month_and_staff_reopens_with_reason(client, manager, staff, upk):
    _loan(upk, manager)
    last = date(today().year, today().month, 1)
    prev = date(last.year - 1, 12, 1) if last.month == 1 else date(last.year, last.month - 1, 1)
    client.force_login(manager)
    url = reverse("upk:package", args=[upk.pk]) + f"?tahun={prev.year}&bulan={prev.month}"
    page = client.get(url)
    assert page.status_code == 200
    assert "list-group-item-success" in page.content.decode()
    response = client.post(reverse("upk:package", args=[upk.pk]), {"year": prev.year, "month": prev.month})
    assert response.status_code == 302
    assert MonthlyPackage.objects.filter(upk=upk, year=prev.year, month=prev.month).exists()
    period = AccountingPeriod.objects.get(upk=upk, year=prev.year, month=prev.month)
    assert period.is_closed
    # A posting into the closed month is refused on the form, with the domain's message.
    fund_url = reverse("upk:capital", args=[upk.pk])
    form = client.get(fund_url).context["form"]
    response = client.post(
        fund_url,
        {
            "idempotency_key": form.initial["idempotency_key"],
            "account": upk.accounts.get(role="capital_grant").pk,
            "amount": "1000",
            "date": prev.replace(day=5).isoformat(),
            "description": "Hibah",
            "channel": "kas",
        },
    )
    assert response.status_code == 200
    assert "sudah ditutup" in response.content.decode()
    # Reopen: staff admin only, reason required.
    periods = reverse("upk:periods", args=[upk.pk])
    client.force_login(staff)
    data = {"action": "reopen", "reopen-year": prev.year, "reopen-month": prev.month, "reopen-reason": ""}
    assert client.post(periods, data).status_code == 200
    period.refresh_from_db()
    assert period.is_closed
    data["reopen-reason"] = "Koreksi setoran"
    assert client.post(periods, data).status_code == 302
    period.refresh_from_db()
    assert not period.is_closed
    assert PeriodEvent.objects.filter(period=period, action="reopen", reason="Koreksi setoran").exists()


def test_reserve_page_proposes_the_adjustment_and_posts_it(client, manager, upk):
    _loan(upk, manager)
    client.force_login(manager)
    url = reverse("upk:reserve", args=[upk.pk])
    page = client.get(url)
    kol = page.context["kol"]
    assert kol.proposed_adjustment > 0
    key = page.context["form"].initial["idempotency_key"]
    assert client.post(url, {"idempotency_key": key, "date": today().isoformat()}).status_code == 302
    assert client.post(url, {"idempotency_key": key, "date": today().isoformat()}).status_code == 302
    after = selectors.kolektibilitas(upk=upk, as_of=today())
    assert after.proposed_adjustment == 0
    assert after.booked_reserve == kol.required_reserve
