"""Separate Celery queues for reports, imports and mail (issue 12)."""

from __future__ import annotations

import pytest
from django.conf import settings

from pokja_portal.celery import app
from pokja_portal.celery_queues import KINDS, ROUTED, all_queues, queue_name


def test_routed_tasks_exist():
    app.loader.import_default_modules()
    assert set(ROUTED) <= set(app.tasks)


@pytest.mark.parametrize(
    ("task", "kind"),
    [
        ("reports.tasks.report_generate", "reports"),
        ("reports.tasks.report_scheduled", "reports"),
        ("upk.tasks.import_books", "imports"),
        ("forum.tasks.send_notification_email", "mail"),
        ("forum.tasks.send_digest", "mail"),
        ("reports.tasks.report_email_subscribers", "mail"),
    ],
)
def test_task_routes_send_each_kind_of_work_to_its_queue(task, kind):
    route = app.amqp.router.route({}, task, (), {})
    assert route["queue"].name == queue_name(settings.CELERY_TASK_DEFAULT_QUEUE, kind)


def test_task_routes_leave_small_tasks_on_the_checkouts_default_queue():
    route = app.amqp.router.route({}, "core.tasks.users_count", (), {})
    assert route["queue"].name == settings.CELERY_TASK_DEFAULT_QUEUE
    assert settings.CELERY_TASK_DEFAULT_QUEUE.startswith("pokja-test-")  # isolated per checkout


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_test_worker_consumes_every_queue_of_the_checkout(celery_worker):
    replies = app.control.inspect([celery_worker], timeout=5).active_queues()
    names = {q["name"] for q in replies[celery_worker]}
    assert names == set(all_queues(settings.CELERY_TASK_DEFAULT_QUEUE))
    assert len(names) == 1 + len(KINDS)
