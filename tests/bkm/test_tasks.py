"""The notice e-mail on the real Celery worker (mail queue), sent after the step's commit."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from bkm import services
from bkm.models import Notice
from tests.factories import OPDFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_send_notice_email_after_commit_on_worker(celery_worker, bkm, coordinator, staff_admin):
    proposal = services.proposal_create(
        bkm=bkm,
        data={
            "title": "Sumur bor RT 05",
            "opd": OPDFactory(),
            "kelurahan": bkm.kelurahan,
            "year": 2027,
            "budget_proposed": Decimal(60_000_000),
            "funding_source": "apbd",
        },
        actor=coordinator,
        draft=True,
    )
    services.proposal_transition(proposal_id=proposal.pk, to_status="diajukan", actor=coordinator)
    notice = Notice.objects.get(user=staff_admin)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        notice.refresh_from_db()
        if notice.emailed_at is not None:
            break
        time.sleep(0.2)
    assert notice.emailed_at is not None, "the worker did not send the notice e-mail in time"
