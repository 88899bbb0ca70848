"""Versions of the early warnings' inputs, raised by triggers (issue 12: the dashboard's warnings card).

Every table the registry, forum and proposal warning rules read gets a statement-level trigger (insert,
update, delete, truncate) that sets its group's version to the next number of a sequence. Triggers rather
than calls in the services: every write path (services, imports, admin, commands, queryset updates) is
covered, and the list of inputs is this one list. A sequence rather than version + 1: a number raised by a
transaction that rolls back is never given again, and results are kept in Redis, which no rollback reaches.
Updates that cannot change a warning (a login's `last_login`, a thread's counters) are left out by naming
the columns that can (`UPDATE OF`). PostgreSQL only: elsewhere (the embedded SQLite demo) nothing is kept.

A rule that starts reading another table must add it here (reports.kept says so too).
"""

from django.db import migrations, models

# (table, group, columns whose update can change a warning; None: any column)
INPUTS = (
    ("bkm_kecamatan", "registry", None),
    ("bkm_kelurahan", "registry", None),
    ("bkm_bkm", "registry", None),
    ("bkm_boardmember", "registry", None),
    ("bkm_handover", "registry", None),
    # Which units are UPKs, and of which BKM (the UPK warnings and the dashboard's UPK panel name them).
    ("bkm_unit", "registry", None),
    # The coordinator rule, the forum silence (posts by a BKM's members), the name of who acknowledged.
    ("core_user", "registry", ("bkm_id", "is_coordinator", "is_active", "username", "first_name", "last_name")),
    ("bkm_proposal", "proposal", None),
    ("bkm_historicalproposal", "proposal", None),
    ("forum_post", "forum", ("thread_id", "author_id", "created_at", "is_hidden")),
    ("forum_thread", "forum", ("is_hidden",)),
    ("reports_warningacknowledgement", "acknowledgement", None),
    # The missing-package rule (its other inputs, the journal and the UPKs with books, raise the UPKs'
    # figures versions: upk migration 0020).
    ("upk_monthlypackage", "package", None),
)

FUNCTION = """
CREATE SEQUENCE IF NOT EXISTS reports_warninginputsversion_seq;

CREATE OR REPLACE FUNCTION reports_warning_inputs_bump() RETURNS trigger AS $$
BEGIN
    INSERT INTO reports_warninginputsversion (name, version)
    VALUES (TG_ARGV[0], nextval('reports_warninginputsversion_seq'))
    ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def _triggers() -> str:
    sql = [FUNCTION]
    for table, group, columns in INPUTS:
        fn = f"reports_warning_inputs_bump('{group}')"
        if columns is None:
            events = "INSERT OR UPDATE OR DELETE OR TRUNCATE"
            sql.append(
                f"CREATE TRIGGER {table}_warning_inputs AFTER {events} ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {fn};"
            )
        else:
            sql.append(
                f"CREATE TRIGGER {table}_warning_inputs AFTER INSERT OR DELETE OR TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {fn};"
            )
            sql.append(
                f"CREATE TRIGGER {table}_warning_inputs_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {fn};"
            )
    return "\n".join(sql)


def _drop() -> str:
    sql = []
    for table, _group, _columns in INPUTS:
        sql.append(f"DROP TRIGGER IF EXISTS {table}_warning_inputs ON {table};")
        sql.append(f"DROP TRIGGER IF EXISTS {table}_warning_inputs_update ON {table};")
    sql.append("DROP FUNCTION IF EXISTS reports_warning_inputs_bump();")
    sql.append("DROP SEQUENCE IF EXISTS reports_warninginputsversion_seq;")
    return "\n".join(sql)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(_triggers())


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(_drop())


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_request_token"),
        ("bkm", "0011_merge_20261205_0422"),
        ("core", "0005_worker_heartbeat"),
        ("forum", "0006_library_categories_and_search_index"),
        ("upk", "0024_figures_version_from_a_sequence"),
    ]

    operations = [
        migrations.CreateModel(
            name="WarningInputsVersion",
            fields=[
                ("name", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("version", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(forward, backward, elidable=False),
    ]
