"""Reports use the registry's proposal rule: one permission source for screens, API and reports."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from bkm.models import Proposal
from bkm.permissions import filter_proposals_for
from reports.permissions import filter_proposals
from reports.selectors import proposal_list, proposal_summary
from tests.factories import UserFactory


@pytest.mark.django_db
def test_filter_proposals_delegates_to_registry_rule_for_every_role(collaboration, staff_viewer):
    bkm = collaboration["bkms"][0]
    manager = UserFactory(role="upk_manager")
    manager.upk_units.add(collaboration["bkms"][1].units.get(unit_type="upk"))
    users = [
        staff_viewer,
        UserFactory(role="bkm_member", bkm=bkm),
        UserFactory(role="bkm_member", bkm=bkm, is_active=False),
        manager,
        AnonymousUser(),
    ]
    for user in users:
        mine = set(filter_proposals(user, Proposal.objects.all()).values_list("pk", flat=True))
        assert mine == set(filter_proposals_for(user, Proposal.objects.all()).values_list("pk", flat=True))
        assert mine == set(proposal_list(user=user).values_list("pk", flat=True))
    assert set(proposal_list(user=users[1]).values_list("bkm_id", flat=True)) == {bkm.pk}
    assert set(proposal_list(user=manager).values_list("bkm_id", flat=True)) == {collaboration["bkms"][1].pk}
    assert not proposal_list(user=users[2]).exists()


@pytest.mark.django_db
def test_proposal_summary_with_user_counts_only_readable_proposals(collaboration):
    bkm = collaboration["bkms"][0]
    member = UserFactory(role="bkm_member", bkm=bkm)
    mine = [p for p in collaboration["proposals"] if p.bkm_id == bkm.pk]
    summary = proposal_summary(user=member)
    assert summary.total.count == len(mine)
    assert summary.total.budget_proposed == sum(p.budget_proposed for p in mine)
    assert proposal_summary().total.count == len(collaboration["proposals"])
