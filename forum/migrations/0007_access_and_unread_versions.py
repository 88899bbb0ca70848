"""Two data versions (`core.versions`), so that what every page's navigation reads can be kept per
user in the cache:

- `forum_access`: raised by every write to what a user's grants and moderated categories are
  computed from (`forum.permissions._access_rows`). The user's own fields (role, BKM, superuser,
  staff admin) are part of the kept result's key, not of the version.
- `forum_unread`: raised by every write to notifications and to the posts' and threads' fields that
  decide whether a notified post is still visible (`forum.selectors.unread_notification_count`,
  kept under both versions)."""

from django.db import migrations

from core import versions

TABLES = {
    "forum_access": [
        ("forum_categorypermission", ()),
        ("forum_category_moderators", ()),
        ("forum_category", ("kecamatan_id",)),
        ("bkm_bkm", ("kelurahan_id",)),
        ("bkm_kelurahan", ("kecamatan_id",)),
    ],
    "forum_unread": [
        ("forum_notification", ()),
        ("forum_post", ("is_hidden", "thread_id")),
        ("forum_thread", ("is_hidden", "category_id")),
    ],
}


def forward(apps, schema_editor):
    versions.attach(schema_editor, TABLES)


def backward(apps, schema_editor):
    versions.detach(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_data_versions"),
        ("forum", "0006_library_categories_and_search_index"),
        ("bkm", "0011_merge_20261205_0422"),
    ]

    operations = [migrations.RunPython(forward, backward)]
