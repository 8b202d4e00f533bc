"""Expected KPI values computed in plain Python from the ledger, not from the registry.

Each function restates a KPI's written definition over the facts the test data
generator noted while writing (``ledger.py``): if the SQL and this disagree,
one of them misreads the definition.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.utils import timezone

from pipewise.reports.tests.ledger import REPS, SEES, Ledger

SEE_EVERYTHING = {"ops", "admin", "executive"}
SEE_ALL_LEADS = SEE_EVERYTHING | {"marketing"}


def sees(viewer: str, owner: str) -> bool:
    return viewer in SEE_EVERYTHING or owner in SEES.get(viewer, {viewer})


def sees_lead(viewer: str, owner: str) -> bool:
    return viewer in SEE_ALL_LEADS or sees(viewer, owner)


def within(moment, start: datetime.date | None, end: datetime.date | None) -> bool:
    if moment is None:
        return False
    day = (
        moment
        if isinstance(moment, datetime.date) and not isinstance(moment, datetime.datetime)
        else timezone.localdate(moment)
    )
    return (start is None or day >= start) and (end is None or day <= end)


def month(moment) -> str:
    if isinstance(moment, datetime.datetime):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m")


def ratio(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def by(items: Iterable, label: Callable, measure: Callable) -> dict:
    """``measure`` of the items of each group (only groups with items, as SQL has them)."""
    groups = defaultdict(list)
    for item in items:
        groups[label(item)].append(item)
    return {key: measure(members) for key, members in groups.items()}


# --- deals -------------------------------------------------------------------
def deal_label(dimension: str, date_of: Callable) -> Callable:
    if dimension == "month":
        return lambda d: month(date_of(d))
    return lambda d: getattr(d, dimension)


def won(ledger: Ledger, viewer: str, start=None, end=None):
    return [
        d
        for d in ledger.deals
        if sees(viewer, d.owner) and d.status == "won" and within(d.closed_at, start, end)
    ]


def closed(ledger: Ledger, viewer: str, start=None, end=None):
    return [
        d
        for d in ledger.deals
        if sees(viewer, d.owner) and d.status in ("won", "lost") and within(d.closed_at, start, end)
    ]


def open_deals(ledger: Ledger, viewer: str, start=None, end=None):
    return [
        d
        for d in ledger.deals
        if sees(viewer, d.owner) and d.status == "open" and within(d.close_date, start, end)
    ]


def amount(deals) -> Decimal:
    return sum((d.amount for d in deals), Decimal("0.00"))


def weighted(deals) -> Decimal:
    return sum((d.amount * d.probability / 100 for d in deals), Decimal("0"))


def win_rate(deals) -> Decimal | None:
    return ratio(sum(1 for d in deals if d.status == "won"), len(deals))


def win_rate_by_value(deals) -> Decimal | None:
    return ratio(amount(d for d in deals if d.status == "won"), amount(deals))


def cycle_days(deals) -> Decimal | None:
    seconds = sum((d.closed_at - d.created_at).total_seconds() for d in deals)
    average = ratio(Decimal(repr(seconds)), len(deals))
    return None if average is None else average / 86400


def average_size(deals) -> Decimal | None:
    return ratio(amount(deals), len(deals))


def by_product_line(deals, measure_line: Callable, measure_deal: Callable) -> dict:
    """Sum per product line of each line's measure; deals without lines under None."""
    totals = defaultdict(Decimal)
    for deal in deals:
        if deal.lines:
            for line in deal.lines:
                totals[line.product_line] += measure_line(deal, line)
        else:
            totals[None] += measure_deal(deal)
    return dict(totals)


def discount(deals) -> Decimal | None:
    lines = [line for d in deals for line in d.lines]
    gross = sum((line.gross for line in lines), Decimal("0"))
    net = sum((line.net for line in lines), Decimal("0"))
    return ratio(gross - net, gross) if lines else None


def cohort(ledger: Ledger, viewer: str, start=None, end=None):
    return [d for d in ledger.deals if sees(viewer, d.owner) and within(d.created_at, start, end)]


def reached(deals, order: int) -> int:
    """Deals that reached an open stage of this order (skips count) or are won now."""
    return sum(1 for d in deals if d.status == "won" or max(d.reached) >= order)


# --- leads and activities -------------------------------------------------------
def leads(ledger: Ledger, viewer: str, start=None, end=None):
    return [
        lead
        for lead in ledger.leads
        if sees_lead(viewer, lead.owner) and within(lead.created_at, start, end)
    ]


def response_hours(leads_) -> Decimal | None:
    answered = [lead for lead in leads_ if lead.first_touch is not None]
    seconds = sum((lead.first_touch - lead.created_at).total_seconds() for lead in answered)
    average = ratio(Decimal(repr(seconds)), len(answered))
    return None if average is None else average / 3600


def activities(ledger: Ledger, viewer: str, start=None, end=None):
    return [
        a for a in ledger.activities if sees(viewer, a.owner) and within(a.occurred_at, start, end)
    ]


def reps_seen_by(viewer: str) -> set[str]:
    return {rep for rep in REPS if sees(viewer, rep)}


# --- comparing --------------------------------------------------------------------
def near(actual, expected, places: int) -> bool:
    """Equal up to one unit in the last reported place (SQLite adds float noise)."""
    if actual is None or expected is None:
        return actual is None and expected is None
    return abs(Decimal(actual) - Decimal(expected)) <= Decimal(1).scaleb(-places)


def groups_of(result) -> dict:
    return {
        tuple(g.group) if isinstance(g.group, list) else g.group: g.value for g in result.groups
    }


def assert_groups_near(result, expected: dict, places: int) -> None:
    actual = groups_of(result)
    assert set(actual) == set(expected)
    for label, value in expected.items():
        assert near(actual[label], value, places), (label, actual[label], value)
