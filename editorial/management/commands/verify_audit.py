"""`manage.py verify_audit`: exit 0 when the audit chain is intact, 1 and the first broken event otherwise."""

import json
import sys

from django.core.management.base import BaseCommand

from editorial.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the hash chain of the audit trail."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the full result as JSON.")

    def handle(self, *args, **options):
        result = verify_chain()
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
        elif result.ok:
            self.stdout.write(f"OK: {result.checked} events checked, head #{result.head_seq} {result.head_hash}")
        else:
            self.stdout.write(
                f"BROKEN at event #{result.first_broken} ({result.reason}); {result.checked} events checked before it"
            )
        if not result.ok:
            sys.exit(1)
