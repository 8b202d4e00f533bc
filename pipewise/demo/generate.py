"""One demo load: check it is safe, build the organisation, write the book of business.

``demo_generate`` is what ``pipewise demo`` (and ``pipewise setup`` on a first
run) calls. It runs in one transaction: a failed or interrupted load leaves the
database as it was. Each phase draws from its own random stream derived from
the seed, so the same size and seed give the same records, laid out around
the same "today".
"""

from __future__ import annotations

import gc
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone

from pipewise.activities.daily import activity_days_rebuild
from pipewise.activities.models import Activity, Task, TodoItem
from pipewise.catalog.models import Product
from pipewise.customers.models import Account, Contact
from pipewise.demo.catalogue import catalogue_build
from pipewise.demo.clock import DemoCalendar
from pipewise.demo.customers import customers_generate
from pipewise.demo.deals import NOW, Process, deals_generate
from pipewise.demo.leads import leads_generate
from pipewise.demo.people import DEMO_EMAIL_DOMAIN, PEOPLE, organisation_build
from pipewise.demo.planning import planning_generate
from pipewise.demo.process import process_results_generate, processes_build
from pipewise.demo.writer import BulkWriter, indexes_deferred
from pipewise.leads.models import Lead, LeadStatusChange
from pipewise.org.models import Team, Territory, User
from pipewise.pipeline.models import LineItem, Opportunity, StageChange
from pipewise.pipeline.services import furthest_stages_fill
from pipewise.pipeline.totals import deal_months_rebuild, stage_totals_rebuild

ALREADY_LOADED = (
    "The demo is already loaded here ({opportunities:,} opportunities); nothing was changed. "
    "Use --append (with another --seed) to add more demo deals."
)
NOT_EMPTY = (
    "This database already holds business records ({found}) that are not demo data; the "
    "demo loads into an empty database. Use --append to add demo records beside them anyway."
)
REPORTED = (
    ("people", User),
    ("territories", Territory),
    ("teams", Team),
    ("products", Product),
    ("accounts", Account),
    ("contacts", Contact),
    ("leads", Lead),
    ("lead status changes", LeadStatusChange),
    ("opportunities", Opportunity),
    ("stage changes", StageChange),
    ("line items", LineItem),
    ("activities", Activity),
    ("tasks", Task),
    ("to-do items", TodoItem),
)


class DemoRefused(Exception):
    """Loading the demo here would mix it into other data (or load it twice)."""

    def __init__(self, message: str, *, already_loaded: bool = False):
        super().__init__(message)
        self.already_loaded = already_loaded


@dataclass
class DemoReport:
    """What a demo load wrote, and how long it took."""

    size: int
    seed: int
    today: date
    seconds: float = 0.0
    written: list[tuple[str, int]] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)


class _Silent:
    """A progress bar that shows nothing (the default outside the command line)."""

    n = 0

    def update(self, count: int = 1) -> None:
        self.n += count

    def close(self) -> None:
        pass


def _no_progress(description: str, total: int, unit: str) -> _Silent:
    return _Silent()


def accounts_wanted(size: int) -> int:
    """Accounts for a demo of ``size`` deals: about four deals per account over two years."""
    return max(30, size // 4)


def leads_wanted(size: int) -> int:
    """Leads still in (or already out of) the funnel, beside the ones that became accounts."""
    return max(60, size * 2 // 5)


def deals_per_process(pipelines: list, size: int) -> list[tuple]:
    """How the demo's deals split over its processes: default 70 %, transactional 20 %,
    enterprise 10 % (``pipelines`` in that order)."""
    transactional, enterprise = size // 5, size // 10
    return list(
        zip(pipelines, (size - transactional - enterprise, transactional, enterprise), strict=True)
    )


def demo_check(*, append: bool) -> None:
    """Refuse to load the demo into a database that already holds business records.

    With ``append`` the load goes ahead anyway (the demo organisation is reused,
    not duplicated).
    """
    if append:
        return
    found = {
        "accounts": Account.all_objects.count(),
        "leads": Lead.all_objects.count(),
        "opportunities": Opportunity.all_objects.count(),
    }
    if not any(found.values()):
        return
    demo_people = User.objects.filter(
        username__in=[p.username for p in PEOPLE], email__endswith=DEMO_EMAIL_DOMAIN
    )
    if demo_people.exists():
        raise DemoRefused(
            ALREADY_LOADED.format(opportunities=found["opportunities"]), already_loaded=True
        )
    listed = ", ".join(f"{count:,} {label}" for label, count in found.items() if count)
    raise DemoRefused(NOT_EMPTY.format(found=listed))


def demo_generate(
    *,
    size: int,
    seed: int,
    today: date | None = None,
    append: bool = False,
    progress=_no_progress,
) -> DemoReport:
    """Load the demo: organisation, catalogue, accounts, leads and ``size`` opportunities.

    ``today`` is the day the data is laid out around (default: today), so a
    test can pin it. ``progress(description, total, unit)`` returns a progress
    bar (``update(n)``, ``close()``), e.g. a ``tqdm``. Raises ``DemoRefused``
    if the database already holds business records and ``append`` is off.
    """
    if size < 0:
        raise ValueError("The demo size is a number of opportunities, 0 or more.")
    demo_check(append=append)
    started = time.monotonic()
    report = DemoReport(size=size, seed=seed, today=today or timezone.localdate())
    calendar = DemoCalendar(report.today, timezone.get_current_timezone())
    # Millions of short-lived rows and no reference cycles: the cyclic garbage
    # collector would only rescan them over and over.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        _load(report, calendar, size=size, seed=seed, progress=progress)
    finally:
        if gc_was_enabled:
            gc.enable()
    report.seconds = time.monotonic() - started
    return report


def _load(report, calendar, *, size, seed, progress) -> None:
    """Organisation and catalogue, then accounts, leads and deals, then the running totals
    and the year's plans read from them, in one transaction."""
    with transaction.atomic():
        org, catalogue, writer, results = _book(
            report, calendar, size=size, seed=seed, progress=progress
        )
        # Deals and activities went in by bulk insert, around the services that keep the
        # running counts; the plans read their history from those counts.
        stage_totals_rebuild()
        deal_months_rebuild()
        activity_days_rebuild()
        furthest_stages_fill()
        plans = planning_generate(
            org=org, today=calendar.today, rng=random.Random(f"{seed}:planning")
        )
    organisation = {
        User: len(org.users),
        Territory: len(org.territories),
        Team: Team.objects.count(),
        Product: len(catalogue.products),
    }
    report.written = (
        [(label, organisation.get(model, writer.written[model])) for label, model in REPORTED]
        + list(results.items())
        + list(plans.items())
    )


def _book(report, calendar, *, size, seed, progress):
    """The organisation, catalogue, accounts, leads and deals, written with the secondary
    indexes of the empty tables built once at the end."""
    with indexes_deferred(progress):
        org = organisation_build()
        catalogue = catalogue_build()
        pipelines = processes_build()
        writer = BulkWriter()
        accounts = customers_generate(
            rng=random.Random(f"{seed}:accounts"),
            calendar=calendar,
            org=org,
            catalogue=catalogue,
            writer=writer,
            count=accounts_wanted(size),
            progress=progress,
        )
        leads_generate(
            rng=random.Random(f"{seed}:leads"),
            calendar=calendar,
            org=org,
            writer=writer,
            accounts=accounts,
            count=leads_wanted(size),
            progress=progress,
        )
        for index, (pipeline, count) in enumerate(deals_per_process(pipelines, size)):
            # The default process keeps the stream it always had; the others get their own.
            stream = f"{seed}:deals" if index == 0 else f"{seed}:deals:{pipeline.name}"
            report.outcomes += deals_generate(
                rng=random.Random(stream),
                calendar=calendar,
                org=org,
                catalogue=catalogue,
                writer=writer,
                process=Process.of(pipeline),
                accounts=accounts,
                count=count,
                progress=progress,
            )
        results = process_results_generate(pipelines=pipelines, now=calendar.at(NOW))
    return org, catalogue, writer, results
