import pytest

from core.tasks import users_count
from tests.factories import UserFactory


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_users_count_runs_on_real_worker_against_test_database(celery_worker):
    UserFactory.create_batch(3)
    assert users_count.delay().get(timeout=30) == 3
