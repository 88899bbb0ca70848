"""A BKM or kelurahan added or deleted changes nobody's forum access: a user's BKM is part of the
kept result's key (`forum.permissions.access_key`), and reaches the grants only through that
reference. Only a BKM moved to another kelurahan, or a kelurahan to another kecamatan, does: the
statement triggers of 0007 on inserts and deletes made every registry import forget every user's
kept grants and unread count."""

from django.db import migrations

DROP = """
DROP TRIGGER IF EXISTS forum_access_bkm_bkm_vs ON bkm_bkm;
DROP TRIGGER IF EXISTS forum_access_bkm_kelurahan_vs ON bkm_kelurahan;
"""
RESTORE = """
CREATE TRIGGER forum_access_bkm_bkm_vs AFTER INSERT OR DELETE OR TRUNCATE ON bkm_bkm
    FOR EACH STATEMENT EXECUTE FUNCTION core_dataversion_bump('forum_access');
CREATE TRIGGER forum_access_bkm_kelurahan_vs AFTER INSERT OR DELETE OR TRUNCATE ON bkm_kelurahan
    FOR EACH STATEMENT EXECUTE FUNCTION core_dataversion_bump('forum_access');
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(RESTORE)


class Migration(migrations.Migration):
    dependencies = [
        ("forum", "0007_access_and_unread_versions"),
    ]

    operations = [migrations.RunPython(forward, backward)]
