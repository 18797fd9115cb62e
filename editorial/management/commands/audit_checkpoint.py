"""`manage.py audit_checkpoint`: write a signed checkpoint of the audit chain head outside the database.

Beat runs it every hour. `--print` also prints it (one JSON line) for an auditor to keep elsewhere;
`verify_audit --checkpoint FILE` checks the chain against such a kept checkpoint.
"""

import json

from django.core.management.base import BaseCommand

from editorial.checkpoints import write_checkpoint


class Command(BaseCommand):
    help = "Write a signed checkpoint of the audit chain head into AUDIT_CHECKPOINT_DIR."

    def add_arguments(self, parser):
        parser.add_argument("--print", action="store_true", help="Also print the checkpoint as one JSON line.")

    def handle(self, *args, **options):
        checkpoint, path = write_checkpoint()
        if options["print"]:
            self.stdout.write(json.dumps(checkpoint.as_dict(), sort_keys=True))
        else:
            self.stdout.write(f"Checkpoint of event #{checkpoint.seq} ({checkpoint.hash}) written to {path}")
