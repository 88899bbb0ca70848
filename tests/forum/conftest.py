from __future__ import annotations

import pytest

from bkm.models import Kelurahan
from forum.models import Category
from tests.factories import BKMFactory, UserFactory


@pytest.fixture
def general(db):
    return Category.objects.get(slug="kelembagaan-bkm")


@pytest.fixture
def announcements(db):
    return Category.objects.get(slug="pengumuman-pokja-pkp")


@pytest.fixture
def home_kecamatan_category(bkm):
    """The kecamatan category of the `bkm` fixture (where `member` may read)."""
    return Category.objects.get(kecamatan=bkm.kelurahan.kecamatan)


@pytest.fixture
def far_bkm(bkm):
    """A BKM in a different kecamatan from `bkm`."""
    kel = (
        Kelurahan.objects.exclude(kecamatan=bkm.kelurahan.kecamatan).filter(bkms__isnull=True).order_by("id").first()
    )
    return BKMFactory(kelurahan=kel)


@pytest.fixture
def far_member(far_bkm):
    """A BKM member who may see but not read `home_kecamatan_category`."""
    return UserFactory(role="bkm_member", bkm=far_bkm, username="anggota2")


@pytest.fixture
def member_b(bkm):
    return UserFactory(role="bkm_member", bkm=bkm, username="anggotab")


@pytest.fixture
def category_moderator(general):
    user = UserFactory(role="bkm_member", username="moderator_kategori")
    general.moderators.add(user)
    return user
