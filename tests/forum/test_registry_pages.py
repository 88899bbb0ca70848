"""The registry's BKM and proposal pages show linked forum threads through the forum's filter."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forum import services
from forum.selectors import threads_linked_to
from tests.factories import ProposalFactory
from tests.forum.factories import ThreadFactory

pytestmark = pytest.mark.django_db


def test_bkm_page_lists_only_linked_threads_the_viewer_may_read(
    client, bkm, member, upk_manager, staff_viewer, general, home_kecamatan_category
):
    open_thread = services.thread_create(
        user=member, category=general, title="Rapat koordinasi drainase", source="Isi rapat", bkm=bkm
    )
    kecamatan_thread = services.thread_create(
        user=member, category=home_kecamatan_category, title="Urusan kecamatan saja", source="Isi", bkm=bkm
    )
    hidden = ThreadFactory(category=general, bkm=bkm, title="Utas yang disembunyikan", is_hidden=True)
    for user in (member, upk_manager, staff_viewer):
        client.force_login(user)
        html = client.get(reverse("bkm:records", args=[bkm.pk])).content.decode()
        allowed = {t.title for t in threads_linked_to(user=user, bkm=bkm)}
        assert open_thread.title in allowed
        for thread in (open_thread, kecamatan_thread, hidden):
            assert (thread.title in html) == (thread.title in allowed), (user.username, thread.title)
    assert hidden.title not in {t.title for t in threads_linked_to(user=member, bkm=bkm)}


def test_proposal_page_shows_its_discussion(client, bkm, member, staff_viewer, general):
    proposal = ProposalFactory(bkm=bkm)
    thread = services.thread_create(
        user=member, category=general, title="Diskusi usulan drainase", source="Mari bahas", proposal=proposal
    )
    client.force_login(staff_viewer)
    html = client.get(reverse("bkm:proposal_detail", args=[proposal.pk])).content.decode()
    assert thread.title in html
