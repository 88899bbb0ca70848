"""The BKM member's and coordinator's landing page (issue 10)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from bkm.models import Document, DocumentType
from tests.factories import BoardMemberFactory


@pytest.mark.django_db
def test_member_lands_on_their_bkm_without_the_coordinators_list(client, member, bkm):
    client.force_login(member)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="landing-bkm"' in page
    assert f'href="{reverse("bkm:detail", args=[bkm.pk])}"' in page and bkm.name in page
    assert f'href="{reverse("upk:home", args=[bkm.units.get(unit_type="upk").pk])}"' in page
    assert "Yang perlu dibenahi" not in page


@pytest.mark.django_db
def test_coordinator_sees_what_the_bkm_must_fix(client, coordinator, bkm):
    BoardMemberFactory(bkm=bkm, term_end=datetime.date.today() - datetime.timedelta(days=10))
    Document.objects.create(bkm=bkm, doc_type=DocumentType.ADART, title="AD/ART")
    client.force_login(coordinator)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="bkm-todo"' in page
    assert "Masa bakti pengurus habis sejak" in page
    assert "Jumlah pengurus 1, kurang dari minimal" in page
    assert f"Dokumen {DocumentType.AKTA.label} belum diunggah." in page
    assert f"Dokumen {DocumentType.ADART.label} belum diunggah." not in page
    assert f'href="{reverse("bkm:document_create", args=[bkm.pk])}"' in page


@pytest.mark.django_db
def test_staff_keep_the_dashboard_and_a_manager_without_upk_gets_no_upk_panel(client, staff_viewer):
    from tests.factories import UserFactory

    client.force_login(staff_viewer)
    assert "reports/dashboard.html" in [t.name for t in client.get(reverse("home")).templates]
    client.force_login(UserFactory(role="upk_manager", username="manajer_kosong"))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert not {"upk", "bkm"} & {panel.key for panel, _data in response.context["panels"]}


@pytest.mark.django_db
@pytest.mark.parametrize("n_board", [2, 12])
def test_coordinator_landing_query_count_is_flat(client, coordinator, bkm, django_assert_max_num_queries, n_board):
    BoardMemberFactory.create_batch(n_board, bkm=bkm)
    client.force_login(coordinator)
    client.get(reverse("home"))
    # Layout, the BKM with its board figures, its units, its documents, the forum panel: 12 measured.
    with django_assert_max_num_queries(12):
        assert client.get(reverse("home")).status_code == 200
