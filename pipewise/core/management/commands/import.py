"""``pipewise import KIND FILE``: load a CSV or XLSX file of users, accounts, contacts,
leads, opportunities or activities, all rows or none (see docs/import.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pipewise.core.transfer import (
    FORMATS,
    ImportFailed,
    get_kind,
    import_file,
    kind_names,
    parse_mapping,
)


class Command(BaseCommand):
    help = (
        "Import a CSV or XLSX file. Every row is checked first; if any row has a problem, "
        "each problem is listed (row and column) and nothing is written. Rows are matched "
        "on external_id (users: username): importing a file again updates, never duplicates."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=kind_names(), help="What the file holds.")
        parser.add_argument(
            "file", help="A .csv (UTF-8) or .xlsx file; the first row names the columns."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check everything and report what would be created or updated; write nothing.",
        )
        parser.add_argument(
            "--map",
            action="extend",
            nargs="+",
            default=[],
            metavar="SRC=DST",
            help="Read the file's column SRC as the canonical column DST (repeatable).",
        )
        parser.add_argument(
            "--format", choices=FORMATS, help="File format (default: from the file name)."
        )

    def handle(self, *args, kind, file, dry_run, map, format, verbosity, **options):
        try:
            mapping = parse_mapping(map)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if not Path(file).is_file():
            raise CommandError(f"No such file: {file}")
        progress = getattr(self.stderr, "_out", self.stderr) if verbosity > 0 else None
        try:
            result = import_file(
                get_kind(kind),
                file,
                mapping=mapping,
                dry_run=dry_run,
                fmt=format,
                progress=progress,
            )
        except ImportFailed as failed:
            for problem in failed.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(failed.problems)} problem(s) in {file}; nothing was imported."
            ) from None
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            f"{kind}: {result.rows} row(s) checked; {result.created} {verb} created, "
            f"{result.updated} {verb} updated, {result.unchanged} unchanged."
            + (" Dry run: nothing was written." if dry_run else "")
        )
