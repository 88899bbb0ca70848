"""The optional read replica (issue 12): reports, the dashboard and the API read from it.

The replica is a second database alias pointing at the same server and database (the test settings'
`replica`, what `DATABASE_REPLICA_URL` adds in a deployment), so committed rows are visible through it
(transactional tests).
"""

from __future__ import annotations

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bkm.models import BKM
from core.db_router import REPLICA, ReplicaRouter, replica_configured, replica_reads
from tests.factories import BKMFactory, UserFactory


@pytest.fixture
def replica(settings):
    settings.DATABASE_REPLICA_READS = True
    return REPLICA


pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


def _queries(alias: str) -> CaptureQueriesContext:
    return CaptureQueriesContext(connections[alias])


def test_router_without_replica_reads_and_writes_the_primary():
    router = ReplicaRouter()
    assert not replica_configured()
    with replica_reads():
        assert router.db_for_read(BKM) == "default"
    assert router.db_for_write(BKM) == "default"


def test_replica_reads_go_to_the_replica_only_inside_the_block(replica):
    BKMFactory(name="BKM Replika")
    with _queries(REPLICA) as on_replica, _queries("default") as on_primary:
        with replica_reads():
            bkm = BKM.objects.get(name="BKM Replika")
        assert BKM.objects.filter(name="BKM Replika").exists()
    assert len(on_replica) == 1 and len(on_primary) == 1
    assert bkm._state.db == REPLICA
    bkm.address = "Jl. Tjilik Riwut"
    with _queries(REPLICA) as on_replica:
        bkm.save()  # an object read from the replica is written to the primary
    assert len(on_replica) == 0
    assert BKM.objects.using("default").get(pk=bkm.pk).address == "Jl. Tjilik Riwut"
    assert ReplicaRouter().allow_migrate(REPLICA, "bkm") is False


def test_dashboard_and_api_read_from_the_replica_other_pages_do_not(replica, client):
    bkm = BKMFactory()
    staff = UserFactory(role="staff_admin")
    client.force_login(staff)
    for url in (reverse("home"), "/api/bkm/", f"/api/bkm/{bkm.pk}/", "/api/upk-indikator/"):
        with _queries(REPLICA) as on_replica:
            assert client.get(url).status_code == 200, url
        assert len(on_replica) > 0, url
    with _queries(REPLICA) as on_replica:
        assert client.get(reverse("bkm:detail", args=[bkm.pk])).status_code == 200
    assert len(on_replica) == 0


def test_report_builder_reads_from_the_replica(replica):
    from reports.models import ReportRun, RunStatus
    from reports.services import report_run_create, report_run_generate

    BKMFactory()
    run = report_run_create(user=None, report_type="kolaborasi", params={})
    ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    run.refresh_from_db()
    with _queries(REPLICA) as on_replica:
        report_run_generate(run=run)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE  # written on the primary
    assert any("bkm_proposal" in q["sql"] for q in on_replica.captured_queries)
