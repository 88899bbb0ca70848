"""The RPLP plan: items per aspect and year, their status derived from linked proposals."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from bkm import selectors, services
from bkm.models import RPLPItem, RPLPStatus, rplp_status_from
from tests.bkm.factories import RPLPItemFactory
from tests.factories import ProposalFactory, SlumAreaFactory


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], RPLPStatus.PLANNED),
        (["draf"], RPLPStatus.PLANNED),
        (["dikembalikan", "ditolak"], RPLPStatus.PLANNED),
        (["diajukan"], RPLPStatus.PROPOSED),
        (["ditolak", "dibahas"], RPLPStatus.PROPOSED),
        (["diusulkan", "disetujui"], RPLPStatus.APPROVED),
        (["dilaksanakan"], RPLPStatus.APPROVED),
        (["ditolak", "selesai", "diusulkan"], RPLPStatus.DONE),
    ],
)
def test_rplp_status_from_takes_the_furthest_linked_proposal(statuses, expected):
    assert rplp_status_from(statuses) == expected


@pytest.mark.django_db
def test_rplp_item_rows_follow_the_proposals_through_the_table(bkm, staff_admin):
    item = RPLPItemFactory(bkm=bkm)
    assert [r.status for r in selectors.rplp_item_rows(RPLPItem.objects.filter(pk=item.pk))] == [RPLPStatus.PLANNED]
    proposal = ProposalFactory(bkm=bkm, rplp_item=item)
    assert selectors.rplp_item_rows(RPLPItem.objects.filter(pk=item.pk))[0].status == RPLPStatus.PROPOSED
    services.proposal_transition(proposal_id=proposal.pk, to_status="dibahas", actor=staff_admin)
    services.proposal_transition(
        proposal_id=proposal.pk, to_status="disetujui", actor=staff_admin, budget_approved=Decimal(1_000_000)
    )
    row = selectors.rplp_item_rows(RPLPItem.objects.filter(pk=item.pk))[0]
    assert row.status == RPLPStatus.APPROVED
    assert [p.pk for p in row.proposals] == [proposal.pk]


@pytest.mark.django_db
def test_rplp_item_rows_query_count_does_not_grow(bkm, django_assert_max_num_queries):
    for _ in range(12):
        ProposalFactory(bkm=bkm, rplp_item=RPLPItemFactory(bkm=bkm))
    with django_assert_max_num_queries(2):
        rows = selectors.rplp_item_rows(RPLPItem.objects.filter(bkm=bkm))
    assert len(rows) == 12


@pytest.mark.django_db
def test_rplp_item_save_refuses_other_bkm_and_foreign_slum_area(bkm, other_bkm):
    item = RPLPItemFactory(bkm=other_bkm)
    with pytest.raises(ValidationError):
        services.rplp_item_save(bkm=bkm, item=item, data={"title": "x"})
    area = SlumAreaFactory(kelurahan=other_bkm.kelurahan)
    with pytest.raises(ValidationError) as exc:
        services.rplp_item_save(
            bkm=bkm,
            data={
                "aspect": "roads",
                "year": 2026,
                "title": "Jalan",
                "slum_area": area,
                "budget": Decimal(1),
                "funding_source": "apbd",
            },
        )
    assert "slum_area" in exc.value.message_dict
    assert not RPLPItem.objects.filter(bkm=bkm).exists()


@pytest.mark.django_db
def test_rplp_item_delete_keeps_an_item_a_proposal_carries_out(bkm):
    linked = RPLPItemFactory(bkm=bkm)
    ProposalFactory(bkm=bkm, rplp_item=linked)
    with pytest.raises(ValidationError):
        services.rplp_item_delete(bkm=bkm, item=linked)
    free = RPLPItemFactory(bkm=bkm)
    services.rplp_item_delete(bkm=bkm, item=free)
    assert list(RPLPItem.objects.filter(bkm=bkm)) == [linked]


@pytest.mark.django_db
def test_proposal_clean_refuses_rplp_item_of_other_bkm(bkm, other_bkm):
    with pytest.raises(ValidationError) as exc:
        services.proposal_update(proposal=ProposalFactory(bkm=bkm), data={"rplp_item": RPLPItemFactory(bkm=other_bkm)})
    assert "rplp_item" in exc.value.message_dict


@pytest.mark.django_db
def test_rplp_item_form_coordinator_adds_to_own_bkm_only(client, coordinator, other_bkm):
    bkm = coordinator.bkm
    client.force_login(coordinator)
    response = client.post(
        reverse("bkm:rplp_item_create", args=[bkm.pk]),
        {
            "aspect": "drainage",
            "year": "2027",
            "title": "Drainase RT 04",
            "budget": "125.000.000",
            "funding_source": "apbd",
        },
    )
    assert response.status_code == 302
    item = RPLPItem.objects.get(bkm=bkm)
    assert item.budget == Decimal(125_000_000)
    assert client.get(reverse("bkm:rplp_item_create", args=[other_bkm.pk])).status_code == 404
    page = client.get(reverse("bkm:records", args=[bkm.pk]))
    assert "Drainase RT 04" in page.content.decode()
    assert "Direncanakan" in page.content.decode()


@pytest.mark.django_db
def test_rplp_item_form_member_and_viewer_cannot_edit(client, member, staff_viewer):
    item = RPLPItemFactory(bkm=member.bkm)
    for user in (member, staff_viewer):
        client.force_login(user)
        assert client.get(reverse("bkm:rplp_item_edit", args=[item.bkm_id, item.pk])).status_code == 403
        assert client.post(reverse("bkm:rplp_item_delete", args=[item.bkm_id, item.pk])).status_code == 403
    assert RPLPItem.objects.filter(pk=item.pk).exists()
