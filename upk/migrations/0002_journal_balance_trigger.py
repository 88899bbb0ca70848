"""Debits equal credits, enforced by PostgreSQL itself.

A deferred constraint trigger runs at COMMIT for every journal line touched in
the transaction and rejects the commit when the entry's lines do not balance or
an entry has fewer than two lines. A second trigger makes journal rows
append-only (no UPDATE, no DELETE; TRUNCATE — used by test teardown — is not a
row event). SQLite (the embedded demo) skips all of this; Python checks still run.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION upk_check_entry_balanced() RETURNS trigger AS $$
DECLARE
    v_entry bigint;
    v_debit numeric;
    v_credit numeric;
    v_count integer;
BEGIN
    IF TG_TABLE_NAME = 'upk_journalentry' THEN
        v_entry := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        v_entry := OLD.entry_id;
    ELSE
        v_entry := NEW.entry_id;
    END IF;
    -- The entry may be gone when rolled back within the same transaction.
    IF NOT EXISTS (SELECT 1 FROM upk_journalentry WHERE id = v_entry) THEN
        RETURN NULL;
    END IF;
    SELECT COALESCE(SUM(debit), 0), COALESCE(SUM(credit), 0), COUNT(*)
      INTO v_debit, v_credit, v_count
      FROM upk_journalline WHERE entry_id = v_entry;
    IF v_count < 2 THEN
        RAISE EXCEPTION 'Jurnal % harus memiliki sedikitnya dua baris (ada %).', v_entry, v_count
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF v_debit <> v_credit THEN
        RAISE EXCEPTION 'Jurnal % tidak seimbang: debit % <> kredit %.', v_entry, v_debit, v_credit
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER upk_journalline_balanced
    AFTER INSERT OR UPDATE OR DELETE ON upk_journalline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION upk_check_entry_balanced();

CREATE CONSTRAINT TRIGGER upk_journalentry_has_lines
    AFTER INSERT ON upk_journalentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION upk_check_entry_balanced();

CREATE OR REPLACE FUNCTION upk_journal_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Jurnal tidak boleh diubah atau dihapus; buat jurnal pembalik.'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER upk_journalline_append_only
    BEFORE UPDATE OR DELETE ON upk_journalline
    FOR EACH ROW EXECUTE FUNCTION upk_journal_append_only();

CREATE TRIGGER upk_journalentry_append_only
    BEFORE UPDATE OR DELETE ON upk_journalentry
    FOR EACH ROW EXECUTE FUNCTION upk_journal_append_only();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS upk_journalentry_append_only ON upk_journalentry;
DROP TRIGGER IF EXISTS upk_journalline_append_only ON upk_journalline;
DROP FUNCTION IF EXISTS upk_journal_append_only();
DROP TRIGGER IF EXISTS upk_journalentry_has_lines ON upk_journalentry;
DROP TRIGGER IF EXISTS upk_journalline_balanced ON upk_journalline;
DROP FUNCTION IF EXISTS upk_check_entry_balanced();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # A plain cursor with no parameters, so the "%" of RAISE messages stays literal.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("upk", "0001_initial")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
