"""A posting is visible at once on every page that shows its effect (issue 12).

The pages read stored portfolio figures (upk/figures.py) once they have been computed; this test
warms every page first — so the figures it then changes are stored — records a repayment through the
service, and reads the pages again: UPK home, the loan card, the staff dashboard and the open-data
API must all show the new outstanding balance (and the card the new receipt) on the very next
request. Real PostgreSQL (the invalidation is its triggers), real views.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from core.money import format_rupiah
from tests.upk.factories_ui import fund, make_portfolio
from upk import selectors, services
from upk.models import UpkFigures
from upk.queries import today


def _outstanding_live(upk_id: int) -> int:
    """Sisa pokok as of today straight from the ledger (nothing stored read)."""
    day = today()
    raw = selectors._summary_raw_live([upk_id], day, selectors._settings([upk_id], day))[upk_id]
    return raw[selectors.RAW_FIELDS.index("outstanding")]


def _text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def books(bkm, upk_manager, staff_admin):
    upk = bkm.units.get(unit_type="upk")
    services.settings.upk_setup(upk=upk)
    fund(upk, upk_manager, on=today() - timedelta(days=200))
    loans = make_portfolio(upk, upk_manager, 3, today=today())
    return upk, loans[0]


def test_repayment_is_visible_at_once_on_every_page(books, upk_manager, staff_admin):
    upk, loan = books
    manager, staff = Client(), Client()
    manager.force_login(upk_manager)
    staff.force_login(staff_admin)
    period = f"{today():%Y-%m}"
    api = f"/api/upk-indikator/?period={period}"
    pages = {
        "home": (manager, reverse("upk:home", args=[upk.pk])),
        "card": (manager, reverse("upk:loan_card", args=[loan.pk])),
        "dashboard": (staff, reverse("home")),
    }
    before = _outstanding_live(upk.pk)
    loan_before = selectors.loan_position(loan, as_of=today()).outstanding
    assert format_rupiah(before) in _text(manager.get(pages["home"][1]))
    assert format_rupiah(loan_before) in _text(manager.get(pages["card"][1]))
    assert format_rupiah(before) in _text(staff.get(pages["dashboard"][1]))
    assert staff.get(api).json()["results"][0]["outstanding"] == before
    # The figures as of today and as of this month's end are stored now.
    assert UpkFigures.objects.filter(upk_id=upk.pk, as_of=today()).exists()

    repayment = services.repayments.repayment_record(
        loan=loan, amount=600_000, paid_on=today(), actor=upk_manager, idempotency_key="fresh-1"
    )
    after = _outstanding_live(upk.pk)
    assert after < before

    home = _text(manager.get(pages["home"][1]))
    assert f'data-testid="outstanding">{format_rupiah(after)}<' in home
    card = _text(manager.get(pages["card"][1]))
    loan_after = selectors.loan_position(loan, as_of=today()).outstanding
    assert loan_after < loan_before
    assert repayment.receipt_number in card and format_rupiah(loan_after) in card
    dashboard = _text(staff.get(pages["dashboard"][1]))
    assert format_rupiah(after) in dashboard and format_rupiah(before) not in dashboard
    assert staff.get(api).json()["results"][0]["outstanding"] == after


def test_package_page_kept_per_figures_version_shows_every_change_at_once(books, upk_manager, monkeypatch):
    """The package page keeps its figures and rendered tables under the UPK's figures version
    (`selectors.monthly_package_kept`): a second view computes nothing, and a repayment, a KSM renamed
    (names are not an input of the version: part of the key) and last month's package submitted
    (likewise) each show on the very next view."""
    from upk.models import KSM

    upk, loan = books
    manager = Client()
    manager.force_login(upk_manager)
    day = today()
    url = reverse("upk:package", args=[upk.pk]) + f"?tahun={day.year}&bulan={day.month}"
    computed = []
    real = selectors.monthly_package
    monkeypatch.setattr(selectors, "monthly_package", lambda **kw: computed.append(kw) or real(**kw))

    def lpp_outstanding() -> int:
        return real(upk=upk, year=day.year, month=day.month).lpp.outstanding

    before = lpp_outstanding()
    page = _text(manager.get(url))
    assert format_rupiah(before) in page and len(computed) == 1
    assert "Belum ada laporan bulan lalu." in page
    tokens = re.compile(r'(X-CSRFToken": "|csrfmiddlewaretoken" value=")[^"]+')
    again = _text(manager.get(url))
    assert tokens.sub("", again) == tokens.sub("", page) and len(computed) == 1  # kept: nothing computed again

    services.repayments.repayment_record(
        loan=loan, amount=600_000, paid_on=day, actor=upk_manager, idempotency_key="fresh-package"
    )
    after = lpp_outstanding()
    assert after < before
    page = _text(manager.get(url))
    assert format_rupiah(after) in page and format_rupiah(before) not in page

    ksm = KSM.objects.get(pk=loan.ksm_id)
    assert ksm.name in page
    services.registry.ksm_update(ksm=ksm, actor=upk_manager, reason="ganti nama", name="KSM Nama Baru Sekali")
    page = _text(manager.get(url))
    assert "KSM Nama Baru Sekali" in page

    last = day.replace(day=1) - timedelta(days=1)
    services.periods.monthly_package_submit(upk=upk, year=last.year, month=last.month, actor=upk_manager)
    page = _text(manager.get(url))
    assert "Belum ada laporan bulan lalu." not in page


def test_upk_home_kept_per_figures_version_shows_ksm_changes_at_once(books, upk_manager, monkeypatch):
    """The UPK home's figures, dues and arrears are rendered once per figures version and day
    (`upk.views.upk_home`); a KSM's rows are no input of the version, so renaming a KSM or changing
    its chair's WhatsApp number shows on the very next view all the same."""
    from upk import views
    from upk.models import KSM

    upk, loan = books
    manager = Client()
    manager.force_login(upk_manager)
    url = reverse("upk:home", args=[upk.pk])
    built = []
    real = views._home_figures
    monkeypatch.setattr(views, "_home_figures", lambda **kw: built.append(kw) or real(**kw))
    ksm = KSM.objects.get(pk=loan.ksm_id)
    page = _text(manager.get(url))
    assert ksm.name in page and len(built) == 1
    _text(manager.get(url))
    assert len(built) == 1  # kept

    services.registry.ksm_update(ksm=ksm, actor=upk_manager, reason="ganti nama", name="KSM Nama Baru Sekali")
    assert "KSM Nama Baru Sekali" in _text(manager.get(url)) and len(built) == 2
    services.registry.ksm_chair_update(ksm=ksm, actor=upk_manager, chair_name="Bu Ketua", chair_phone="081234567890")
    assert "wa.me/6281234567890" in _text(manager.get(url))


def test_loan_card_kept_per_figures_version_shows_a_member_renamed_at_once(books, upk_manager, monkeypatch):
    """The loan card's schedules, members and repayments are rendered once per figures version
    (`upk.views._loan_rows`); the members' rows are no input of the version, so a member renamed shows on
    the very next view all the same."""
    from upk import views
    from upk.models import LoanMember

    upk, loan = books
    manager = Client()
    manager.force_login(upk_manager)
    url = reverse("upk:loan_card", args=[loan.pk])
    built = []
    real = views._loan_rows
    monkeypatch.setattr(views, "_loan_rows", lambda *a: built.append(a) or real(*a))
    member = LoanMember.objects.filter(loan=loan).select_related("member").first().member
    assert member.name in _text(manager.get(url)) and len(built) == 1
    _text(manager.get(url))
    assert len(built) == 1  # kept
    services.registry.ksm_member_update(member=member, actor=upk_manager, reason="ejaan", name="Siti Nama Baru")
    assert "Siti Nama Baru" in _text(manager.get(url)) and len(built) == 2


def test_ksm_page_kept_per_figures_version_shows_savings_and_members_at_once(books, upk_manager, monkeypatch):
    """The KSM page is rendered once per figures version and day (`upk.views._ksm_body`); its savings and
    members are in the key by their rows' digest, so a deposit, a repayment and a member renamed each show
    on the very next view."""
    from upk import views
    from upk.models import KSM

    upk, loan = books
    manager = Client()
    manager.force_login(upk_manager)
    ksm = KSM.objects.get(pk=loan.ksm_id)
    url = reverse("upk:ksm_detail", args=[ksm.pk])
    built = []
    real = views._ksm_body
    monkeypatch.setattr(views, "_ksm_body", lambda **kw: built.append(kw) or real(**kw))
    before = selectors.savings_balance(ksm)
    assert format_rupiah(before) in _text(manager.get(url)) and len(built) == 1
    _text(manager.get(url))
    assert len(built) == 1  # kept

    services.savings.savings_deposit(
        ksm=ksm, amount=123_000, date=today(), actor=upk_manager, idempotency_key="fresh-savings"
    )
    assert format_rupiah(before + 123_000) in _text(manager.get(url)) and len(built) == 2
    arrears_before = selectors.loan_position(loan, as_of=today()).arrears_amount
    services.repayments.repayment_record(
        loan=loan, amount=50_000, paid_on=today(), actor=upk_manager, idempotency_key="fresh-ksm-pay"
    )
    assert format_rupiah(arrears_before - 50_000) in _text(manager.get(url))
    member = ksm.members.order_by("pk").first()
    services.registry.ksm_member_update(member=member, actor=upk_manager, reason="ejaan", name="Siti Nama Baru")
    assert "Siti Nama Baru" in _text(manager.get(url))


def test_books_kept_per_figures_version_show_a_posting_at_once(books, upk_manager):
    """The cash book, trial balance and neraca bodies are rendered once per figures version and query
    string (`upk.views._kept_body`); a repayment (journal lines: the version rises) shows at once."""
    from upk.ledger.chart import role_accounts

    upk, loan = books
    manager = Client()
    manager.force_login(upk_manager)
    urls = [reverse(name, args=[upk.pk]) for name in ("upk:cash_book", "upk:trial_balance", "upk:neraca")]
    kas = role_accounts(upk.pk)["kas"]

    def kas_balance() -> int:
        return selectors.account_balances(upk=upk, as_of=today())[kas.pk]

    before = kas_balance()
    for url in urls:
        assert format_rupiah(before) in _text(manager.get(url))
    services.repayments.repayment_record(
        loan=loan, amount=654_321, paid_on=today(), actor=upk_manager, idempotency_key="fresh-books"
    )
    after = kas_balance()
    assert after == before + 654_321
    for url in urls:
        page = _text(manager.get(url))
        assert format_rupiah(after) in page, url
        # The cash book still shows the balance before the repayment, on the row above it.
        assert url == urls[0] or format_rupiah(before) not in page, url
