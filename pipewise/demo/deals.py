"""Demo opportunities with their stage histories, line items and the work around them.

Each deal is simulated from start to finish before it is placed in time:

1. its fate: at every open stage of the default process some deals drop out
   (lost, with a reason that fits how far they got: "No budget" early, "Price
   too high" or a competitor late); the rest are won after the last stage;
2. its size: a log-normal amount by the account's segment (2 k – 250 k), and
   for deals that got as far as a quote (a presentation, a proposal) a set of
   line items whose total *is* the amount, so every won deal sells products of
   a product line; before that the amount is the first estimate;
3. its pace: a dwell time in every stage it visits, longer for bigger deals;
4. its place in time: the day it ends is drawn from the closing season (more
   in December, March and quarter ends) over the last two years and the next
   four months; it starts that many business days earlier (the deals that end
   first started up to ``LEAD_IN_BUSINESS_DAYS`` before the two years).

Whatever would happen after today is cut off: a deal whose end lies in the
future is open, in the stage it had reached by today, with that end as its
expected close date. So open deals sit in every open stage, older deals are
won or lost, and each deal's ``StageChange`` rows follow the process in order,
the first from no stage, the last to the deal's current stage, with status,
``stage_entered_at``, ``closed_at``, ``close_date`` and forecast category
matching the last row (and the database constraints).
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

from pipewise.activities.choices import TaskStatus
from pipewise.customers.choices import AccountType
from pipewise.customers.models import Account
from pipewise.demo import names
from pipewise.demo.catalogue import ENTERPRISE, MID_MARKET, PUBLIC, SMB, Catalogue
from pipewise.demo.chance import Weighted, pick
from pipewise.demo.clock import (
    CLOSING_SEASON,
    FUTURE_BUSINESS_DAYS,
    LEAD_IN_BUSINESS_DAYS,
    OVERDUE_AT_MOST,
    PAST_BUSINESS_DAYS,
    DemoCalendar,
)
from pipewise.demo.customers import AccountCard
from pipewise.demo.people import Organisation
from pipewise.demo.work import (
    CUSTOMER_TASKS,
    NEXT_STEPS,
    NOTE,
    STAGE_ACTIVITIES,
    WON_ACTIVITIES,
    Links,
    WorkLog,
)
from pipewise.demo.writer import BulkWriter
from pipewise.leads.choices import LeadSource
from pipewise.pipeline.choices import LOST_REASONS, ForecastCategory, OpportunityStatus
from pipewise.pipeline.models import LineItem, Opportunity, Pipeline, Stage, StageChange
from pipewise.pipeline.selectors import outcome_stage

# Per open stage of the customer's eight-step process (stretched to other lengths):
KEEP_GOING = (0.72, 0.74, 0.86, 0.88, 0.80, 0.84, 0.76, 0.97)  # chance to reach the next one
DWELL_DAYS = (6, 8, 8, 7, 10, 10, 14, 6)  # mean business days spent there by a 20 k deal
STALLING = 2.0  # a deal that will be lost lingers this much longer in its last stage
# The first open stage at least this likely to close is where the deal is quoted: from
# there on its amount is the quoted one and its line items exist (Presentation in the
# default process, Proposal in the enterprise one, Quote in the transactional one).
QUOTED_PROBABILITY = 45
MEDIAN_AMOUNT = {SMB: 6_000, MID_MARKET: 25_000, ENTERPRISE: 80_000, PUBLIC: 40_000}
MIN_AMOUNT, MAX_AMOUNT = 2_000, 250_000
SLIPPED_SHARE = 0.05  # open deals whose expected close date has already passed
PRICE, COMPETITOR, BUDGET, STALLED, FEATURES, TIMING = LOST_REASONS
LOST_REASON_BY_PHASE = (  # early / middle / late stages, weights in LOST_REASONS order
    Weighted(LOST_REASONS, (0, 5, 35, 25, 5, 30)),
    Weighted(LOST_REASONS, (10, 20, 15, 25, 20, 10)),
    Weighted(LOST_REASONS, (30, 35, 5, 15, 10, 5)),
)
SOURCES = Weighted.of(
    (
        (LeadSource.REFERRAL, 20),
        (LeadSource.COLD_CALL, 15),
        (LeadSource.WEBSITE, 20),
        (LeadSource.EVENT, 15),
        (LeadSource.PARTNER, 15),
        (LeadSource.ADVERTISING, 10),
        (LeadSource.OTHER, 5),
    )
)
ACTIVITIES_PER_STAGE = Weighted((0, 1, 2, 3), (45, 43, 10, 2))
LATE_FORECAST = Weighted((ForecastCategory.COMMIT, ForecastCategory.BEST_CASE), (70, 30))
MIDDLE_FORECAST = Weighted(
    (ForecastCategory.BEST_CASE, ForecastCategory.PIPELINE, ForecastCategory.COMMIT), (60, 35, 5)
)
EARLY_FORECAST = Weighted(
    (ForecastCategory.PIPELINE, ForecastCategory.OMITTED, ForecastCategory.BEST_CASE), (90, 5, 5)
)
CUSTOMER_FOR = 400  # business days a customer stays one after their last won deal
CENTS = Decimal("0.01")
NOT_A_PROCESS = "The sales process {pipeline!r} needs open stages, a Won and a Lost stage."
NOW = -0.001  # the last moment generated: just before today's midnight


@dataclass(frozen=True)
class Process:
    """The default sales process as the simulation needs it."""

    pipeline: Pipeline
    open_stages: tuple[Stage, ...]
    won: Stage
    lost: Stage
    quoted_from: int  # the position of the open stage where the deal is quoted

    @classmethod
    def of(cls, pipeline: Pipeline) -> Process:
        stages = tuple(pipeline.stages.filter(kind="open").order_by("order"))
        won = outcome_stage(pipeline, OpportunityStatus.WON)
        lost = outcome_stage(pipeline, OpportunityStatus.LOST)
        if not stages or won is None or lost is None:
            raise ValidationError(NOT_A_PROCESS.format(pipeline=pipeline.name))
        quoted = [p for p, s in enumerate(stages) if s.probability >= QUOTED_PROBABILITY]
        return cls(pipeline, stages, won, lost, quoted[0] if quoted else len(stages) - 1)

    def table(self, values: tuple, position: int):
        """A per-stage constant for ``position``, stretched if the process has other lengths."""
        return values[min(position * len(values) // len(self.open_stages), len(values) - 1)]


def _round_amount(value: float) -> int:
    step = 50 if value < 10_000 else 500 if value < 100_000 else 1_000
    return int(round(value / step) * step)


def _line_total(quantity: int, price: Decimal, discount: int) -> Decimal:
    """The same arithmetic as ``LineItem.total``."""
    return (Decimal(quantity) * price * (100 - discount) / 100).quantize(CENTS)


class DealFactory:
    """Simulates and writes opportunities, their histories, line items, activities and tasks."""

    def __init__(
        self,
        rng: random.Random,
        calendar: DemoCalendar,
        org: Organisation,
        catalogue: Catalogue,
        writer: BulkWriter,
        process: Process,
        accounts: list[AccountCard],
    ):
        self.rng = rng
        self.calendar = calendar
        self.org = org
        self.catalogue = catalogue
        self.writer = writer
        self.process = process
        self.accounts = accounts
        self.account_times = [card.created for card in accounts]
        self.work = WorkLog(rng, calendar, writer)
        self.seats = {s.sku: s for s in catalogue.of_kind("seats")}
        self.modules = catalogue.of_kind("module")
        self.support = catalogue.of_kind("support")
        self.service_day = next(s for s in catalogue.of_kind("service") if s.sku == "SVC-IMP")
        self.outcomes: Counter[str] = Counter()

    # --- the simulation -------------------------------------------------------
    def _fate(self) -> int | None:
        """The position of the stage where the deal is lost, or None if it is won."""
        for position in range(len(self.process.open_stages)):
            if self.rng.random() > self.process.table(KEEP_GOING, position):
                return position
        return None

    def _dwell(self, amount: int, visited: int, lost: bool) -> list[float]:
        pace = (amount / 20_000) ** 0.3
        dwell = [
            self.process.table(DWELL_DAYS, p) * pace * self.rng.lognormvariate(-0.18, 0.6)
            for p in range(visited)
        ]
        if lost:
            dwell[-1] *= STALLING
        return dwell

    def _account_before(self, t: float) -> AccountCard:
        known = bisect.bisect_right(self.account_times, t)
        return self.accounts[int(self.rng.random() * max(known, min(10, len(self.accounts))))]

    def _amount(self, segment: str) -> int:
        value = math.exp(self.rng.gauss(math.log(MEDIAN_AMOUNT[segment]), 0.75))
        return _round_amount(min(max(value, MIN_AMOUNT), MAX_AMOUNT))

    def _line_items(self, target: int, segment: str) -> list[tuple]:
        """Products, quantities and discounts adding up to about ``target``."""
        rng = self.rng
        discount = pick(rng, (0, 0, 0, 5, 10, 10, 15, 20 if segment == ENTERPRISE else 10))
        lines = []
        if target > 12_000 and rng.random() < 0.6:
            fitting = [m for m in self.modules if m.list_price <= target * Decimal("0.35")]
            if fitting:
                lines.append((pick(rng, fitting), 1, discount))
        if target > 20_000 and rng.random() < 0.4:
            plan = self.support[0] if target < 60_000 else self.support[-1]
            lines.append((plan, 1, 0))
        if target > 8_000 and rng.random() < 0.5:
            days = min(40, max(2, round(target * 0.08 / 1200)))
            lines.append((self.service_day, days, 0))
        edition = "PLT-STD" if target < 15_000 else "PLT-PRO" if target < 80_000 else "PLT-ENT"
        seat = self.seats[edition]
        net_seat = _line_total(1, seat.list_price, discount)
        others = sum((_line_total(q, s.list_price, d) for s, q, d in lines), Decimal(0))
        seats = max(1, round((Decimal(target) - others) / net_seat))
        while others + net_seat * seats < MIN_AMOUNT:
            seats += 1
        while seats > 1 and others + _line_total(seats, seat.list_price, discount) > MAX_AMOUNT:
            seats -= 1
        return [(seat, seats, discount), *lines]

    def _shape(self, account: AccountCard, visited: int, lost: bool) -> tuple:
        """Final amount, first estimate, line items and dwell times of a deal at ``account``."""
        rng = self.rng
        final = self._amount(account.segment)
        lines = []
        if visited > self.process.quoted_from:
            lines = self._line_items(final, account.segment)
            final = sum((_line_total(q, s.list_price, d) for s, q, d in lines), Decimal(0))
        final = Decimal(final).quantize(CENTS)
        estimate = Decimal(_round_amount(float(final) * rng.uniform(0.6, 1.4)))
        estimate = min(max(estimate, Decimal(MIN_AMOUNT)), Decimal(MAX_AMOUNT)).quantize(CENTS)
        return final, estimate, lines, self._dwell(int(final), visited, lost)

    # --- one deal -------------------------------------------------------------
    def deal(self, showcase: int | None = None) -> None:
        """Simulate one deal and hand its records to the writer.

        ``showcase`` forces an open deal in that stage position (so a small demo
        still has a deal in every open stage).
        """
        rng = self.rng
        earliest = -PAST_BUSINESS_DAYS - LEAD_IN_BUSINESS_DAYS
        lost_at = None if showcase is not None else self._fate()
        visited = len(self.process.open_stages) if lost_at is None else lost_at + 1
        if showcase is not None:  # today falls inside stage ``showcase``
            account = self._account_before(-200)
            final, estimate, lines, dwell = self._shape(account, visited, False)
            start = -(sum(dwell[:showcase]) + dwell[showcase] * rng.uniform(0.1, 0.9))
            end = start + sum(dwell)
        else:
            for _ in range(20):
                end = self.calendar.seasonal_time(
                    rng, -PAST_BUSINESS_DAYS, FUTURE_BUSINESS_DAYS, CLOSING_SEASON, True
                )
                account = self._account_before(end - 9 * visited)
                final, estimate, lines, dwell = self._shape(account, visited, lost_at is not None)
                start = end - sum(dwell)
                if earliest <= start < -0.05:
                    break
        start = min(max(start, earliest), -0.05)
        # A deal at a converted lead's account starts when the lead is converted.
        lead_pk = None
        if account.lead_pk and not account.lead_linked and start >= account.created:
            if end - account.created <= 2 * (end - start):
                start, lead_pk, account.lead_linked = account.created, account.lead_pk, True
        if account.created + 0.01 < min(end, NOW):
            start = max(start, account.created + 0.01)
        scale = (end - start) / sum(dwell)
        times = list(itertools.accumulate((d * scale for d in dwell), initial=start))
        # times[r] is when the deal enters open stage r (r < visited), then its outcome.
        kept = [t for t in times if t < NOW]
        if showcase is not None:
            kept = kept[: showcase + 1]
        closed = len(kept) == visited + 1
        self._write(account, lines, final, estimate, kept, lost_at, closed, end, lead_pk)

    def _write(self, account, lines, final, estimate, kept, lost_at, closed, end, lead_pk):
        """Write a simulated deal as it stands today: the opportunity, its history, its work.

        ``kept`` are the times of the stage changes that already happened (the
        first is the deal's creation); ``closed`` says the last one is its outcome.
        """
        rng, process, calendar, work = self.rng, self.process, self.calendar, self.work
        region = account.region
        owner = account.owner
        if rng.random() < 0.1 and len(self.org.aes_by_region[region]) > 1:
            owner = pick(rng, self.org.aes_by_region[region])
        sdr_sourced = lead_pk is not None or rng.random() < 0.3
        opener = pick(rng, self.org.sdrs_by_region[region]) if sdr_sourced else owner
        known = [c for c in account.contacts[:3] if c.created <= kept[0]]
        contact = pick(rng, known or account.contacts[:1])
        visited_open = len(kept) - (1 if closed else 0)
        stages = [*process.open_stages[:visited_open]]
        if closed:
            stages.append(process.lost if lost_at is not None else process.won)
        current = stages[-1]
        # Quoted (final) amount from the presentation on; the first estimate before it.
        quoted = visited_open > process.quoted_from
        amount = final if quoted else estimate
        theme = pick(rng, names.DEAL_THEMES)
        lost_reason = competitor = ""
        if closed and lost_at is not None:
            phase = 0 if lost_at < 2 else 1 if lost_at < 5 else 2
            lost_reason = LOST_REASON_BY_PHASE[phase].draw(rng)
            named = lost_reason in (PRICE, FEATURES) and rng.random() < 0.3
            if lost_reason == COMPETITOR or named:
                competitor = pick(rng, names.COMPETITORS)
        elif not closed and quoted and rng.random() < 0.2:
            competitor = pick(rng, names.COMPETITORS)
        if closed:
            closed_at = calendar.at(kept[-1])
            close_date = calendar.date(kept[-1])  # the local day, as the services record it
            status = OpportunityStatus.LOST if lost_at is not None else OpportunityStatus.WON
            category = ForecastCategory.OMITTED if lost_at is not None else ForecastCategory.CLOSED
        else:
            closed_at, status = None, OpportunityStatus.OPEN
            close_date = calendar.date(min(end, FUTURE_BUSINESS_DAYS))
            if rng.random() < SLIPPED_SHARE:
                close_date = calendar.date(-rng.uniform(1, 25))
            category = self._forecast_category(current.probability)
        self.outcomes[status] += 1
        opportunity = self.writer.add(
            Opportunity,
            name=f"{account.short_name} — {theme}"[:200],
            account_id=account.pk,
            contact_id=contact.pk,
            lead_id=lead_pk,
            owner_id=owner.id,
            pipeline_id=process.pipeline.id,
            stage_id=current.id,
            status=status,
            amount=amount,
            close_date=close_date,
            forecast_category=category,
            source=account.lead_source if lead_pk else SOURCES.draw(rng),
            lost_reason=lost_reason,
            competitor=competitor,
            stage_entered_at=calendar.at(kept[-1]),
            closed_at=closed_at,
            created_at=calendar.at(kept[0]),
        )
        previous = None
        for row, (stage, t) in enumerate(zip(stages, kept, strict=True)):
            self.writer.add(
                StageChange,
                opportunity_id=opportunity,
                from_stage_id=previous,
                to_stage_id=stage.id,
                changed_by_id=(opener if row == 0 else owner).id,
                changed_at=calendar.at(t),
                amount=final if min(row, visited_open - 1) >= process.quoted_from else estimate,
            )
            previous = stage.id
        if lines and quoted:
            for spec, quantity, discount in lines:
                self.writer.add(
                    LineItem,
                    opportunity_id=opportunity,
                    product_id=self.catalogue.products[spec.sku].pk,
                    quantity=Decimal(quantity),
                    unit_price=spec.list_price,
                    discount_percent=Decimal(discount),
                )
        # The work around the deal.
        words = {"contact": contact.full_name, "account": account.short_name, "theme": theme}
        links = Links(opportunity_id=opportunity, account_id=account.pk, contact_id=contact.pk)
        for position in range(visited_open):
            begin = kept[position]
            until = kept[position + 1] if position + 1 < len(kept) else NOW
            count = ACTIVITIES_PER_STAGE.draw(rng)
            mood = "negative" if lost_at == position and closed else ""
            for n, t in enumerate(sorted(rng.uniform(begin, until) for _ in range(count)), 1):
                kind, subject = pick(rng, STAGE_ACTIVITIES[position % len(STAGE_ACTIVITIES)])
                who = opener if position == 0 else owner
                work.activity(kind, subject.format(n=n, **words), t, who.id, links, mood)
        if closed:
            self._after_close(account, opportunity, owner, lost_reason, kept[-1], words, links)
        elif rng.random() < 0.75:
            position = min(visited_open - 1, len(NEXT_STEPS) - 1)
            manager = self.org.director_by_region[region]
            work.task(
                NEXT_STEPS[position], words, due=rng.uniform(-5, 12),
                due_today=rng.random() < 0.1, assignee_id=owner.pk,
                created_by_id=(manager if rng.random() < 0.15 else owner).pk, links=links,
                status=pick(rng, (TaskStatus.OPEN, TaskStatus.OPEN, TaskStatus.IN_PROGRESS)),
            )  # fmt: skip

    def _after_close(self, account, opportunity, owner, lost_reason, closed, words, links):
        """A loss review for a lost deal; onboarding by customer success for a won one."""
        rng, work = self.rng, self.work
        if lost_reason:
            if rng.random() < 0.5:
                work.activity(NOTE, f"Loss review: {lost_reason.lower()}", closed, owner.pk, links)
            if rng.random() < 0.1:
                spec = NEXT_STEPS[min(6, len(NEXT_STEPS) - 1)]
                work.task(
                    spec, words, due=closed + rng.uniform(0, 3), assignee_id=owner.pk,
                    created_by_id=owner.pk, links=links, status=TaskStatus.CANCELLED,
                )  # fmt: skip
            return
        account.last_won = closed if account.last_won is None else max(account.last_won, closed)
        success = pick(rng, self.org.cs_by_region[account.region])
        for kind, subject in WON_ACTIVITIES:
            t = closed + (rng.uniform(2, 10) if "kick-off" in subject else rng.uniform(15, 70))
            if t < NOW and rng.random() < 0.6:
                work.activity(kind, subject.format(**words), t, success.pk, links)
        if rng.random() < 0.4:
            due = closed + rng.uniform(5, 15)
            done = due < -OVERDUE_AT_MOST or (due < NOW and rng.random() < 0.85)
            work.task(
                CUSTOMER_TASKS[0], words, due=due, assignee_id=success.pk,
                created_by_id=owner.pk,
                links=Links(opportunity_id=opportunity, account_id=account.pk),
                status=TaskStatus.DONE if done else TaskStatus.OPEN,
                completed=min(due + rng.uniform(-0.4, 1), NOW) if done else None,
            )  # fmt: skip

    def _forecast_category(self, probability: int) -> str:
        if probability >= 80:
            return LATE_FORECAST.draw(self.rng)
        if probability >= 45:
            return MIDDLE_FORECAST.draw(self.rng)
        return EARLY_FORECAST.draw(self.rng)


def deals_generate(
    *,
    rng: random.Random,
    calendar: DemoCalendar,
    org: Organisation,
    catalogue: Catalogue,
    writer: BulkWriter,
    process: Process,
    accounts: list[AccountCard],
    count: int,
    progress,
) -> Counter[str]:
    """Write ``count`` opportunities in the default process, with everything around them.

    The first deals sit open in each open stage in turn (twice over), so every
    stage of the board has cards however small the demo.
    """
    factory = DealFactory(rng, calendar, org, catalogue, writer, process, accounts)
    showcase = 2 * len(factory.process.open_stages)
    bar = progress("opportunities", count, "deals")
    for index in range(count):
        factory.deal(index % len(factory.process.open_stages) if index < showcase else None)
        if writer.full:
            writer.flush()
            bar.update(index + 1 - bar.n)
    writer.flush()
    bar.update(count - bar.n)
    bar.close()
    _account_types_update(accounts)
    return factory.outcomes


def _account_types_update(accounts: list[AccountCard]) -> None:
    """Accounts with a recent won deal are customers; those whose last win is old, former ones."""
    by_type: dict[str, list[int]] = {AccountType.CUSTOMER: [], AccountType.FORMER: []}
    for card in accounts:
        if card.partner or card.last_won is None:
            continue
        recent = card.last_won > -CUSTOMER_FOR
        by_type[AccountType.CUSTOMER if recent else AccountType.FORMER].append(card.pk)
    for account_type, pks in by_type.items():
        for start in range(0, len(pks), 500):
            Account.all_objects.filter(pk__in=pks[start : start + 500]).update(type=account_type)
