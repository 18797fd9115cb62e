"""`manage.py import_retractions FILE.csv`: add retracted works (columns doi, pmid, note) to the retraction list."""

import csv

from django.core.management.base import BaseCommand, CommandError

from editorial.services.retractions import import_retractions

COLUMNS = {"doi", "pmid", "note"}


class Command(BaseCommand):
    help = (
        "Add the rows of a CSV file (header row; columns doi, pmid, note; one of doi and pmid per row) to the "
        "retraction list, each as the API adds one; report how many were added, skipped (already listed), invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file with a header row: doi,pmid,note")

    def handle(self, *args, **options):
        try:
            with open(options["file"], newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                missing = COLUMNS - set(reader.fieldnames or ())
                if missing:
                    raise CommandError(f"The header row lacks: {', '.join(sorted(missing))}.")
                report = import_retractions(reader)
        except OSError as error:
            raise CommandError(f"Cannot read {options['file']}: {error.strerror}.") from error
        except (UnicodeDecodeError, csv.Error) as error:
            raise CommandError(f"{options['file']} is not a UTF-8 CSV file: {error}.") from error
        for problem in report.invalid:
            self.stderr.write(f"invalid: {problem}")
        self.stdout.write(f"added {report.added}, skipped {report.skipped}, invalid {len(report.invalid)}")
