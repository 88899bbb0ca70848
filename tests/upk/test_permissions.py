"""Who may read and write what."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from bkm.models import Unit
from tests.factories import UserFactory
from upk import permissions, services
from upk.models import KSM, KSMMember, Loan

from .factories import KSMMemberFactory


@pytest.fixture
def other_upk(other_bkm):
    unit = other_bkm.units.get(unit_type="upk")
    services.settings.upk_setup(upk=unit)
    return unit


def test_check_post_only_own_upk(upk, other_upk, manager, staff):
    permissions.check_post(manager, upk)
    with pytest.raises(PermissionDenied):
        permissions.check_post(manager, other_upk)
    with pytest.raises(PermissionDenied):
        permissions.check_post(staff, upk)


def test_services_refuse_staff_and_foreign_manager(upk, other_upk, manager, staff, loan):
    other_manager = UserFactory(role="upk_manager", username="lain")
    other_manager.upk_units.set([other_upk])
    for actor in (staff, other_manager):
        with pytest.raises(PermissionDenied):
            services.repayments.repayment_record(
                loan=loan, amount=1000, paid_on=date(2024, 6, 10), actor=actor, idempotency_key="x"
            )


def test_staff_approvals_need_staff_admin(upk, manager, loan):
    viewer = UserFactory(role="staff_viewer", username="viewer")
    proposal = services.loans.writeoff_propose(loan=loan, proposed_on=date(2024, 12, 1), reason="Macet", actor=manager)
    for actor in (manager, viewer):
        with pytest.raises(PermissionDenied):
            services.loans.writeoff_decide(write_off=proposal, approve=True, actor=actor)


def test_filter_upks_by_role(upk, other_upk, manager, staff, bkm):
    qs = Unit.objects.all()
    assert set(permissions.filter_upks(staff, qs)) == {upk, other_upk}
    assert set(permissions.filter_upks(manager, qs)) == {upk}
    member = UserFactory(role="bkm_member", bkm=bkm, username="anggota_bkm")
    assert set(permissions.filter_upks(member, qs)) == {upk}


def test_bkm_member_sees_summary_not_borrowers(upk, other_upk, bkm):
    member = UserFactory(role="bkm_member", bkm=bkm, username="anggota_bkm")
    permissions.check_view_upk(member, upk)
    with pytest.raises(PermissionDenied):
        permissions.check_view_borrowers(member, upk)
    with pytest.raises(Http404):
        permissions.check_view_upk(member, other_upk)
    assert permissions.filter_ksms(member, KSM.objects.all()).count() == 0


def test_filter_loans_and_members_scope(upk, other_upk, manager, staff, loan):
    assert list(permissions.filter_loans(manager, Loan.objects.all())) == [loan]
    KSMMemberFactory(ksm__upk=other_upk)
    assert permissions.filter_members(manager, KSMMember.objects.all()).count() == 5
    assert permissions.filter_members(staff, KSMMember.objects.all()).count() == 6


def test_nik_masked_except_for_holding_upk(upk, manager, staff, loan):
    member = loan.ksm.members.first()
    assert permissions.display_nik(manager, member) == member.nik
    masked = permissions.display_nik(staff, member)
    assert (
        masked != member.nik
        and masked[:4] == member.nik[:4]
        and masked.count("•") == 8
        and masked[-4:] == member.nik[-4:]
    )


def test_managed_upk_ids_read_once_per_user_and_dropped_when_units_change(
    upk, other_upk, manager, django_assert_num_queries
):
    assert permissions.can_post(manager, upk)
    with django_assert_num_queries(0):
        assert not permissions.can_post(manager, other_upk)
    manager.upk_units.add(other_upk)
    assert permissions.can_post(manager, other_upk)
    manager.upk_units.remove(upk)
    assert not permissions.can_post(manager, upk)
