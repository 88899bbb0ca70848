"""Warnings agree with their subject: the page a warning opens shows it (one rule, rendered in both places),
and the warnings list filters (kind, severity, kecamatan, answered) and groups them with counts."""

from __future__ import annotations

import datetime
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from reports.warnings import collect_warnings
from tests.factories import BKMFactory, BoardMemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(settings, collaboration):
    """BKMs with different problems in three kecamatan, and a proposal stuck for 45 days."""
    settings.BKM_BOARD_SIZE_MIN, settings.BKM_BOARD_SIZE_MAX, settings.BKM_TERM_WARNING_DAYS = 9, 13, 90
    settings.REPORTS_PROPOSAL_STUCK_DAYS = 30
    today = datetime.date.today()
    bkms = collaboration["bkms"]
    for i in range(9):  # the first BKM: a full board whose term has expired
        BoardMemberFactory(bkm=bkms[0], name=f"Pengurus {i}", term_end=today - datetime.timedelta(days=3))
    UserFactory(role="bkm_member", bkm=bkms[1], is_coordinator=True)  # the second has its coordinator user
    stuck = collaboration["proposals"][2]  # dibahas
    stuck.history.model.objects.filter(id=stuck.pk).update(history_date=timezone.now() - datetime.timedelta(days=45))
    return {**collaboration, "stuck": stuck}


def test_every_warning_shows_on_the_page_it_opens(client, staff_admin, city):
    client.force_login(staff_admin)
    items = collect_warnings()
    kinds = {i.warning.kind for i in items}
    assert {"bkm-no-coordinator", "bkm-term", "bkm-board-short", "proposal-stuck", "bkm-incomplete"} <= kinds
    pages: dict[str, str] = {}
    for item in items:
        w = item.warning
        assert w.subject_type in {"bkm", "proposal", "upk"} and w.subject_id and w.kecamatan, w
        if w.url not in pages:
            response = client.get(w.url)
            assert response.status_code == 200, w.url
            pages[w.url] = response.content.decode()
        assert html.escape(w.reason) in pages[w.url] or w.reason in pages[w.url], (w.key, w.url)
        assert f'data-warning-key="{w.key}"' in pages[w.url]


def test_bkm_without_coordinator_user_is_not_called_warning_free_on_its_page(client, staff_admin, settings):
    settings.BKM_BOARD_SIZE_MIN = 1
    bkm = BKMFactory()
    BoardMemberFactory(bkm=bkm, gender="P", term_end=datetime.date.today() + datetime.timedelta(days=900))
    client.force_login(staff_admin)
    page = client.get(reverse("bkm:detail", args=[bkm.pk])).content.decode()
    assert "Belum ada pengguna koordinator BKM di portal." in page
    assert "Tidak ada peringatan" not in page
    # Once the coordinator has a portal account the warning goes, from both places.
    UserFactory(role="bkm_member", bkm=bkm, is_coordinator=True)
    assert f"bkm-no-coordinator:{bkm.pk}" not in {i.warning.key for i in collect_warnings()}
    page = client.get(reverse("bkm:detail", args=[bkm.pk])).content.decode()
    assert "Belum ada pengguna koordinator BKM di portal." not in page


def test_bkm_page_keeps_registry_warnings_no_provider_reports(client, staff_admin, settings):
    settings.BKM_BOARD_SIZE_MIN = 1
    bkm = BKMFactory()
    BoardMemberFactory(bkm=bkm, gender="L", term_end=datetime.date.today() + datetime.timedelta(days=900))
    client.force_login(staff_admin)
    page = client.get(reverse("bkm:detail", args=[bkm.pk])).content.decode()
    assert 'data-warning="women_low"' in page  # the registry's own rule, not on the dashboard


def test_warning_list_filters_by_kind_severity_and_kecamatan_and_groups_with_counts(client, staff_admin, city):
    client.force_login(staff_admin)
    url = reverse("reports:warning_list")
    everything = client.get(url)
    assert everything.status_code == 200
    groups = {g.kind: len(g.items) for g in everything.context["groups"]}
    items = collect_warnings()
    assert sum(groups.values()) == len(items) == everything.context["total"]
    for kind, n in groups.items():
        assert n == sum(1 for i in items if i.warning.kind == kind)
        assert f'data-kind="{kind}"' in everything.content.decode()

    by_kind = client.get(url, {"jenis": "proposal-stuck"}).context
    assert [g.kind for g in by_kind["groups"]] == ["proposal-stuck"]
    assert [i.warning.subject_id for i in by_kind["groups"][0].items] == [city["stuck"].pk]

    danger = client.get(url, {"tingkat": "danger"}).context
    assert danger["total"] == sum(1 for i in items if i.warning.severity == "danger") > 0
    assert {i.warning.severity for g in danger["groups"] for i in g.items} == {"danger"}

    kecamatan = city["kecamatan"][1]
    in_kec = client.get(url, {"kecamatan": kecamatan.pk}).context
    assert in_kec["total"] == sum(1 for i in items if i.warning.kecamatan_id == kecamatan.pk) > 0
    assert {i.warning.kecamatan for g in in_kec["groups"] for i in g.items} == {kecamatan.name}

    both = client.get(url, {"kecamatan": kecamatan.pk, "jenis": "proposal-stuck", "tingkat": "warning"}).context
    assert [i.warning.key for g in both["groups"] for i in g.items] == [
        i.warning.key
        for i in items
        if i.warning.kecamatan_id == kecamatan.pk
        and i.warning.kind == "proposal-stuck"
        and i.warning.severity == "warning"
    ]


def test_warning_list_bad_filter_value_is_ignored_and_staff_only(client, staff_admin, city):
    client.force_login(staff_admin)
    response = client.get(reverse("reports:warning_list"), {"kecamatan": "999999", "tingkat": "parah"})
    assert response.status_code == 200
    assert response.context["total"] == len(collect_warnings())
    client.force_login(UserFactory(role="bkm_member", bkm=city["bkms"][2]))
    assert client.get(reverse("reports:warning_list")).status_code == 403


def test_dashboard_groups_warnings_with_counts_linking_to_the_filtered_list(client, staff_admin, city):
    client.force_login(staff_admin)
    page = client.get(reverse("reports:dashboard_warnings")).content.decode()
    assert f"{reverse('reports:warning_list')}?jenis=proposal-stuck" in page
    assert "Usulan tertahan di satu status" in page


def test_upk_home_shows_its_par_and_package_warnings(client, staff_admin, upk_portfolio, settings):
    settings.REPORTS_UPK_PACKAGE_DUE_DAY = 0  # last month's package is overdue today
    good, rising, late = upk_portfolio["upks"]
    items = [i for i in collect_warnings() if i.warning.subject_type == "upk"]
    assert {i.warning.kind for i in items} == {"upk-par", "upk-package-missing"}
    client.force_login(staff_admin)
    for unit in (good, rising, late):
        page = client.get(reverse("upk:home", args=[unit.pk])).content.decode()
        mine = [i.warning for i in items if i.warning.subject_id == unit.pk]
        for w in mine:
            assert f'data-warning-key="{w.key}"' in page and html.escape(w.reason) in page
        assert ("Tidak ada peringatan" in page) is (not mine)
    assert any(i.warning.subject_id == rising.pk and i.warning.kind == "upk-par" for i in items)


def test_proposals_with_status_since_reads_each_proposals_own_history(bkm):
    from bkm.models import Proposal, ProposalStatus
    from reports.selectors import proposals_with_status_since
    from tests.factories import ProposalFactory

    # History ids run ahead of proposal ids once a proposal has changed a few times.
    busy = ProposalFactory(bkm=bkm)
    for status in (ProposalStatus.DIBAHAS, ProposalStatus.DISETUJUI, ProposalStatus.DILAKSANAKAN):
        busy.status = status
        busy.save()
    stuck = ProposalFactory(bkm=bkm, status=ProposalStatus.DIBAHAS)
    record = stuck.history.model.objects.get(id=stuck.pk)
    record.history_date = timezone.now() - datetime.timedelta(days=100)
    record.save()
    # Another proposal, in another status since now, whose id is the stuck one's history row id.
    assert not Proposal.objects.filter(pk=record.history_id).exists()
    ProposalFactory(id=record.history_id, bkm=bkm, status=ProposalStatus.DISETUJUI)

    assert proposals_with_status_since().get(pk=stuck.pk).status_since == record.history_date


def test_warning_list_paginates_with_counts_of_every_matching_warning(client, staff_admin, city, monkeypatch):
    from reports import views

    items = collect_warnings()
    assert len(items) > 3
    monkeypatch.setattr(views, "WARNINGS_PER_PAGE", 3)
    client.force_login(staff_admin)
    url = reverse("reports:warning_list")
    seen = []
    pages = -(-len(items) // 3)
    for number in range(1, pages + 1):
        context = client.get(url, {"page": number}).context
        assert context["total"] == len(items)
        assert context["page_obj"].paginator.num_pages == pages
        shown = [i.warning.key for g in context["groups"] for i in g.items]
        assert 0 < len(shown) <= 3
        for g in context["groups"]:  # a group's count is the kind's, not the page's
            assert g.count == sum(1 for i in items if i.warning.kind == g.kind)
        seen += shown
    assert sorted(seen) == sorted(i.warning.key for i in items)
    assert f'href="?page={pages}"' in client.get(url, {"page": pages - 1}).content.decode()


def test_warning_list_of_one_kind_runs_only_its_providers(client, staff_admin, city, monkeypatch):
    from reports import warnings

    ran = []

    def other_kind(only=None):
        ran.append("bkm-forum-silent")
        return []

    monkeypatch.setitem(warnings._registry.providers, "reports.warnings.bkm_forum_silent", other_kind)
    assert [i.warning.kind for i in collect_warnings(kind="proposal-stuck")] == ["proposal-stuck"]
    client.force_login(staff_admin)
    context = client.get(reverse("reports:warning_list"), {"jenis": "proposal-stuck"}).context
    assert [i.warning.subject_id for g in context["groups"] for i in g.items] == [city["stuck"].pk]
    assert ran == []
    collect_warnings()
    assert ran == ["bkm-forum-silent"]


def test_dashboard_all_warnings_opens_the_warnings_list(client, staff_admin, city):
    client.force_login(staff_admin)
    response = client.get(reverse("reports:dashboard"), {"peringatan": "semua", "jenis": "proposal-stuck"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('reports:warning_list')}?jenis=proposal-stuck"
    response = client.get(reverse("reports:dashboard"), {"peringatan": "semua", "jenis": "<x>"})
    assert response["Location"] == reverse("reports:warning_list")


def test_collect_warnings_of_a_subject_read_by_its_page_are_those_read_again(staff_admin, city):
    from bkm.selectors import bkm_get_annotated

    for bkm in city["bkms"]:
        again = [(i.warning.key, i.warning.reason) for i in collect_warnings(subject_type="bkm", subject_id=bkm.pk)]
        given = collect_warnings(subject_type="bkm", subject_id=bkm.pk, subject=bkm_get_annotated(pk=bkm.pk))
        assert [(i.warning.key, i.warning.reason) for i in given] == again
    kinds = {i.warning.kind for i in collect_warnings(subject_type="bkm", subject_id=city["bkms"][0].pk)}
    assert {"bkm-term", "bkm-board-short"} & kinds  # the providers that take the subject have something to say
