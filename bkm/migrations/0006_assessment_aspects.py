"""Default aspects of the annual BKM assessment (reference §4.5).

"Penilaian Perkembangan Organisasi BKM": Organisasi 15, Kepemimpinan 20,
Sistem Manajemen 20, Sumberdaya Keuangan 15, SDM 15; the source is truncated
for the last ~15 % (KSM / relations), recorded here as "KSM dan Kemitraan".
Weights are editable afterwards (admin, and per assessment).
"""

from decimal import Decimal

from django.db import migrations

ASPECTS = [
    ("organisasi", "Organisasi", "Visi-misi, struktur, badan hukum, legitimasi pemilihan", "15"),
    ("kepemimpinan", "Kepemimpinan", "Pengambilan keputusan, perempuan dalam keputusan, mekanisme usulan warga, partisipasi anggota, pertemuan", "20"),
    ("sistem-manajemen", "Sistem Manajemen", "Perencanaan, monev, dokumentasi, PIM, penerima manfaat", "20"),
    ("sumberdaya-keuangan", "Sumberdaya Keuangan", "Sumber dana, rencana keuangan, laporan keuangan, pertanggungjawaban", "15"),
    ("sdm", "Sumber Daya Manusia", "Pengembangan kapasitas, kaderisasi relawan", "15"),
    ("ksm-kemitraan", "KSM dan Kemitraan", "Pembinaan KSM dan hubungan dengan pihak luar (bagian sumber terpotong; bobot sisa)", "15"),
]


def load(apps, schema_editor):
    Aspect = apps.get_model("bkm", "AssessmentAspect")
    for order, (code, name, description, weight) in enumerate(ASPECTS, start=1):
        Aspect.objects.update_or_create(
            code=code,
            defaults={"name": name, "description": description, "default_weight": Decimal(weight), "order": order},
        )


def unload(apps, schema_editor):
    apps.get_model("bkm", "AssessmentAspect").objects.filter(code__in=[a[0] for a in ASPECTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("bkm", "0005_registry")]
    operations = [migrations.RunPython(load, unload)]
