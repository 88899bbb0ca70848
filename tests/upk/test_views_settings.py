"""Configuration screens: loan products, UPK rules and chart of accounts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from upk import services
from upk.ledger.chart import get_settings
from upk.ledger.rules import rules_in_force
from upk.models import Account, Instalment, LoanProduct, UpkRuleVersion, UpkSettings
from upk.services.registry import PRODUCT_TERMS
from upk.services.settings import SETTINGS_FIELDS

from .factories import LoanProductFactory, make_active_loan


def _post_data(obj, fields, **changes):
    """Form data for `obj` as a browser would send it (unchecked boxes absent)."""
    data = {**model_to_dict(obj, fields=fields), **changes}
    return {k: v for k, v in data.items() if v is not False}


@pytest.fixture
def upk_b(other_bkm):
    unit = other_bkm.units.get(unit_type="upk")
    services.settings.upk_setup(upk=unit)
    return unit


@pytest.fixture
def product(upk):
    return LoanProductFactory(upk=upk)


def test_product_update_by_manager_changes_terms(client, manager, upk, product):
    client.force_login(manager)
    url = reverse("upk:product_edit", args=[upk.pk, product.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, _post_data(product, PRODUCT_TERMS, jasa_rate="2", rounding_unit=500))
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.jasa_rate == Decimal(2) and product.rounding_unit == 500
    listing = client.get(reverse("upk:products", args=[upk.pk])).content.decode()
    assert product.name in listing


def test_product_create_by_manager_and_staff_admin(client, manager, staff, upk):
    data = _post_data(LoanProduct(), PRODUCT_TERMS, name="Pinjaman Mingguan", frequency="weekly", max_term=12)
    client.force_login(manager)
    assert client.post(reverse("upk:product_create", args=[upk.pk]), data).status_code == 302
    client.force_login(staff)
    data["name"] = "Pinjaman Staf"
    assert client.post(reverse("upk:product_create", args=[upk.pk]), data).status_code == 302
    names = set(LoanProduct.objects.filter(upk=upk).values_list("name", flat=True))
    assert names == {"Pinjaman Mingguan", "Pinjaman Staf"}
    assert LoanProduct.objects.get(name="Pinjaman Mingguan").frequency == "weekly"


def test_product_update_bad_term_shows_message_and_changes_nothing(client, manager, upk, product):
    client.force_login(manager)
    before = model_to_dict(product)
    response = client.post(
        reverse("upk:product_edit", args=[upk.pk, product.pk]),
        _post_data(product, PRODUCT_TERMS, min_term=12, max_term=6),
    )
    assert response.status_code == 200
    assert "Jangka waktu harus 1–24 bulan dan minimal ≤ maksimal." in response.content.decode()
    product.refresh_from_db()
    assert model_to_dict(product) == before


def test_product_update_keeps_disbursed_loan_schedule(client, manager, upk, loan):
    product = loan.product
    instalments = list(Instalment.objects.filter(loan=loan).order_by("pk").values("due_date", "pokok", "jasa", "total"))
    client.force_login(manager)
    response = client.post(
        reverse("upk:product_edit", args=[upk.pk, product.pk]),
        _post_data(product, PRODUCT_TERMS, jasa_rate="3", jasa_method="declining", rounding_unit=1000),
    )
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.jasa_rate != Decimal(3) and loan.jasa_method == "flat" and loan.rounding_unit != 1000
    after = list(Instalment.objects.filter(loan=loan).order_by("pk").values("due_date", "pokok", "jasa", "total"))
    assert after == instalments
    assert client.get(reverse("upk:loan_card", args=[loan.pk])).status_code == 200
    # A loan applied after the edit takes the new terms.
    product.refresh_from_db()
    new_loan = make_active_loan(upk, manager, product=product)
    assert new_loan.jasa_rate == Decimal(3) and new_loan.rounding_unit == 1000


def test_settings_update_by_manager(client, manager, upk):
    client.force_login(manager)
    current = get_settings(upk)
    url = reverse("upk:rules", args=[upk.pk])
    assert client.get(url).status_code == 200
    data = _post_data(
        current,
        SETTINGS_FIELDS,
        min_members=7,
        kol_m_from=12,
        alloc_capital_pct="60",
        alloc_other_pct="10",
    )
    assert client.post(url, data).status_code == 302
    current.refresh_from_db()
    # The year-end split is operational: saved at once. The rules are a
    # proposal until a staff admin approves them (tests/upk/test_rules.py).
    assert (current.alloc_capital_pct, current.alloc_other_pct) == (Decimal(60), Decimal(10))
    assert (current.min_members, current.kol_m_from) == (5, 9)
    version = UpkRuleVersion.objects.get(upk=upk, status="proposed")
    assert (version.values["min_members"], version.values["kol_m_from"]) == ("7", "12")
    services.settings.upk_rules_decide(
        version=version, approve=True, actor=UserFactory(role="staff_admin", username="staf_2")
    )
    in_force = rules_in_force([upk.pk], timezone.localdate())[upk.pk]
    assert (in_force.min_members, in_force.kol_m_from) == (7, 12)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"alloc_capital_pct": "70"}, "Persentase alokasi surplus harus berjumlah 100%"),
        ({"reserve_kl": "120"}, "Cadangan kurang lancar (%) harus 0–100%."),
        ({"kol_kl_from": "9"}, "Batas kolektibilitas harus naik"),
        ({"lar_good": "30"}, "Batas LAR sehat tidak boleh di atas batas kurang sehat."),
    ],
)
def test_settings_update_bad_input_shows_message_and_changes_nothing(client, manager, upk, changes, message):
    client.force_login(manager)
    current = get_settings(upk)
    before = model_to_dict(current)
    response = client.post(reverse("upk:rules", args=[upk.pk]), _post_data(current, SETTINGS_FIELDS, **changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert model_to_dict(UpkSettings.objects.get(pk=current.pk)) == before


def test_manager_gets_404_on_other_upk_pages(client, manager, upk_b):
    product_b = LoanProductFactory(upk=upk_b)
    account_b = upk_b.accounts.first()
    client.force_login(manager)
    for name, args in [
        ("upk:products", [upk_b.pk]),
        ("upk:product_create", [upk_b.pk]),
        ("upk:product_edit", [upk_b.pk, product_b.pk]),
        ("upk:rules", [upk_b.pk]),
        ("upk:accounts", [upk_b.pk]),
        ("upk:account_create", [upk_b.pk]),
        ("upk:account_rename", [upk_b.pk, account_b.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404, name
        assert client.post(reverse(name, args=args), {"name": "x"}).status_code == 404, name
    product_b.refresh_from_db()
    assert product_b.name != "x"


def test_staff_viewer_reads_but_gets_403_on_post(client, staff_viewer, upk, product):
    client.force_login(staff_viewer)
    current = get_settings(upk)
    account = upk.accounts.get(role="kas")
    for name, args in [("upk:products", [upk.pk]), ("upk:rules", [upk.pk]), ("upk:accounts", [upk.pk])]:
        assert client.get(reverse(name, args=args)).status_code == 200
    rules_page = client.get(reverse("upk:rules", args=[upk.pk])).content.decode()
    assert 'data-testid="readonly"' in rules_page
    posts = [
        ("upk:product_edit", [upk.pk, product.pk], _post_data(product, PRODUCT_TERMS, jasa_rate="9")),
        ("upk:product_create", [upk.pk], _post_data(LoanProduct(), PRODUCT_TERMS, name="Baru")),
        ("upk:rules", [upk.pk], _post_data(current, SETTINGS_FIELDS, min_members=9)),
        ("upk:account_create", [upk.pk], {"code": "19999", "name": "Baru", "kind": "asset"}),
        ("upk:account_rename", [upk.pk, account.pk], {"name": "Kas Baru"}),
    ]
    for name, args, data in posts:
        assert client.post(reverse(name, args=args), data).status_code == 403, name
    product.refresh_from_db()
    current.refresh_from_db()
    account.refresh_from_db()
    assert product.jasa_rate != Decimal(9) and current.min_members != 9 and account.name == "Kas"
    assert not LoanProduct.objects.filter(name="Baru").exists() and not Account.objects.filter(code="19999").exists()


def test_staff_admin_edits_settings_of_any_upk(client, staff, upk_b):
    client.force_login(staff)
    current = get_settings(upk_b)
    response = client.post(reverse("upk:rules", args=[upk_b.pk]), _post_data(current, SETTINGS_FIELDS, min_members=4))
    assert response.status_code == 302
    # A staff admin proposes too; another staff admin decides (maker-checker).
    version = UpkRuleVersion.objects.get(upk=upk_b, status="proposed")
    assert (version.values["min_members"], version.proposed_by) == ("4", staff)


def test_account_create_and_rename_keep_roles(client, manager, upk):
    client.force_login(manager)
    response = client.post(
        reverse("upk:account_create", args=[upk.pk]), {"code": "12030", "name": "Piutang Lain", "kind": "asset"}
    )
    assert response.status_code == 302
    created = Account.objects.get(upk=upk, code="12030")
    assert created.role == "" and created.kind == "asset"
    kas = upk.accounts.get(role="kas")
    response = client.post(reverse("upk:account_rename", args=[upk.pk, kas.pk]), {"name": "Kas Tunai", "role": "bank"})
    assert response.status_code == 302
    kas.refresh_from_db()
    assert (kas.name, kas.role, kas.code) == ("Kas Tunai", "kas", "11010")
    page = client.get(reverse("upk:accounts", args=[upk.pk])).content.decode()
    assert "Kas Tunai" in page and "Piutang Lain" in page


def test_account_create_duplicate_code_shows_message(client, manager, upk):
    client.force_login(manager)
    count = Account.objects.filter(upk=upk).count()
    response = client.post(
        reverse("upk:account_create", args=[upk.pk]), {"code": "11010", "name": "Kas 2", "kind": "asset"}
    )
    assert response.status_code == 200
    assert "Kode akun 11010 sudah dipakai." in response.content.decode()
    assert Account.objects.filter(upk=upk).count() == count


def test_accounts_list_query_count_does_not_grow(client, manager, upk, django_assert_max_num_queries):
    client.force_login(manager)
    url = reverse("upk:accounts", args=[upk.pk])
    for i in range(20):
        services.settings.account_create(upk=upk, actor=manager, code=f"190{i:02d}", name=f"Akun {i}", kind="asset")
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200
