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
    kel = Kelurahan.objects.exclude(kecamatan=bkm.kelurahan.kecamatan).filter(bkms__isnull=True).order_by("id").first()
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


def ensure_reference_data() -> None:
    """Re-load the forum's migration data (categories and grants, the digest
    schedule) when a transactional test elsewhere has flushed it — with
    --reuse-db such a flush outlives the session. Kecamatan and kelurahan come
    back through tests/conftest.py."""
    import importlib

    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    if not Category.objects.exists():
        importlib.import_module("forum.migrations.0002_seed_categories").seed(apps, None)
    if not PeriodicTask.objects.filter(task="forum.tasks.send_daily_digests").exists():
        importlib.import_module("forum.migrations.0004_daily_digest_task").forwards(apps, None)


@pytest.fixture(autouse=True)
def _forum_reference_data(request):
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    ensure_reference_data()
