"""Schedule the nightly stored-figures task (upk.tasks.figures_nightly) at 00:10 WIB with django-celery-beat."""

from django.db import migrations

TASK = "upk.tasks.figures_nightly"
NAME = "UPK: angka portofolio harian"


def forwards(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="10", hour="0", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Jakarta"
    )
    PeriodicTask.objects.update_or_create(name=NAME, defaults={"task": TASK, "crontab": schedule, "enabled": True})


def backwards(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("upk", "0021_ksm_chair_contact"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
