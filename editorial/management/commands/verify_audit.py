"""`manage.py verify_audit`: exit 0 when the audit trail holds, 1 and the first broken event otherwise.

It checks the hash chain, against every signed checkpoint in AUDIT_CHECKPOINT_DIR (and any given with
`--checkpoint FILE`, such as one an auditor kept), and every revision, decision, approval and published
version against the audit event that created it.
"""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from editorial.checkpoints import parse
from editorial.verification import verify_audit


class Command(BaseCommand):
    help = "Verify the audit trail: the hash chain, the signed checkpoints, and the records against their events."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the full result as JSON.")
        parser.add_argument(
            "--checkpoint", action="append", default=[], help="A checkpoint file kept elsewhere (repeatable)."
        )

    def handle(self, *args, **options):
        kept = []
        for name in options["checkpoint"]:
            try:
                kept.append(parse(Path(name).read_text(), name))
            except (OSError, ValueError) as error:
                raise CommandError(f"{name}: {error}") from error
        result = verify_audit(kept)
        if options["json"]:
            self.stdout.write(json.dumps(result))
        elif result["ok"]:
            self.stdout.write(
                f"OK: {result['checked']} events checked against {result['checkpoints']} checkpoint(s), "
                f"head #{result['head_seq']} {result['head_hash']}"
            )
        else:
            where = f" (checkpoint {result['checkpoint']})" if result.get("checkpoint") else ""
            self.stdout.write(
                f"BROKEN at event #{result['first_broken']} ({result['reason']}){where}; "
                f"{result['checked']} events checked before it"
            )
            for problem in result["records"]:
                self.stdout.write(f"  {problem['record']} #{problem['id']}: {problem['problem']}")
        if not result["ok"]:
            sys.exit(1)
