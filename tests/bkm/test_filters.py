import datetime

import pytest
from django.urls import reverse

from bkm import selectors
from bkm.filters import BKMFilterSet, ProposalFilterSet
from bkm.models import BKM
from bkm.selectors import WarningCode
from tests.factories import BKMFactory, ProposalFactory
from tests.links import csv_rows, link_href


@pytest.mark.django_db
def test_bkm_filterset_filters_by_warning_in_sql(make_board, staff_viewer):
    today = datetime.date.today()
    expired, ending, women_low, fine, small = (BKMFactory() for _ in range(5))
    make_board(expired, term_end=today - datetime.timedelta(days=5))
    make_board(ending, term_end=today + datetime.timedelta(days=30))
    make_board(women_low, women=1)
    make_board(fine)
    make_board(small, n=4, women=2)

    def names(code: str) -> set[str]:
        return {
            b.name
            for b in BKMFilterSet({"warning": code}, queryset=selectors.bkm_list_with_warnings(user=staff_viewer)).qs
        }

    assert names(WarningCode.TERM_EXPIRED) == {expired.name}
    assert names(WarningCode.TERM_ENDING) == {ending.name}
    assert names("term") == {expired.name, ending.name}
    assert names(WarningCode.WOMEN_LOW) == {women_low.name}
    assert names("board_size") == {small.name}
    assert names("any") == {expired.name, ending.name, women_low.name, small.name}
    assert names("none") == {fine.name}
    # The SQL filter and the Python rule say the same thing for every BKM.
    for bkm in selectors.bkm_list_with_warnings(user=staff_viewer):
        assert (bkm.name in names("any")) == bool(selectors.bkm_warnings(bkm))


@pytest.mark.django_db
def test_bkm_filterset_filters_kecamatan_status_handover_and_search(make_board, staff_viewer):
    from bkm import services

    a, b = BKMFactory(), BKMFactory()
    b_kel = b.kelurahan
    make_board(a)
    services.handover_save(
        bkm=a, data={"handover_date": datetime.date(2024, 5, 1), "legal_basis": "SK Wali Kota 188.45/1/2024"}
    )

    def names(**kw) -> set[str]:
        return {x.name for x in BKMFilterSet(kw, queryset=selectors.bkm_list_with_warnings(user=staff_viewer)).qs}

    assert names(kecamatan=b_kel.kecamatan_id) >= {b.name}
    assert names(kelurahan=b_kel.pk) == {b.name}
    assert names(handover="ya") == {a.name}
    assert names(handover="tidak") == {b.name}
    assert names(q=b_kel.name) == {b.name}
    assert names(q="Anggota 0") == {a.name}  # the coordinator's name
    BKM.objects.filter(pk=b.pk).update(status="dibekukan")
    assert names(status="dibekukan") == {b.name}


@pytest.mark.django_db
def test_bkm_list_filter_page_two_and_export_carry_the_same_set(client, staff_viewer, make_board):
    today = datetime.date.today()
    for i in range(30):
        make_board(BKMFactory(), n=9, women=3 if i % 10 else 0, term_end=today + datetime.timedelta(days=900))
    client.force_login(staff_viewer)
    # 3 of the 30 have too few women: the filter keeps the other 27, over two pages.
    url = reverse("bkm:list") + "?warning=none&q=BKM"
    expected = set(
        BKMFilterSet(
            {"warning": "none", "q": "BKM"}, queryset=selectors.bkm_list_with_warnings(user=staff_viewer)
        ).qs.values_list("name", flat=True)
    )
    assert len(expected) == 27
    page1 = client.get(url).content.decode()
    page2_url = link_href(url, page1, "Berikutnya")
    page2 = client.get(page2_url).content.decode()
    shown = {name for name in expected if f">{name}</a>" in page1 or f">{name}</a>" in page2}
    assert shown == expected
    export = client.get(link_href(url, page1, "Ekspor CSV"))
    rows = csv_rows(export)
    assert {r[0] for r in rows[1:]} == expected


@pytest.mark.django_db
def test_bkm_list_invalid_filter_value_is_ignored_not_an_error(client, staff_viewer):
    BKMFactory()
    client.force_login(staff_viewer)
    response = client.get(reverse("bkm:list"), {"kecamatan": "999999", "status": "nonsense"})
    assert response.status_code == 200
    assert "1 BKM/LKM" in response.content.decode()


@pytest.mark.django_db
def test_proposal_list_filter_and_page_two_carry_the_same_set(client, staff_viewer):
    bkm = BKMFactory()
    for i in range(30):
        ProposalFactory(bkm=bkm, year=2025 if i < 27 else 2026)
    client.force_login(staff_viewer)
    url = reverse("bkm:proposal_list") + "?year=2025"
    expected = set(
        ProposalFilterSet({"year": "2025"}, queryset=selectors.proposal_list(user=staff_viewer)).qs.values_list(
            "title", flat=True
        )
    )
    assert len(expected) == 27
    page1 = client.get(url).content.decode()
    page2 = client.get(link_href(url, page1, "Berikutnya")).content.decode()
    assert {t for t in expected if f">{t}</a>" in page1 or f">{t}</a>" in page2} == expected
    assert "27 usulan" in page1
