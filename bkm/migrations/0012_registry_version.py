"""The data version `bkm_registry` (`core.versions`), so that the BKM page's overview, its records
and its history can be kept in the cache (`bkm.selectors.bkm_overview_kept`, `bkm_records_kept`).

Raised by every write to every table of this app (the BKM, its kelurahan and kecamatan, board,
elections, units, accounts, handover, documents, slum areas, RPLP, proposals, assessments, audits and
all their simple_history tables): those results read most of them, and a table read by none costs
only an invalidation. From other apps only the user's name is read (the uploader of a document
version, the author of a history entry: `str(user)`), so `core_user` raises it only when a column
of that name changes, not at each login. The tables are those of this app when the migration runs: a
model added later needs a migration attaching the triggers to its table too."""

from django.db import migrations

from core import versions

NAME = "bkm_registry"
USER_COLUMNS = ("first_name", "last_name", "username")


def _tables(apps):
    return [(m._meta.db_table, ()) for m in apps.get_app_config("bkm").get_models()] + [("core_user", USER_COLUMNS)]


def forward(apps, schema_editor):
    versions.attach(schema_editor, {NAME: _tables(apps)})


def backward(apps, schema_editor):
    versions.detach(schema_editor, {NAME: _tables(apps)})


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_data_versions"),
        ("bkm", "0011_merge_20261205_0422"),
    ]

    operations = [migrations.RunPython(forward, backward)]
