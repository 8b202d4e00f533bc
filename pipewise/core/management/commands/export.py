"""``pipewise export KIND``: write every record of a kind as CSV (to stdout or a file) or
XLSX, in the columns ``pipewise import`` reads back (see docs/import.md)."""

import os
import sys

from django.core.management.base import BaseCommand, CommandError

from pipewise.core.transfer import FORMATS, detect_format, export_records, get_kind, kind_names


class _Stdout:
    """Lets the CSV writer write to the command's stdout without extra line endings."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text):
        self.wrapper.write(text, ending="")


class Command(BaseCommand):
    help = "Export users, accounts, contacts, leads, opportunities or activities as CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=kind_names(), help="What to export.")
        parser.add_argument(
            "--format", choices=FORMATS, help="csv or xlsx (default: from -o, else csv)."
        )
        parser.add_argument(
            "-o", "--output", help="File to write (default: CSV on standard output)."
        )

    def handle(self, *args, kind, format, output, verbosity, **options):
        fmt = format or (detect_format(output) if output else "csv")
        if fmt == "xlsx" and not output:
            raise CommandError("An XLSX export needs a file: add -o FILE.xlsx")
        progress = getattr(self.stderr, "_out", self.stderr) if verbosity > 0 else None
        transfer_kind = get_kind(kind)
        if output is None:
            try:
                export_records(transfer_kind, _Stdout(self.stdout), fmt=fmt, progress=progress)
            except BrokenPipeError:
                # The reader stopped early (``pipewise export leads | head``): not an error.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        if fmt == "xlsx":
            count = export_records(transfer_kind, output, fmt=fmt, progress=progress)
        else:
            with open(output, "w", newline="", encoding="utf-8") as handle:
                count = export_records(transfer_kind, handle, fmt=fmt, progress=progress)
        if verbosity > 0:
            self.stderr.write(f"{count} {kind} written to {output}.")
