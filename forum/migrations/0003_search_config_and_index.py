"""Full-text search support on PostgreSQL; nothing on SQLite.

PostgreSQL (≥ 13) ships the Snowball `indonesian` configuration, which stems
"pinjaman", "meminjam" and "peminjam" to "pinjam". If a server lacks it, we
create it from the Snowball `indonesian` dictionary when that exists, and
otherwise as a copy of `simple` (search then works on whole words only; the
deployment notes in docs/architecture.md say so).
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = 'indonesian'")
        if cursor.fetchone() is None:
            cursor.execute("SELECT 1 FROM pg_ts_dict WHERE dictname = 'indonesian_stem'")
            if cursor.fetchone() is not None:
                cursor.execute("CREATE TEXT SEARCH CONFIGURATION public.indonesian (COPY = pg_catalog.simple)")
                cursor.execute(
                    "ALTER TEXT SEARCH CONFIGURATION public.indonesian ALTER MAPPING FOR "
                    "asciiword, word, hword, hword_part, hword_asciipart, asciihword WITH indonesian_stem"
                )
            else:
                cursor.execute("CREATE TEXT SEARCH CONFIGURATION public.indonesian (COPY = pg_catalog.simple)")
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS forum_post_search ON forum_post USING gin (search_vector)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS forum_post_search")


class Migration(migrations.Migration):
    dependencies = [("forum", "0002_seed_categories")]

    operations = [migrations.RunPython(forwards, backwards)]
