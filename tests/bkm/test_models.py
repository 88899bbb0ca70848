import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from bkm.models import BKM, BoardMember, Election
from tests.bkm.factories import ElectionFactory
from tests.factories import BKMFactory, BoardMemberFactory


@pytest.mark.django_db
def test_bkm_one_active_per_kelurahan_is_enforced_by_database(bkm):
    with pytest.raises(IntegrityError), transaction.atomic():
        BKM.objects.create(name="BKM Kembar", kelurahan=bkm.kelurahan, status="aktif")
    # An inactive or frozen one may stay on record beside the active one.
    BKM.objects.create(name="BKM Lama", kelurahan=bkm.kelurahan, status="tidak_aktif")
    BKM.objects.create(name="BKM Beku", kelurahan=bkm.kelurahan, status="dibekukan")
    assert BKM.objects.filter(kelurahan=bkm.kelurahan).count() == 3


@pytest.mark.django_db
def test_bkm_second_active_is_refused_with_message_by_full_clean(bkm):
    twin = BKM(name="BKM Kembar", kelurahan=bkm.kelurahan, status="aktif")
    with pytest.raises(ValidationError):
        twin.full_clean()


@pytest.mark.django_db
def test_boardmember_nik_must_be_16_digits_in_database(bkm):
    member = BoardMemberFactory.build(bkm=bkm, nik="12345")
    with pytest.raises(ValidationError) as exc:
        member.full_clean()
    assert "NIK harus 16 digit angka." in exc.value.message_dict["nik"]
    with pytest.raises(IntegrityError), transaction.atomic():
        BoardMember.objects.bulk_create([member])  # bypasses validation: the CHECK still holds
    BoardMemberFactory(bkm=bkm, nik="")
    BoardMemberFactory(bkm=bkm, nik="6271014506800001")


@pytest.mark.django_db
def test_boardmember_term_end_must_follow_start(bkm):
    member = BoardMemberFactory.build(bkm=bkm, term_start=datetime.date(2025, 1, 1), term_end=datetime.date(2024, 1, 1))
    with pytest.raises(ValidationError) as exc:
        member.full_clean()
    assert "Akhir masa bakti harus sesudah awal masa bakti." in exc.value.message_dict["term_end"]


@pytest.mark.django_db
def test_boardmember_one_active_coordinator_per_bkm(bkm):
    BoardMemberFactory(bkm=bkm, position="koordinator")
    second = BoardMemberFactory.build(bkm=bkm, position="koordinator")
    with pytest.raises(ValidationError) as exc:
        second.full_clean()
    assert "koordinator" in " ".join(exc.value.message_dict["position"])
    with pytest.raises(IntegrityError), transaction.atomic():
        BoardMember.objects.bulk_create([second])
    # A former coordinator (inactive) does not count.
    BoardMemberFactory(bkm=bkm, position="koordinator", is_active=False)


@pytest.mark.django_db
def test_election_participation_pct_is_voters_over_adults(bkm):
    election = ElectionFactory(bkm=bkm, adults=3000, voters=1001)
    assert election.participation_pct == (Decimal(1001) * 100 / Decimal(3000)).quantize(Decimal("0.1"))
    assert election.meets_quorum is True
    low = ElectionFactory(bkm=bkm, adults=3000, voters=100)
    assert low.meets_quorum is False


@pytest.mark.django_db
def test_election_voters_cannot_exceed_adults(bkm):
    election = Election(bkm=bkm, election_date=datetime.date(2024, 1, 1), adults=100, voters=101)
    with pytest.raises(ValidationError) as exc:
        election.full_clean()
    assert "melebihi" in " ".join(exc.value.message_dict["voters"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Election.objects.bulk_create([election])


@pytest.mark.django_db
def test_every_registry_model_keeps_history():
    from django.apps import apps

    for model in apps.get_app_config("bkm").get_models():
        # Notice is a portal notification (like the forum's), not a registry record.
        if model.__name__.startswith("Historical") or model.__name__ in {"Kecamatan", "Kelurahan", "Notice"}:
            continue
        assert hasattr(model, "history"), model.__name__


@pytest.mark.django_db
def test_bkm_delete_removes_its_registry_records(bkm, make_board):
    # BKMs are retired by status in the portal; an admin delete cascades.
    from tests.factories import ProposalFactory

    make_board(bkm, n=3)
    ProposalFactory(bkm=bkm)
    BKMFactory()
    bkm.delete()
    assert BoardMember.objects.count() == 0
