"""Make the audit table append-only at the database level, and create the chain head row."""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE TRIGGER editorial_auditevent_no_update BEFORE UPDATE ON editorial_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    """CREATE TRIGGER editorial_auditevent_no_delete BEFORE DELETE ON editorial_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS editorial_auditevent_no_update",
    "DROP TRIGGER IF EXISTS editorial_auditevent_no_delete",
]
# Row triggers: TRUNCATE stays possible for the owner (the test suite's flush uses it);
# production revokes TRUNCATE from the application role, and verify reports a truncated chain.
POSTGRES_FORWARD = [
    """CREATE OR REPLACE FUNCTION editorial_auditevent_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'insufficient_privilege'; END;
       $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER editorial_auditevent_no_update_delete BEFORE UPDATE OR DELETE ON editorial_auditevent
       FOR EACH ROW EXECUTE FUNCTION editorial_auditevent_append_only()""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS editorial_auditevent_no_update_delete ON editorial_auditevent",
    "DROP FUNCTION IF EXISTS editorial_auditevent_append_only()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


def create_chain_head(apps, schema_editor):
    apps.get_model("editorial", "AuditChainHead").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("editorial", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
        migrations.RunPython(create_chain_head, migrations.RunPython.noop),
    ]
