"""The figures version rises once per UPK per transaction (issue 11's import).

The triggers of 0020 raised a UPK's counter on every statement that wrote one
of its input rows. A bulk import posts thousands of statements in ONE
transaction: the same version row was updated ~15,000 times, each update a new
row version that nothing can prune before commit, and every later update had
to walk past the earlier ones — half of the import's time went there (25 s →
12.6 s with the triggers off, `bench.upk_bench`).

One rise per transaction is enough: other sessions only ever see the committed
counter, which still differs from every version a stored figure was computed
under. `bumped_in` records the transaction (pg_current_xact_id) that last
raised it; a later statement of the same transaction finds its own id and
leaves the row alone — without touching it (not even ON CONFLICT's row lock,
which inside the import's savepoints made a multixact per statement). A
rolled-back savepoint takes its rise with it, so the next statement raises
again. Figures stored inside a transaction that has raised the counter clear
the mark (`upk.figures.store`), so that transaction's next write raises it
again.
"""

from django.db import migrations, models

BUMP = """
    INSERT INTO upk_figuresversion (upk_id, version, bumped_in)
    SELECT DISTINCT r.upk_id, 1, pg_current_xact_id()::text::bigint FROM {rows}
     WHERE r.upk_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM upk_figuresversion v
                        WHERE v.upk_id = r.upk_id AND v.bumped_in = pg_current_xact_id()::text::bigint)
     ORDER BY r.upk_id
    ON CONFLICT (upk_id) DO UPDATE SET version = upk_figuresversion.version + 1, bumped_in = EXCLUDED.bumped_in;
"""

FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION upk_figures_bump_new() RETURNS trigger AS $$
BEGIN {BUMP.format(rows="new_rows r")} RETURN NULL; END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION upk_figures_bump_old() RETURNS trigger AS $$
BEGIN {BUMP.format(rows="old_rows r")} RETURN NULL; END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION upk_figures_bump_schedule() RETURNS trigger AS $$
BEGIN
    {BUMP.format(rows="(SELECT l.upk_id FROM new_rows JOIN upk_loan l ON l.id = new_rows.loan_id) r")}
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""  # noqa: S608 - constant text

# 0020's bodies, for going back.
OLD_BUMP = """
    INSERT INTO upk_figuresversion (upk_id, version)
    SELECT DISTINCT upk_id, 1 FROM {rows} WHERE upk_id IS NOT NULL ORDER BY upk_id
    ON CONFLICT (upk_id) DO UPDATE SET version = upk_figuresversion.version + 1;
"""
OLD_FUNCTIONS = (
    FUNCTIONS.replace(BUMP.format(rows="new_rows r"), OLD_BUMP.format(rows="new_rows r"))
    .replace(BUMP.format(rows="old_rows r"), OLD_BUMP.format(rows="old_rows r"))
    .replace(
        BUMP.format(rows="(SELECT l.upk_id FROM new_rows JOIN upk_loan l ON l.id = new_rows.loan_id) r"),
        OLD_BUMP.format(rows="(SELECT l.upk_id FROM new_rows JOIN upk_loan l ON l.id = new_rows.loan_id) r"),
    )
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FUNCTIONS)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(OLD_FUNCTIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("upk", "0021_ksm_chair_contact"),
    ]

    operations = [
        migrations.AddField(
            model_name="figuresversion",
            name="bumped_in",
            field=models.BigIntegerField(null=True),
        ),
        migrations.RunPython(forward, backward),
    ]
