"""Stored portfolio figures (issue 12): a version counter per UPK raised by triggers.

Every table `selectors.portfolio_summary_many` reads (directly or through the
per-loan states and month-end caches) gets three statement-level triggers
(insert, update, delete; a transition table each, so a bulk write raises each
UPK's counter once). A stored figure whose version is not the current one is
recomputed. Triggers rather than calls in the services: every write path
(services, imports, admin, management commands) is covered, and the list of
inputs is this one list. Reopening a month deletes that UPK's rows from that
month on (they were kept as closed). PostgreSQL only: elsewhere (the embedded
SQLite demo) nothing is stored and the figures are computed live.
"""

from django.db import migrations, models

# Tables with an upk_id column whose rows are inputs of the portfolio figures.
INPUT_TABLES = (
    "upk_loan",
    "upk_allocation",
    "upk_instalment",
    "upk_journalline",
    "upk_account",
    "upk_yearendclosing",
    "upk_upksettings",
    "upk_upkruleversion",
    "upk_loanstate",
    "upk_loanmonthend",
    "upk_upkmonthend",
)

BUMP = """
    INSERT INTO upk_figuresversion (upk_id, version)
    SELECT DISTINCT upk_id, 1 FROM {rows} WHERE upk_id IS NOT NULL ORDER BY upk_id
    ON CONFLICT (upk_id) DO UPDATE SET version = upk_figuresversion.version + 1;
"""

FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION upk_figures_bump_new() RETURNS trigger AS $$
BEGIN {BUMP.format(rows="new_rows")} RETURN NULL; END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION upk_figures_bump_old() RETURNS trigger AS $$
BEGIN {BUMP.format(rows="old_rows")} RETURN NULL; END;
$$ LANGUAGE plpgsql;

-- Schedules carry no upk_id: through their loan.
CREATE OR REPLACE FUNCTION upk_figures_bump_schedule() RETURNS trigger AS $$
BEGIN
    {BUMP.format(rows="(SELECT l.upk_id FROM new_rows JOIN upk_loan l ON l.id = new_rows.loan_id) s")}
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- Reopening a month: the rows kept as closed from that month on go, and the counter rises.
CREATE OR REPLACE FUNCTION upk_figures_reopen() RETURNS trigger AS $$
BEGIN
    IF OLD.is_closed AND NOT NEW.is_closed THEN
        INSERT INTO upk_figuresversion (upk_id, version) VALUES (NEW.upk_id, 1)
        ON CONFLICT (upk_id) DO UPDATE SET version = upk_figuresversion.version + 1;
        DELETE FROM upk_upkfigures WHERE upk_id = NEW.upk_id AND as_of >= make_date(NEW.year, NEW.month, 1);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""  # noqa: S608 - constant text


def _triggers() -> str:
    sql = [FUNCTIONS]
    for table in INPUT_TABLES:
        for event, ref, fn in (
            ("INSERT", "NEW TABLE AS new_rows", "upk_figures_bump_new"),
            ("UPDATE", "NEW TABLE AS new_rows", "upk_figures_bump_new"),
            ("DELETE", "OLD TABLE AS old_rows", "upk_figures_bump_old"),
        ):
            sql.append(
                f"CREATE TRIGGER {table}_figures_{event.lower()} AFTER {event} ON {table} "
                f"REFERENCING {ref} FOR EACH STATEMENT EXECUTE FUNCTION {fn}();"
            )
    for event in ("INSERT", "UPDATE"):
        sql.append(
            f"CREATE TRIGGER upk_schedule_figures_{event.lower()} AFTER {event} ON upk_schedule "
            "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION upk_figures_bump_schedule();"
        )
    sql.append(
        "CREATE TRIGGER upk_accountingperiod_figures_reopen AFTER UPDATE ON upk_accountingperiod "
        "FOR EACH ROW EXECUTE FUNCTION upk_figures_reopen();"
    )
    return "\n".join(sql)


def _drop() -> str:
    sql = [
        f"DROP TRIGGER IF EXISTS {t}_figures_{e} ON {t};" for t in INPUT_TABLES for e in ("insert", "update", "delete")
    ]
    sql += [f"DROP TRIGGER IF EXISTS upk_schedule_figures_{e} ON upk_schedule;" for e in ("insert", "update")]
    sql.append("DROP TRIGGER IF EXISTS upk_accountingperiod_figures_reopen ON upk_accountingperiod;")
    for fn in ("upk_figures_bump_new", "upk_figures_bump_old", "upk_figures_bump_schedule", "upk_figures_reopen"):
        sql.append(f"DROP FUNCTION IF EXISTS {fn}();")
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
        ("upk", "0019_monthly_package_supersedes"),
    ]

    operations = [
        migrations.CreateModel(
            name="FiguresVersion",
            fields=[
                ("upk_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("version", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="UpkFigures",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("upk_id", models.BigIntegerField()),
                ("as_of", models.DateField()),
                ("version", models.BigIntegerField()),
                ("closed", models.BooleanField(default=False)),
                ("values", models.JSONField()),
                ("computed_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("upk_id", "as_of"), name="upk_upkfigures_unique")],
            },
        ),
        migrations.RunPython(forward, backward, elidable=False),
    ]
