"""The data version `bkm_registry` (`core.versions`), so that the BKM page's overview, its records
and its history can be kept in the cache (`bkm.selectors.bkm_overview_kept`, `bkm_records_kept`).

Raised by every write to every table of this app (the BKM, its kelurahan and kecamatan, board,
elections, units, accounts, handover, documents, slum areas, RPLP, proposals, assessments, audits and
all their simple_history tables): those results read most of them, and a table read by none costs
only an invalidation. From other apps only the user's name is read (the uploader of a document
version, the author of a history entry: `str(user)`), so `core_user` raises it only when a column
of that name changes, not at each login."""

from django.db import migrations

from core.versions import drop_triggers_sql, triggers_sql

NAME = "bkm_registry"
USER_COLUMNS = ("first_name", "last_name", "username")


def _tables(apps):
    return [(m._meta.db_table, ()) for m in apps.get_app_config("bkm").get_models()] + [("core_user", USER_COLUMNS)]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for table, columns in _tables(apps):
                cursor.execute(triggers_sql(NAME, table, columns=columns))
            cursor.execute(
                "INSERT INTO core_dataversion (name, version) VALUES (%s, nextval('core_dataversion_seq')) "
                "ON CONFLICT (name) DO NOTHING",
                [NAME],
            )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for table, _columns in _tables(apps):
                cursor.execute(drop_triggers_sql(NAME, table))


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_data_versions"),
        ("bkm", "0011_merge_20261205_0422"),
    ]

    operations = [migrations.RunPython(forward, backward)]
