"""``pipewise targets export [-o FILE.xlsx]`` and ``pipewise targets import FILE.xlsx``:
the targets grid (members × months of a fiscal year) as a spreadsheet (docs/planning.md)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from pipewise.org.choices import Role
from pipewise.org.models import User
from pipewise.planning.choices import Dimension, Metric
from pipewise.planning.periods import fiscal_year_of
from pipewise.planning.transfer import grid_import, grid_workbook

NO_OPERATOR = (
    "No administrator to act as: give --as USERNAME (targets are written in someone's name)."
)


def acting_user(username: str | None) -> User:
    """The person the command acts as: --as, else the first active administrator."""
    people = User.objects.filter(is_active=True)
    if username:
        person = people.filter(username=username).first()
        if person is None:
            raise CommandError(f"No active user {username!r}.")
        return person
    person = (
        people.filter(Q(is_superuser=True) | Q(user_roles__role=Role.ADMIN)).order_by("pk").first()
    )
    if person is None:
        raise CommandError(NO_OPERATOR)
    return person


class Command(BaseCommand):
    help = (
        "Export the targets grid (members × months of a fiscal year) to XLSX, or import such "
        "a workbook: every cell is checked first; any problem is listed by cell reference "
        "and nothing is written."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Write the grid as XLSX.")
        export.add_argument("-o", "--output", help="File to write (default: standard output).")
        export.add_argument("--metric", choices=Metric.values, default=Metric.WON_REVENUE)
        export.add_argument("--year", type=int, help="Fiscal year (default: the current one).")
        export.add_argument("--dimension", choices=Dimension.values, default=Dimension.USER)
        export.add_argument("--as", dest="username", help="Act as this user (visibility).")
        load = sub.add_parser("import", help="Read a grid workbook (all cells or none).")
        load.add_argument("file", help="An .xlsx file in the export's layout.")
        load.add_argument("--as", dest="username", help="Act as this user (permissions).")

    def handle(self, *args, action, username=None, **options):
        user = acting_user(username)
        if action == "export":
            return self._export(user, **options)
        return self._import(user, options["file"])

    def _export(self, user, *, output, metric, year, dimension, **options):
        from django.utils import timezone

        year = year or fiscal_year_of(timezone.localdate())
        data = grid_workbook(user, metric=metric, year=year, dimension=dimension)
        if output:
            Path(output).write_bytes(data)
            self.stderr.write(f"Targets ({metric}, FY{year}, by {dimension}) written to {output}.")
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()

    def _import(self, user, file):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        try:
            grid, written = grid_import(user, path.read_bytes())
        except ValidationError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError(
                f"{len(exc.messages)} problem(s) in {file}; nothing was imported."
            ) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Targets ({grid['metric']}, FY{grid['year']}, by {grid['dimension']}): "
            f"{len(written)} cell(s) saved."
        )
