"""`manage.py relay_outbox`: hand undelivered outbox messages to the broker (or run them in-process).

With `--loop`, also queue due scheduled publications, every few seconds: the embedded default's
stand-in for celery beat.
"""

import time

from django.core.management.base import BaseCommand

from editorial.outbox import relay_pending
from editorial.services.publishing import queue_due_publications


class Command(BaseCommand):
    help = "Relay pending outbox messages; --loop keeps going and also queues due scheduled publications."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true")
        parser.add_argument("--interval", type=float, default=5.0)

    def handle(self, *args, **options):
        while True:
            queued = queue_due_publications()
            relayed = relay_pending()
            if relayed or queued or not options["loop"]:
                self.stdout.write(f"relayed {relayed}, queued {queued} scheduled publication(s)")
            if not options["loop"]:
                return
            time.sleep(options["interval"])
