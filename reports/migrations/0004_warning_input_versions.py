"""Data versions (`core.versions`) of the early warnings' inputs (issue 12: the dashboard's warnings card),
read by `reports.kept`.

Every table the registry, forum, proposal and package warning rules read gets core's triggers: a write
raises its group's number (from core's sequence: never given twice, not even after a rollback, which the
cache never sees). Triggers rather than calls in the services: every write path (services, imports,
admin, commands, queryset updates) is covered, and the list of inputs is this one list. Where columns are
named, an update raises the number only when one of them really changed (a login's `last_login`, a
thread's counters do not). PostgreSQL only: elsewhere (the embedded SQLite demo) nothing is kept.

A rule that starts reading another table must add it here (reports.kept says so too).
"""

from django.db import migrations

from core import versions

# The names are `reports.kept.INPUT_VERSIONS`.
INPUTS = {
    "warnings_registry": [
        ("bkm_kecamatan", ()),
        ("bkm_kelurahan", ()),
        ("bkm_bkm", ()),
        ("bkm_boardmember", ()),
        ("bkm_handover", ()),
        # Which units are UPKs, and of which BKM (the UPK warnings and the dashboard's UPK panel name them).
        ("bkm_unit", ()),
        # The coordinator rule, the forum silence (posts by a BKM's members), the name of who acknowledged.
        ("core_user", ("bkm_id", "is_coordinator", "is_active", "username", "first_name", "last_name")),
    ],
    "warnings_proposal": [("bkm_proposal", ()), ("bkm_historicalproposal", ())],
    "warnings_forum": [
        ("forum_post", ("thread_id", "author_id", "created_at", "is_hidden")),
        ("forum_thread", ("is_hidden",)),
    ],
    "warnings_ack": [("reports_warningacknowledgement", ())],
    # The missing-package rule (its other inputs, the journal and the UPKs with books, raise the UPKs'
    # figures versions: upk migration 0020).
    "warnings_package": [("upk_monthlypackage", ())],
}


def forward(apps, schema_editor):
    versions.attach(schema_editor, INPUTS)


def backward(apps, schema_editor):
    versions.detach(schema_editor, INPUTS)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_request_token"),
        ("core", "0006_data_versions"),
        ("bkm", "0011_merge_20261205_0422"),
        ("forum", "0006_library_categories_and_search_index"),
        ("upk", "0024_figures_version_from_a_sequence"),
    ]

    operations = [migrations.RunPython(forward, backward)]
