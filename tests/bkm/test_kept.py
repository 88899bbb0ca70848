"""The BKM page's overview and its records are kept in the cache under the registry's data version
(`bkm.selectors.bkm_overview_kept`, `bkm_records_kept`; triggers of bkm migration 0012): a write to any
of their inputs shows at once, and an unchanged registry is read from the cache."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bkm import selectors, services
from bkm.models import Document, DocumentVersion
from tests.factories import BoardMemberFactory, ProposalFactory, UserFactory

pytestmark = pytest.mark.django_db


def _page(client, bkm) -> str:
    response = client.get(reverse("bkm:detail", args=[bkm.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _records(client, bkm) -> str:
    response = client.get(reverse("bkm:records", args=[bkm.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def staff_client(client, staff_admin):
    client.force_login(staff_admin)
    return client


def test_a_bkm_field_edit_shows_at_once(staff_client, bkm):
    assert "Jl. Kenanga 7" not in _page(staff_client, bkm)
    services.bkm_update_contacts(bkm=bkm, data={"address": "Jl. Kenanga 7"})
    assert "Jl. Kenanga 7" in _page(staff_client, bkm)
    services.bkm_update_profile(bkm=bkm, data={"name": "BKM Kenanga Baru"})
    assert "BKM Kenanga Baru" in _page(staff_client, bkm)
    assert "BKM Kenanga Baru" in _records(staff_client, bkm)  # the history's entry, and the fragment's BKM


def test_a_board_member_added_shows_at_once(staff_client, bkm):
    assert "Pengurus Baru Sekali" not in _page(staff_client, bkm)
    BoardMemberFactory(bkm=bkm, name="Pengurus Baru Sekali")
    assert "Pengurus Baru Sekali" in _page(staff_client, bkm)


def test_a_document_added_shows_at_once(staff_client, bkm, staff_admin):
    assert "Notulen rapat anggota" not in _records(staff_client, bkm)
    document = Document.objects.create(bkm=bkm, doc_type="lainnya", title="Notulen rapat anggota")
    assert "Notulen rapat anggota" in _records(staff_client, bkm)
    DocumentVersion.objects.create(
        document=document,
        version=1,
        file=f"bkm/dokumen/{bkm.pk}/notulen.pdf",
        original_name="notulen.pdf",
        extension="pdf",
        content_type="application/pdf",
        size=1000,
        sha256="0" * 64,
        uploaded_by=staff_admin,
    )
    assert "notulen.pdf (v1)" in _records(staff_client, bkm)  # its history entry
    # The uploader's name is read from the users' table.
    staff_admin.first_name, staff_admin.last_name = "Ratna", "Sari"
    staff_admin.save()
    assert "Ratna Sari" in _records(staff_client, bkm)


def test_a_proposal_status_change_shows_at_once(staff_client, bkm, staff_admin):
    proposal = ProposalFactory(bkm=bkm, title="Jalan setapak RT 09")
    before = _records(staff_client, bkm)
    assert "Jalan setapak RT 09" in before
    to_status = services.proposal_allowed_transitions(proposal.status)[0]
    label = proposal.__class__(status=to_status).get_status_display()
    services.proposal_transition(proposal_id=proposal.pk, to_status=to_status, actor=staff_admin)
    after = _records(staff_client, bkm)
    assert after.count(str(label)) > before.count(str(label))


def test_the_overview_is_keyed_by_language(staff_client, bkm, make_board):
    """The registry's own warnings (here the women's share) are translated when the overview is computed."""
    make_board(bkm, n=9, women=0)
    assert "Perempuan hanya" in _page(staff_client, bkm)
    staff_client.cookies["django_language"] = "en"
    english = _page(staff_client, bkm)
    assert "Women are only" in english
    assert "Perempuan hanya" not in english


def test_the_records_respect_the_readers_scope(client, bkm, other_bkm):
    """A result kept for one reader is not shown to a reader who may not see the BKM."""
    client.force_login(UserFactory(role="bkm_member", bkm=bkm))
    assert client.get(reverse("bkm:records", args=[bkm.pk])).status_code == 200
    client.force_login(UserFactory(role="bkm_member", bkm=other_bkm))
    assert client.get(reverse("bkm:records", args=[bkm.pk])).status_code == 404
    assert client.get(reverse("bkm:detail", args=[bkm.pk])).status_code == 404
    assert client.get(reverse("bkm:detail", args=[999_999])).status_code == 404


@pytest.mark.parametrize("name", ["bkm:detail", "bkm:records"])
def test_an_unchanged_registry_is_read_from_the_cache(staff_client, bkm, monkeypatch, name):
    url = reverse(name, args=[bkm.pk])
    BoardMemberFactory(bkm=bkm, name="Pengurus Tetap")
    ProposalFactory(bkm=bkm, title="Usulan Tetap")
    shows = "Pengurus Tetap" if name == "bkm:detail" else "Usulan Tetap"
    with CaptureQueriesContext(connection) as cold:
        assert staff_client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as warm:
        assert shows in staff_client.get(url).content.decode()
    # Read now: the captured queries are a slice of the connection's log, which the next request clears.
    cold_sql, warm_sql = [q["sql"] for q in cold.captured_queries], [q["sql"] for q in warm.captured_queries]

    def not_computed(**_kwargs):
        raise AssertionError("computed again")

    for selector in ("bkm_overview", "bkm_records", "bkm_history"):
        monkeypatch.setattr(selectors, selector, not_computed)
    second = staff_client.get(url)
    assert second.status_code == 200
    assert shows in second.content.decode()
    # The overview's six reads (records': eight and the history's two) are not made.
    assert len(warm_sql) <= len(cold_sql) - 5, [sql[:100] for sql in warm_sql]
