from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from bkm.models import BKM, Kecamatan, Kelurahan
from core.models import User


@pytest.mark.django_db
def test_migrate_loads_palangka_raya_reference_data():
    assert Kecamatan.objects.count() == 5
    assert Kelurahan.objects.count() == 30
    assert set(Kecamatan.objects.values_list("name", flat=True)) == {
        "Pahandut",
        "Jekan Raya",
        "Sabangau",
        "Bukit Batu",
        "Rakumpit",
    }
    assert Kelurahan.objects.get(name="Mungku Baru").kecamatan.name == "Rakumpit"


@pytest.mark.django_db
def test_seed_demo_gives_one_bkm_per_kelurahan_and_every_role():
    call_command("seed_demo", "--seed", "7", "--scale", "small", stdout=StringIO())
    assert BKM.objects.count() == 30
    assert {u.role for u in User.objects.all()} >= {
        "staff_admin",
        "staff_viewer",
        "upk_manager",
        "bkm_member",
        "sysadmin",
    }


class _Rollback(Exception):
    pass


def _seed_and_snapshot(seed: str) -> list:
    """Seed inside a savepoint, read what it made, then roll it back."""
    snapshot: list = []
    try:
        with transaction.atomic():
            call_command("seed_demo", "--seed", seed, "--scale", "small", stdout=StringIO())
            snapshot = list(BKM.objects.order_by("kelurahan__code").values_list("name", "address", "phone"))
            raise _Rollback
    except _Rollback:
        pass
    return snapshot


@pytest.mark.django_db
def test_seed_demo_is_deterministic():
    first = _seed_and_snapshot("7")
    assert BKM.objects.count() == 0
    assert first and first == _seed_and_snapshot("7")
    assert first != _seed_and_snapshot("8")


MAIN_INDICATORS = ("lar", "par", "ccr", "roi")


@pytest.mark.django_db
def test_seed_demo_gives_a_city_of_mostly_healthy_upks_and_some_stuck_proposals():
    """The dashboard needs contrast: most UPKs Sehat, at least one in trouble, a few proposals stuck for months."""
    from datetime import timedelta

    from django.utils import timezone

    from bkm.models import Proposal, ProposalEvent, Unit
    from reports import conf
    from reports.selectors import proposals_stuck, proposals_with_status_since
    from upk.models import AccountRole, JournalLine
    from upk.selectors import SEHAT, indicators_many

    call_command("seed_demo", "--seed", "2026", "--scale", "small", stdout=StringIO())
    upk_ids = list(Unit.objects.filter(loans__isnull=False).distinct().values_list("pk", flat=True))
    indicators = indicators_many(upk_ids=upk_ids, as_of=timezone.localdate())
    healthy = [pk for pk in upk_ids if all(indicators[pk].values[c].band == SEHAT for c in MAIN_INDICATORS)]
    assert len(upk_ids) == 3 and len(healthy) > len(upk_ids) / 2 and len(healthy) < len(upk_ids)
    # A healthy UPK lends its capital without its kas or its bank account ever going below zero.
    for pk in healthy:
        for role in (AccountRole.KAS, AccountRole.BANK):
            balance = 0
            for debit, credit in (
                JournalLine.objects.filter(upk_id=pk, account__role=role)
                .order_by("entry__date", "entry_id")
                .values_list("debit", "credit")
            ):
                balance += debit - credit
                assert balance >= 0, (pk, role)

    now = timezone.now()
    since = {p.pk: p.status_since for p in proposals_with_status_since()}  # type: ignore[attr-defined]
    stuck = proposals_stuck(older_than=now - timedelta(days=conf.get("REPORTS_PROPOSAL_STUCK_DAYS")))
    assert 0 < len(stuck) < len(since) / 2
    assert any(now - s > timedelta(days=120) for s in since.values())
    # Their histories span years: received over the last three years, not all today.
    received = set(ProposalEvent.objects.filter(from_status="").values_list("at__year", flat=True))
    assert len(received) >= 3 and Proposal.objects.filter(year__lt=now.year - 1).exists()
