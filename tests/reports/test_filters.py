from __future__ import annotations

import pytest
from django.urls import reverse

from reports.filters import RunFilterSet
from reports.models import ReportRun, RunStatus
from reports.services import report_run_create
from tests.links import link_href

pytestmark = pytest.mark.django_db


def test_run_list_filter_and_page_two_carry_the_same_set(
    client, coordinator, staff_admin, django_assert_max_num_queries
):
    for _ in range(23):
        report_run_create(user=coordinator, report_type="profil_bkm", params={"bkm": coordinator.bkm_id})
        report_run_create(user=staff_admin, report_type="kolaborasi", params={})
    failed = ReportRun.objects.filter(report_type="profil_bkm").order_by("pk")[:2]
    ReportRun.objects.filter(pk__in=[r.pk for r in failed]).update(status=RunStatus.FAILED)
    client.force_login(staff_admin)
    url = reverse("reports:run_list") + "?jenis=profil_bkm&status=queued"
    expected = set(
        RunFilterSet({"jenis": "profil_bkm", "status": "queued"}, queryset=ReportRun.objects.all()).qs.values_list(
            "pk", flat=True
        )
    )
    assert len(expected) == 21
    with django_assert_max_num_queries(10):
        page1 = client.get(url)
    seen = {r.pk for r in page1.context["runs"]}
    page2 = client.get(link_href(url, page1.content.decode(), "Berikutnya"))
    seen |= {r.pk for r in page2.context["runs"]}
    assert seen == expected
    assert page1.context["page_obj"].paginator.count == 21


def test_run_list_unknown_type_is_ignored_not_an_error(client, staff_admin):
    report_run_create(user=staff_admin, report_type="kolaborasi", params={})
    client.force_login(staff_admin)
    response = client.get(reverse("reports:run_list"), {"jenis": "tidak-ada"})
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 1
