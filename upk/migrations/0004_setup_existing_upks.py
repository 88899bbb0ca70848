"""Settings and the default chart of accounts for UPK units that existed
before the ledger (new units get theirs from a post_save signal)."""

from django.db import migrations


def forward(apps, schema_editor):
    from upk.ledger.chart import DEFAULT_CHART

    Unit = apps.get_model("bkm", "Unit")
    UpkSettings = apps.get_model("upk", "UpkSettings")
    Account = apps.get_model("upk", "Account")
    for unit in Unit.objects.filter(unit_type="upk"):
        UpkSettings.objects.get_or_create(upk=unit)
        existing = set(Account.objects.filter(upk=unit).values_list("code", flat=True))
        Account.objects.bulk_create(
            [
                Account(upk=unit, code=code, name=name, kind=str(kind), is_contra=contra, role=str(role))
                for code, name, kind, contra, role in DEFAULT_CHART
                if code not in existing
            ]
        )


class Migration(migrations.Migration):
    dependencies = [("upk", "0003_cascade_setup_rows"), ("bkm", "0004_opd_proposal")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
