"""`manage.py setup_database_roles --owner OWNER --app APP`: least privilege on PostgreSQL.

Run it as a superuser (DATABASE_URL naming one) after `migrate`. It creates the two roles if they are
missing, gives every table to OWNER (who runs the migrations from then on) and lets APP (the role the
running application connects as) read and write without owning anything: APP may not TRUNCATE, may not
drop or disable triggers, may not run DDL, and may not UPDATE or DELETE the audit trail or the records a
signature rests on. `--print` prints the SQL instead of running it.

    DATABASE_URL=postgres://postgres@db/editorial manage.py setup_database_roles --owner editorial_owner \\
        --app editorial_app
    DATABASE_URL=postgres://editorial_owner@db/editorial manage.py migrate     # later migrations
    DATABASE_URL=postgres://editorial_app@db/editorial gunicorn config.wsgi    # the application
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from editorial.protection import role_statements


class Command(BaseCommand):
    help = "Give the tables to an owner role and grant an application role least privilege (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--owner", required=True, help="The role that owns the tables and runs migrations.")
        parser.add_argument("--app", required=True, help="The role the application connects as.")
        parser.add_argument("--print", action="store_true", help="Print the SQL instead of running it.")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Roles and privileges are PostgreSQL's; the embedded SQLite database has none.")
        owner, app = options["owner"], options["app"]
        with connection.cursor() as cursor:
            tables = sorted(connection.introspection.table_names(cursor))
            database = connection.settings_dict["NAME"]
            try:
                statements = role_statements(owner=owner, app=app, database=database, tables=tables)
            except ValueError as error:
                raise CommandError(str(error)) from error
            if options["print"]:
                self.stdout.write(";\n".join(statements) + ";")
                return
            with transaction.atomic():
                for role in (owner, app):
                    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
                    if cursor.fetchone() is None:
                        cursor.execute(f'CREATE ROLE "{role}" LOGIN')
                for statement in statements:
                    cursor.execute(statement)
        self.stdout.write(f"{len(tables)} tables owned by {owner}; {app} may read and write, not rewrite the record.")
