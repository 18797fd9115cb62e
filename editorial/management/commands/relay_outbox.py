"""`manage.py relay_outbox`: send again (or run in-process) the outbox messages not done in time, and queue
due scheduled publications.

With `--loop`, every few seconds, and the unsent emails every few minutes: the embedded default's stand-in for
celery beat.
"""

import time

from django.core.management.base import BaseCommand

from editorial.notifications import UNSENT_AFTER, send_unsent_emails
from editorial.outbox import relay_pending
from editorial.services.publishing import queue_due_publications


class Command(BaseCommand):
    help = "Relay pending outbox messages; --loop keeps going and also queues due scheduled publications."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true")
        parser.add_argument("--interval", type=float, default=5.0)

    def handle(self, *args, **options):
        last_email_sweep = 0.0
        while True:
            queued = queue_due_publications()
            relayed = relay_pending()
            if time.monotonic() - last_email_sweep > UNSENT_AFTER.total_seconds():
                send_unsent_emails()
                last_email_sweep = time.monotonic()
            if relayed or queued or not options["loop"]:
                self.stdout.write(f"relayed {relayed}, queued {queued} scheduled publication(s)")
            if not options["loop"]:
                return
            time.sleep(options["interval"])
