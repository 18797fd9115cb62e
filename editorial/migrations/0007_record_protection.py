"""Append-only at the database level for every record a signature or an approval rests on, not only the
audit events; a chain head that moves only by appending the next event (editorial.protection)."""

from django.db import migrations

from editorial import protection


def install(apps, schema_editor):
    protection.install(schema_editor.connection)


def remove(apps, schema_editor):
    protection.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0006_email_mode_choices"),
        ("articles", "0005_rereview_reason"),
        ("reviewers", "0005_original_quote_and_positions_revision"),
    ]

    operations = [migrations.RunPython(install, remove)]
