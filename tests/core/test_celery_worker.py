import pytest

from core.tasks import users_count
from tests.factories import UserFactory


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_users_count_runs_on_real_worker_against_test_database(celery_worker):
    UserFactory.create_batch(3)
    assert users_count.delay().get(timeout=30) == 3


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_celery_beat_starts_with_database_scheduler(tmp_path):
    """`celery -A pokja_portal beat` (as docker-compose runs it) starts and keeps running."""
    import os
    import subprocess
    import sys
    import time

    from django.db import connection

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pokja_portal.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "pokja_portal",
            "beat",
            "-l",
            "info",
            "--scheduler",
            "django_celery_beat.schedulers:DatabaseScheduler",
            "-s",
            str(tmp_path / "beat"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(6)
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
    finally:
        proc.terminate()
        output = proc.communicate(timeout=20)[0]
    assert "beat: Starting" in output
    assert "DatabaseScheduler" in output
