"""The library's categories (staff may add more in the admin) and, on PostgreSQL only, the GIN
index on the materials' search vector (SQLite, the embedded demo, has no GIN)."""

from django.db import migrations

CATEGORIES = [
    ("Petunjuk Teknis (Juknis)", "juknis", "Petunjuk teknis program dan kegiatan BKM/LKM dan UPK."),
    ("SOP", "sop", "Prosedur operasional baku: rapat, pemilihan, pengelolaan dana, pelaporan."),
    (
        "Templat Dokumen",
        "templat",
        "Templat siap isi: AD/ART, RPLP, pembukuan UPK, laporan pertanggungjawaban.",
    ),
    ("Materi Pelatihan", "materi-pelatihan", "Bahan ajar dan presentasi pelatihan peningkatan kapasitas."),
    ("Peraturan dan Pedoman", "peraturan", "Peraturan wali kota, pedoman kota dan rujukan nasional."),
]


def seed(apps, schema_editor):
    MaterialCategory = apps.get_model("forum", "MaterialCategory")
    for position, (name, slug, description) in enumerate(CATEGORIES, start=1):
        MaterialCategory.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )


def index_forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("CREATE INDEX IF NOT EXISTS forum_material_search ON forum_material USING gin (search_vector)")


def index_backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS forum_material_search")


class Migration(migrations.Migration):
    dependencies = [("forum", "0005_capacity_library_trainings")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(index_forwards, index_backwards),
    ]
