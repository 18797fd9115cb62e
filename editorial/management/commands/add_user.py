"""`manage.py add_user USERNAME --role ROLE --password PASSWORD`: create or update a user with one role."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from editorial.exceptions import EditorialError
from editorial.roles import ROLE_GROUPS
from editorial.services.users import save_user_with_role


class Command(BaseCommand):
    help = "Create a user, or update one (password, name, specialties; the role replaces any other)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(ROLE_GROUPS))
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="", help='Name with credentials, e.g. "Jane Roe, MD".')
        parser.add_argument("--specialty", action="append", dest="specialties", help="Repeat for several.")
        parser.add_argument("--credentials-valid-until", type=datetime.date.fromisoformat, default=None)
        parser.add_argument("--email", default="")

    def handle(self, *args, **options):
        try:
            user = save_user_with_role(
                username=options["username"],
                role=options["role"],
                password=options["password"],
                name=options["name"],
                specialties=options["specialties"],
                credentials_valid_until=options["credentials_valid_until"],
                email=options["email"],
            )
        except EditorialError as error:
            raise CommandError(error.detail) from error
        self.stdout.write(f"{user.username}: {options['role']}")
