"""Figures versions are drawn from a sequence, so a number is never given twice.

A version raised by a transaction that rolls back used to be raised again by
the next write to the same number (version + 1 both times). Stored figures
never saw the rolled-back number (they live in the same database), but results
kept in Redis (`upk.figures.derived`), which no rollback reaches, could match
it. A sequence is not rolled back: every rise, committed or not, has its own
number, and a version is still larger than every earlier one of its UPK. The
cache keys on the version alone (it also keyed on the row's `xmin`, which
changes when a read clears the once-per-transaction mark of 0022).
"""

from django.db import migrations

BUMP = """
    INSERT INTO upk_figuresversion (upk_id, version, bumped_in)
    SELECT s.upk_id, nextval('upk_figuresversion_seq'), pg_current_xact_id()::text::bigint
      FROM (SELECT DISTINCT r.upk_id FROM {rows}
             WHERE r.upk_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM upk_figuresversion v
                                WHERE v.upk_id = r.upk_id AND v.bumped_in = pg_current_xact_id()::text::bigint)
             ORDER BY r.upk_id) s
    ON CONFLICT (upk_id) DO UPDATE SET version = EXCLUDED.version, bumped_in = EXCLUDED.bumped_in;
"""

FUNCTIONS = f"""
CREATE SEQUENCE IF NOT EXISTS upk_figuresversion_seq;
SELECT setval('upk_figuresversion_seq', COALESCE((SELECT MAX(version) FROM upk_figuresversion), 0) + 1, false);

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

CREATE OR REPLACE FUNCTION upk_figures_reopen() RETURNS trigger AS $$
BEGIN
    IF OLD.is_closed AND NOT NEW.is_closed THEN
        INSERT INTO upk_figuresversion (upk_id, version, bumped_in)
        VALUES (NEW.upk_id, nextval('upk_figuresversion_seq'), pg_current_xact_id()::text::bigint)
        ON CONFLICT (upk_id) DO UPDATE SET version = EXCLUDED.version, bumped_in = EXCLUDED.bumped_in;
        DELETE FROM upk_upkfigures WHERE upk_id = NEW.upk_id AND as_of >= make_date(NEW.year, NEW.month, 1);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""  # noqa: S608 - constant text


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FUNCTIONS)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from importlib import import_module

        # 0020's functions (its reopening trigger), then 0022's bumps over them.
        with schema_editor.connection.cursor() as cursor:
            for name in ("0020_stored_portfolio_figures", "0022_figures_bump_once_per_transaction"):
                cursor.execute(import_module(f"upk.migrations.{name}").FUNCTIONS)
            cursor.execute("DROP SEQUENCE IF EXISTS upk_figuresversion_seq")


class Migration(migrations.Migration):
    dependencies = [
        ("upk", "0023_merge_figures"),
    ]

    operations = [migrations.RunPython(forward, backward)]
