from __future__ import annotations

import importlib
import json
from xml.etree import ElementTree

import pytest
from django.apps import apps
from django_celery_beat.models import PeriodicTask

from reports.charts import bar_chart, line_chart
from reports.models import RunStatus
from reports.services import report_run_create
from reports.tasks import report_generate

migration = importlib.import_module("reports.migrations.0002_periodic_tasks")


@pytest.mark.django_db
def test_periodic_tasks_migration_schedules_watchdog_and_monthly_city_report():
    PeriodicTask.objects.filter(name__in=[migration.WATCHDOG, migration.MONTHLY]).delete()
    migration.create(apps, None)
    migration.create(apps, None)  # idempotent
    watchdog = PeriodicTask.objects.get(name=migration.WATCHDOG)
    assert watchdog.task == "reports.tasks.report_watchdog" and watchdog.enabled
    assert watchdog.interval.every == 2 and watchdog.interval.period == "minutes"
    monthly = PeriodicTask.objects.get(name=migration.MONTHLY)
    assert monthly.task == "reports.tasks.report_scheduled"
    assert json.loads(monthly.kwargs) == {"report_type": "kinerja_upk_kota"}
    assert monthly.crontab.day_of_month == "1" and str(monthly.crontab.timezone) == "Asia/Jakarta"


@pytest.mark.django_db
def test_report_generate_on_failure_marks_run_failed_when_retries_run_out(staff_admin):
    from django.db import OperationalError

    run = report_run_create(user=staff_admin, report_type="kolaborasi", params={})
    report_generate.on_failure(OperationalError("server closed the connection"), "t1", (run.pk,), {}, None)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    # The reason in Indonesian words, not the driver's text.
    assert "tidak dapat dijangkau" in run.error_message and "server closed" not in run.error_message


def test_charts_are_well_formed_svg_with_escaped_labels():
    bar = bar_chart([("Jekan <Raya>", (3, 1)), ("Pahandut & Co", (0, 0))], title="Uji", series=("A", "B"))
    line = line_chart(["Jan", "Feb", "Mar"], [("PAR", [1.5, None, 4])], title="Tren")
    for svg in (bar, line):
        root = ElementTree.fromstring(str(svg))
        assert root.tag.endswith("svg") and "style" not in str(svg)
    assert "Jekan &lt;Raya&gt;" in bar and "Pahandut &amp; Co" in bar
    assert str(line).count("<polyline") == 2  # the gap splits the line
