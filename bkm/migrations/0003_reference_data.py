"""Load Kota Palangka Raya's kecamatan and kelurahan (reference §5.1)."""

from django.db import migrations


def load(apps, schema_editor):
    from bkm.reference_data import KECAMATAN

    Kecamatan = apps.get_model("bkm", "Kecamatan")
    Kelurahan = apps.get_model("bkm", "Kelurahan")
    for code, name, capital, area, kelurahan_names in KECAMATAN:
        kec, _ = Kecamatan.objects.update_or_create(
            name=name, defaults={"code": code, "capital": capital, "area_km2": area}
        )
        for index, kel_name in enumerate(kelurahan_names, start=1):
            # Kelurahan codes are provisional (kecamatan code + sequence); editable.
            Kelurahan.objects.get_or_create(
                kecamatan=kec, name=kel_name, defaults={"code": f"{code}.{1000 + index}"}
            )


class Migration(migrations.Migration):
    dependencies = [("bkm", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
