"""Every loan with a schedule has a LoanState row (PostgreSQL).

The as-of aggregate reads loans from their state and does not look for
loans without one (that look-up cost ~0.1 s per dashboard at 200k loans), so
the database guarantees there are none: a schedule cannot be committed for a
loan without a state (the services write it in the same transaction), and a
state cannot be deleted. Bulk loads in replica mode (the bench) bypass
triggers and must write the states themselves.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION upk_check_schedule_has_state() RETURNS trigger AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM upk_loanstate WHERE loan_id = NEW.loan_id) THEN
        RAISE EXCEPTION 'Jadwal pinjaman % tanpa status pinjaman (LoanState).', NEW.loan_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER upk_schedule_has_state
    AFTER INSERT ON upk_schedule
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION upk_check_schedule_has_state();

CREATE OR REPLACE FUNCTION upk_loanstate_keep() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Status pinjaman (LoanState) tidak boleh dihapus; hitung ulang dengan upk.states.rebuild.'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER upk_loanstate_keep
    BEFORE DELETE ON upk_loanstate
    FOR EACH ROW EXECUTE FUNCTION upk_loanstate_keep();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS upk_loanstate_keep ON upk_loanstate;
DROP FUNCTION IF EXISTS upk_loanstate_keep();
DROP TRIGGER IF EXISTS upk_schedule_has_state ON upk_schedule;
DROP FUNCTION IF EXISTS upk_check_schedule_has_state();
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
    dependencies = [("upk", "0010_allocation_loan_index")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
