"""Default aspects of the annual BKM assessment (reference §4.5).

"Penilaian Perkembangan Organisasi BKM": Organisasi 15, Kepemimpinan 20,
Sistem Manajemen 20, Sumberdaya Keuangan 15, SDM 15; the source is truncated
for the last ~15 % (KSM / relations), recorded here as "KSM dan Kemitraan".
Weights are editable afterwards (admin, and per assessment).
"""

from decimal import Decimal

from django.db import migrations



def load(apps, schema_editor):
    from bkm.reference_data import ASSESSMENT_ASPECTS as ASPECTS

    Aspect = apps.get_model("bkm", "AssessmentAspect")
    for order, (code, name, description, weight) in enumerate(ASPECTS, start=1):
        Aspect.objects.update_or_create(
            code=code,
            defaults={"name": name, "description": description, "default_weight": Decimal(weight), "order": order},
        )


def unload(apps, schema_editor):
    from bkm.reference_data import ASSESSMENT_ASPECTS as ASPECTS

    apps.get_model("bkm", "AssessmentAspect").objects.filter(code__in=[a[0] for a in ASPECTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("bkm", "0005_registry")]
    operations = [migrations.RunPython(load, unload)]
