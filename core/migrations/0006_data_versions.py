"""Data versions (`core.versions`): the table, its sequence and the trigger function other apps'
migrations attach to their tables (`core.versions.triggers_sql`)."""

from django.db import migrations, models

FUNCTION = """
CREATE SEQUENCE IF NOT EXISTS core_dataversion_seq;
CREATE OR REPLACE FUNCTION core_dataversion_bump() RETURNS trigger AS $$
BEGIN
    INSERT INTO core_dataversion (name, version) VALUES (TG_ARGV[0], nextval('core_dataversion_seq'))
    ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FUNCTION)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("DROP FUNCTION IF EXISTS core_dataversion_bump() CASCADE; DROP SEQUENCE IF EXISTS core_dataversion_seq")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_worker_heartbeat"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("name", models.CharField(max_length=60, primary_key=True, serialize=False)),
                ("version", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(forward, backward),
    ]
