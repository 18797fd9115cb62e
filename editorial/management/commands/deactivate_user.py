"""`manage.py deactivate_user USERNAME --reason "..."`: end an account; its records and signatures stay."""

from django.core.management.base import BaseCommand, CommandError

from editorial.exceptions import EditorialError
from editorial.services.users import deactivate_user


class Command(BaseCommand):
    help = "Deactivate a user: sign-in refused, every session and API token ended, audited."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="Why (kept in the audit trail).")

    def handle(self, *args, **options):
        try:
            user = deactivate_user(options["username"], reason=options["reason"])
        except EditorialError as error:
            raise CommandError(error.detail) from error
        self.stdout.write(f"{user.username}: deactivated")
