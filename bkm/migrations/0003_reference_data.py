"""Load Kota Palangka Raya's kecamatan and kelurahan (reference §5.1)."""

from django.db import migrations


def load(apps, schema_editor):
    from bkm import reference_data

    reference_data.load(apps.get_model("bkm", "Kecamatan"), apps.get_model("bkm", "Kelurahan"))


class Migration(migrations.Migration):
    dependencies = [("bkm", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
