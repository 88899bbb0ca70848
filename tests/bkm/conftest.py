from __future__ import annotations

import datetime

import pytest

from bkm.demo_extra import minimal_pdf
from bkm.models import BoardMember
from tests.factories import BKMFactory, UserFactory


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploaded files of each test go to its own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def pdf_bytes() -> bytes:
    return minimal_pdf("Dokumen uji", ["BKM uji"])


@pytest.fixture
def make_board():
    """Create an active board: `n` members, `women` of them women, all ending on `term_end`."""

    def make(
        bkm, *, n: int = 9, women: int = 3, term_end: datetime.date | None = None, coordinator: bool = True
    ) -> list[BoardMember]:
        today = datetime.date.today()
        term_end = term_end or today + datetime.timedelta(days=400)
        members = [
            BoardMember(
                bkm=bkm,
                name=f"Anggota {i}",
                gender="P" if i < women else "L",
                position="koordinator" if i == 0 and coordinator else "anggota",
                term_start=term_end - datetime.timedelta(days=3 * 365),
                term_end=term_end,
            )
            for i in range(n)
        ]
        return BoardMember.objects.bulk_create(members)

    return make


@pytest.fixture
def other_coordinator(other_bkm):
    return UserFactory(role="bkm_member", bkm=other_bkm, is_coordinator=True, username="koordinator_lain")


@pytest.fixture
def many_bkms(db):
    def make(n: int):
        return [BKMFactory() for _ in range(n)]

    return make
