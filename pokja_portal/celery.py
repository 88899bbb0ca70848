"""Celery application.

With no broker configured (the embedded default) tasks run eagerly in-process,
so `make run` needs nothing but Python. With CELERY_BROKER_URL set, tasks go to
the broker and a worker (`celery -A pokja_portal worker`) runs them.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pokja_portal.settings.base")

app = Celery("pokja_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
