import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bkm import selectors
from bkm.models import BKM
from bkm.selectors import WarningCode
from tests.factories import BKMFactory, BoardMemberFactory


def codes(bkm) -> set[str]:
    return {w.code for w in selectors.bkm_warnings(bkm)}


def annotated(bkm) -> BKM:
    return selectors.bkm_get_annotated(pk=bkm.pk)


@pytest.mark.django_db
def test_bkm_warnings_term_expired_ending_and_fine(make_board, settings):
    today = datetime.date.today()
    expired, ending, fine, edge = BKMFactory(), BKMFactory(), BKMFactory(), BKMFactory()
    make_board(expired, term_end=today - datetime.timedelta(days=1))
    make_board(ending, term_end=today + datetime.timedelta(days=settings.BKM_TERM_WARNING_DAYS))
    make_board(fine, term_end=today + datetime.timedelta(days=settings.BKM_TERM_WARNING_DAYS + 1))
    make_board(edge, term_end=today)
    for bkm in (expired, ending, fine, edge):
        # Annotated (list) and plain (single BKM) paths agree.
        assert codes(annotated(bkm)) == codes(BKM.objects.get(pk=bkm.pk))
    assert WarningCode.TERM_EXPIRED in codes(annotated(expired))
    assert WarningCode.TERM_ENDING in codes(annotated(ending))
    assert WarningCode.TERM_ENDING in codes(annotated(edge))
    assert codes(annotated(fine)) == set()


@pytest.mark.django_db
def test_bkm_warnings_earliest_active_term_counts_and_former_members_do_not(bkm, make_board):
    today = datetime.date.today()
    make_board(bkm, n=9, term_end=today + datetime.timedelta(days=500))
    BoardMemberFactory(
        bkm=bkm,
        is_active=False,
        term_start=today - datetime.timedelta(days=2000),
        term_end=today - datetime.timedelta(days=900),
    )
    assert codes(annotated(bkm)) == set()
    BoardMemberFactory(bkm=bkm, gender="P", term_end=today + datetime.timedelta(days=10))
    assert WarningCode.TERM_ENDING in codes(annotated(bkm))


@pytest.mark.django_db
def test_bkm_warnings_board_size_range_is_configurable(bkm, make_board, settings):
    make_board(bkm, n=8, women=4)
    assert WarningCode.BOARD_SMALL in codes(annotated(bkm))
    settings.BKM_BOARD_SIZE_MIN = 8
    assert WarningCode.BOARD_SMALL not in codes(annotated(bkm))
    settings.BKM_BOARD_SIZE_MAX = 7
    assert WarningCode.BOARD_LARGE in codes(annotated(bkm))


@pytest.mark.django_db
def test_bkm_warnings_no_board_is_a_danger(bkm):
    warnings = selectors.bkm_warnings(annotated(bkm))
    assert [(w.code, w.level) for w in warnings] == [(WarningCode.NO_BOARD, "danger")]


@pytest.mark.django_db
def test_bkm_warnings_women_share_below_minimum(make_board, settings):
    low, ok = BKMFactory(), BKMFactory()
    make_board(low, n=10, women=2)
    make_board(ok, n=10, women=3)
    assert WarningCode.WOMEN_LOW in codes(annotated(low))
    assert WarningCode.WOMEN_LOW not in codes(annotated(ok))
    message = next(w.message for w in selectors.bkm_warnings(annotated(low)) if w.code == WarningCode.WOMEN_LOW)
    assert "20%" in message


def _fill(n: int, make_board) -> None:
    for i in range(n):
        bkm = BKMFactory()
        make_board(bkm, n=9 + i % 5, women=i % 4)


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["bkm:list", "bkm:export_csv", "bkm:export_xlsx"])
def test_bkm_list_queries_do_not_grow_with_rows(client, staff_viewer, make_board, url_name):
    client.force_login(staff_viewer)
    _fill(4, make_board)
    url = reverse(url_name)
    client.get(url)  # warm caches (content types, sessions)
    # Both measured just after BKMs were added: the layout's forum grants, kept under a version that
    # adding a BKM raises (forum migration 0007), are computed again each time.
    _fill(1, make_board)
    with CaptureQueriesContext(connection) as five:
        assert client.get(url).status_code == 200
    _fill(25, make_board)
    with CaptureQueriesContext(connection) as thirty:
        response = client.get(url)
    assert response.status_code == 200
    assert len(thirty) <= len(five), [q["sql"][:120] for q in thirty.captured_queries]


@pytest.mark.django_db
def test_bkm_list_query_bound_with_django_assert(client, staff_viewer, make_board, django_assert_max_num_queries):
    client.force_login(staff_viewer)
    _fill(4, make_board)
    client.get(reverse("bkm:list"))
    _fill(1, make_board)  # as above: both measured just after BKMs were added
    with CaptureQueriesContext(connection) as five:
        client.get(reverse("bkm:list"), {"warning": "any"})
    _fill(25, make_board)
    with django_assert_max_num_queries(len(five)):
        response = client.get(reverse("bkm:list"), {"warning": "any"})
    assert response.status_code == 200


@pytest.mark.django_db
def test_proposal_list_queries_do_not_grow_with_rows(client, staff_viewer):
    from tests.factories import ProposalFactory

    client.force_login(staff_viewer)
    bkms = [BKMFactory() for _ in range(3)]
    for i in range(3):
        ProposalFactory(bkm=bkms[i % 3])
    url = reverse("bkm:proposal_list")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(22):
        ProposalFactory(bkm=bkms[i % 3])
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) <= len(few)


@pytest.mark.django_db
def test_bkm_history_lists_who_and_what_changed(bkm, staff_admin):
    from bkm import services

    member = BoardMemberFactory(bkm=bkm, name="Siti Lestari", phone="")
    member._history_user = staff_admin  # as the request middleware would set it
    services.board_member_save(bkm=bkm, member=member, data={"phone": "081234567890"})
    entries = selectors.bkm_history(bkm=bkm)
    change = next(e for e in entries if e.action == "diubah" and e.obj == "Siti Lestari")
    assert change.who == str(staff_admin)
    assert [(c.field, c.old, c.new) for c in change.changes] == [("telepon", "—", "081234567890")]
    assert any(e.action == "dibuat" and e.obj == "Siti Lestari" for e in entries)


@pytest.mark.django_db
def test_bkm_profile_lists_missing_documents_and_slum_areas(bkm, pdf_bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from bkm import services
    from tests.factories import SlumAreaFactory

    SlumAreaFactory(kelurahan=bkm.kelurahan)
    SlumAreaFactory(kelurahan=BKMFactory().kelurahan)
    services.document_create(
        bkm=bkm, doc_type="akta", title="Akta", upload=SimpleUploadedFile("a.pdf", pdf_bytes), actor=None
    )
    profile = selectors.bkm_profile(bkm=bkm)
    assert "Akta notaris" not in profile.missing_document_types
    assert "AD/ART" in profile.missing_document_types
    assert [a.kelurahan_id for a in profile.slum_areas] == [bkm.kelurahan_id]
