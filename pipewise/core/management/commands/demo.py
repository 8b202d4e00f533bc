"""``pipewise demo --size N --seed S``: load a believable sales organisation and N deals.

Prints what it wrote (counts per kind, elapsed time) and the demo log-ins.
Running it again on a database that already holds the demo changes nothing and
says so; on a database with other business records it refuses unless told
``--append``.
"""

from __future__ import annotations

import datetime
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from pipewise.demo.generate import DemoRefused, demo_generate
from pipewise.demo.people import print_logins


class Command(BaseCommand):
    help = (
        "Load demo data: a sales organisation with log-ins, territories and products, "
        "accounts, contacts, leads, N opportunities with stage histories, activities and tasks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--size", type=int, default=3000, help="Number of opportunities (default 3000)."
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Same size and seed, same data (default 1)."
        )
        parser.add_argument(
            "--append",
            action="store_true",
            help="Load even though the database holds business records (the demo "
            "organisation is reused, not duplicated). Use another --seed than last time.",
        )
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="Lay the data out around this day (YYYY-MM-DD) instead of today.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide progress bars.")

    def handle(self, *args, size, seed, append, today, no_progress, **options):
        if size < 0:
            raise CommandError("--size is a number of opportunities, 0 or more.")
        stream = options.get("stderr") or sys.stderr
        hidden = no_progress or options.get("verbosity", 1) < 1

        def progress(description: str, total: int, unit: str):
            return tqdm(
                total=total,
                desc=f"{description:>13}",
                unit=f" {unit}",
                unit_scale=False,
                file=stream,
                disable=hidden,
                mininterval=0.5,
                dynamic_ncols=True,
            )

        try:
            report = demo_generate(
                size=size, seed=seed, today=today, append=append, progress=progress
            )
        except DemoRefused as refusal:
            if not refusal.already_loaded:
                raise CommandError(str(refusal)) from refusal
            self.stdout.write(str(refusal))
            print_logins(self.stdout)
            return
        except ValidationError as problem:
            raise CommandError(" ".join(problem.messages)) from problem
        self.stdout.write(
            f"Demo data loaded in {report.seconds:.1f} s "
            f"(size {report.size:,}, seed {report.seed}, laid out around {report.today}):"
        )
        width = max(len(label) for label, _ in report.written)
        for label, count in report.written:
            line = f"  {label:<{width}}  {count:>10,}"
            if label == "opportunities" and count:
                outcomes = report.outcomes
                line += (
                    f"   (open {outcomes['open']:,} · won {outcomes['won']:,}"
                    f" · lost {outcomes['lost']:,})"
                )
            self.stdout.write(line)
        self.stdout.write("")
        print_logins(self.stdout)
