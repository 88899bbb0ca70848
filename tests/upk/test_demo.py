"""The demo portfolios: posted through the services, balanced, with every report populated."""

from __future__ import annotations

import random

from bkm import demo as bkm_demo
from core.demo import seed_users
from core.models import User
from upk import demo, selectors
from upk.models import Loan, MonthlyPackage, YearEndClosing
from upk.queries import today


def test_seed_small_builds_balanced_books_with_varied_portfolios(db):
    bkms = bkm_demo.seed(rng=random.Random(1), scale="small")
    seed_users(bkms=bkms)
    demo.seed(rng=random.Random(2), scale="small")
    first_upk = bkms[0].units.get(unit_type="upk")
    assert User.objects.get(username="manajer").upk_units.filter(pk=first_upk.pk).exists()
    upk_ids = list(Loan.objects.order_by().values_list("upk_id", flat=True).distinct())
    assert len(upk_ids) == demo.SCALE_UPKS["small"]
    assert first_upk.pk in upk_ids
    summary = selectors.portfolio_summary_many(upk_ids=upk_ids, as_of=today())
    statuses = set(Loan.objects.values_list("status", flat=True))
    assert {"active", "paid_off"} <= statuses
    late = macet = 0
    for upk_id in upk_ids:
        upk = first_upk.__class__.objects.get(pk=upk_id)
        assert Loan.objects.filter(upk_id=upk_id).count() >= 10
        assert selectors.trial_balance(upk=upk, as_of=today()).balanced
        assert selectors.ledger_drift(upk=upk) == []
        _ind, kol = summary[upk_id]
        late += sum(b.loans for b in kol.buckets[1:])
        macet += kol.buckets[4].loans
        assert MonthlyPackage.objects.filter(upk_id=upk_id).count() == 2
        assert upk.periods.filter(is_closed=True).exists()
    assert late > 0
    assert YearEndClosing.objects.exists()


def test_seed_is_deterministic(db):
    from django.db import transaction

    class Undo(Exception):
        pass

    def run() -> list[tuple]:
        bkms = bkm_demo.seed(rng=random.Random(1), scale="small")
        seed_users(bkms=bkms)
        demo.seed(rng=random.Random(7), scale="small")
        return list(
            Loan.objects.order_by("upk__bkm__kelurahan__code", "number").values_list(
                "number", "principal", "disbursed_on", "status", "ksm__name"
            )
        )

    results = []
    for _ in range(2):
        try:
            with transaction.atomic():
                results.append(run())
                raise Undo
        except Undo:
            pass
    assert results[0] == results[1]
    assert len(results[0]) >= 30
