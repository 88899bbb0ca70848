"""History where money or borrowers are concerned: KSM, members, products,
accounts and settings keep who changed what and when (django-simple-history),
written by the services with the acting user, also outside a request."""

from __future__ import annotations

from decimal import Decimal

import pytest

from upk import selectors, services
from upk.ledger.errors import LedgerError
from upk.models import KSM, Account, KSMMember, LoanProduct, UpkSettings

from .factories import make_ksm


def test_ksm_update_records_who_what_and_why(upk, manager):
    ksm = make_ksm(upk)
    services.registry.ksm_update(ksm=ksm, actor=manager, name="KSM Melati Jaya", reason="Salah ketik nama")
    latest = KSM.history.filter(id=ksm.pk).latest("history_date")
    assert latest.history_user == manager
    assert latest.history_change_reason == "Salah ketik nama"
    row = selectors.ksm_history(ksm=ksm)[0]
    assert row.who == (manager.get_full_name() or manager.username)
    assert row.reason == "Salah ketik nama"
    assert any("KSM Melati Jaya" in change for change in row.changes)


def test_ksm_update_refuses_a_code_in_use(upk, manager):
    first, second = make_ksm(upk), make_ksm(upk)
    with pytest.raises(LedgerError, match="sudah dipakai"):
        services.registry.ksm_update(ksm=second, actor=manager, code=first.code)


def test_ksm_set_active_refuses_a_ksm_with_a_running_loan(loan, manager):
    with pytest.raises(LedgerError, match="pinjaman berjalan"):
        services.registry.ksm_set_active(ksm=loan.ksm, active=False, actor=manager, reason="Bubar")
    assert KSM.objects.get(pk=loan.ksm_id).is_active


def test_ksm_set_active_needs_a_reason_and_records_it(upk, manager):
    ksm = make_ksm(upk)
    with pytest.raises(LedgerError, match="Alasan wajib"):
        services.registry.ksm_set_active(ksm=ksm, active=False, actor=manager, reason=" ")
    services.registry.ksm_set_active(ksm=ksm, active=False, actor=manager, reason="KSM bubar (rapat 3 Mei)")
    assert not KSM.objects.get(pk=ksm.pk).is_active
    row = selectors.ksm_history(ksm=ksm)[0]
    assert row.reason == "KSM bubar (rapat 3 Mei)"
    assert any("aktif" in change for change in row.changes)


def test_ksm_member_update_masks_nik_in_history(upk, manager):
    ksm = make_ksm(upk)
    member = ksm.members.order_by("pk").first()
    services.registry.ksm_member_update(
        member=member, actor=manager, nik="6271010101990001", reason="NIK dari KTP baru"
    )
    assert KSMMember.objects.get(pk=member.pk).nik == "6271010101990001"
    row = next(r for r in selectors.ksm_history(ksm=ksm) if r.reason == "NIK dari KTP baru")
    assert row.subject.startswith("Anggota")
    assert "6271010101990001" not in " ".join(row.changes)
    assert "0001" in " ".join(row.changes)


def test_ksm_member_set_active_refuses_a_member_of_a_running_loan(loan, manager):
    member = loan.loan_members.first().member
    with pytest.raises(LedgerError, match="pinjaman berjalan"):
        services.registry.ksm_member_set_active(member=member, active=False, actor=manager, reason="Pindah")


def test_product_account_and_settings_changes_keep_history(upk, manager):
    product = services.registry.product_create(upk=upk, name="Reguler", actor=manager, jasa_rate=Decimal("1.5"))
    services.registry.product_update(product=product, actor=manager, jasa_rate=Decimal("1.25"))
    assert [h.jasa_rate for h in LoanProduct.history.filter(id=product.pk).order_by("history_date")] == [
        Decimal("1.5"),
        Decimal("1.25"),
    ]
    account = services.settings.account_create(upk=upk, actor=manager, code="51099", name="Biaya lain", kind="expense")
    services.settings.account_rename(account=account, actor=manager, name="Biaya lain-lain")
    assert Account.history.filter(id=account.pk).count() == 2
    assert Account.history.filter(id=account.pk).latest("history_date").history_user == manager
    services.settings.upk_settings_update(upk=upk, actor=manager, posting_days_ahead=2)
    latest = UpkSettings.history.filter(upk_id=upk.pk).latest("history_date")
    assert (latest.posting_days_ahead, latest.history_user) == (2, manager)


def test_ksm_edit_screen_saves_through_the_service_and_history_shows_it(client, upk, manager):
    from django.urls import reverse

    ksm = make_ksm(upk)
    client.force_login(manager)
    page = client.get(reverse("upk:ksm_detail", args=[ksm.pk])).content.decode()
    assert reverse("upk:ksm_edit", args=[ksm.pk]) in page
    assert reverse("upk:ksm_history", args=[ksm.pk]) in page
    response = client.post(
        reverse("upk:ksm_edit", args=[ksm.pk]),
        {
            "code": ksm.code,
            "name": "KSM Baru",
            "kelurahan": ksm.kelurahan_id,
            "rt": "007",
            "formed_on": ksm.formed_on.isoformat(),
            "reason": "Ganti nama (rapat)",
        },
    )
    assert response.status_code == 302
    assert KSM.objects.get(pk=ksm.pk).name == "KSM Baru"
    history = client.get(reverse("upk:ksm_history", args=[ksm.pk])).content.decode()
    assert "Ganti nama (rapat)" in history
    assert "KSM Baru" in history
    assert manager.username in history or (manager.get_full_name() and manager.get_full_name() in history)


def test_member_screens_edit_and_deactivate(client, upk, manager):
    from django.urls import reverse

    ksm = make_ksm(upk)
    member = ksm.members.order_by("pk").first()
    client.force_login(manager)
    response = client.post(
        reverse("upk:member_edit", args=[member.pk]),
        {"nik": member.nik, "name": "Siti Baru", "gender": member.gender, "address": "", "business": "", "reason": ""},
    )
    assert response.status_code == 302
    assert KSMMember.objects.get(pk=member.pk).name == "Siti Baru"
    response = client.post(reverse("upk:member_active", args=[member.pk]), {"active": "0", "reason": "Pindah kota"})
    assert response.status_code == 302
    assert not KSMMember.objects.get(pk=member.pk).is_active


def test_ksm_screens_refuse_a_manager_of_another_upk(client, upk, manager):
    from django.urls import reverse

    from tests.factories import UserFactory

    ksm = make_ksm(upk)
    outsider = UserFactory(role="upk_manager", username="manajer_lain")
    client.force_login(outsider)
    for name in ("upk:ksm_edit", "upk:ksm_active", "upk:ksm_history"):
        assert client.get(reverse(name, args=[ksm.pk])).status_code in (403, 404), name
    assert client.post(reverse("upk:ksm_active", args=[ksm.pk]), {"active": "0", "reason": "x"}).status_code in (
        403,
        404,
    )
    assert KSM.objects.get(pk=ksm.pk).is_active
