"""Schedules of the reports app, editable afterwards in the admin (django-celery-beat).

- the watchdog every 2 minutes: fails runs whose worker vanished or ran out of time;
- the monthly city report on the 1st at 06:00 WIB for the previous month; its
  subscribers get an email with the link when it is done.
"""

import json

from django.db import migrations

WATCHDOG = "Laporan: pengawas pembuatan laporan"
MONTHLY = "Laporan: Kinerja UPK se-Kota bulanan"


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_2_min, _ = IntervalSchedule.objects.get_or_create(every=2, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=WATCHDOG,
        defaults={"task": "reports.tasks.report_watchdog", "interval": every_2_min, "enabled": True},
    )
    monthly, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="6", day_of_month="1", month_of_year="*", day_of_week="*", timezone="Asia/Jakarta"
    )
    PeriodicTask.objects.update_or_create(
        name=MONTHLY,
        defaults={
            "task": "reports.tasks.report_scheduled",
            "crontab": monthly,
            "kwargs": json.dumps({"report_type": "kinerja_upk_kota"}),
            "enabled": True,
            "description": "Membuat laporan bulan lalu dan mengirim tautannya ke pelanggan.",
        },
    )


def remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[WATCHDOG, MONTHLY]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
