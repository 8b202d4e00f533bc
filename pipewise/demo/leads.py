"""Demo leads in every status, with their status histories and the SDR work on them.

Two kinds of lead are written:

* the leads that became accounts: one per account marked ``from_lead``, with
  the account's first contact as the person, converted (new → working →
  qualified → converted) at the moment the account was created;
* the rest of the funnel: leads whose status depends on their age (fresh ones
  are new or being worked, old ones mostly disqualified with a reason, some
  qualified and waiting, a few reopened), rated cold / warm / hot, from every
  source, the marketing ones tagged with the campaign that brought them in.
  Some are people at companies that already are accounts, as in real life.

Each lead has ``LeadStatusChange`` rows from creation to its current status,
following the transitions the lead services allow, and SDR call attempts,
e-mails, qualification calls, hand-off meetings and follow-up tasks between those
changes.
"""

from __future__ import annotations

import itertools
import random

from pipewise.activities.choices import TaskStatus
from pipewise.demo import names, places
from pipewise.demo.chance import Weighted, pick
from pipewise.demo.clock import MARKETING_SEASON, PAST_BUSINESS_DAYS, DemoCalendar
from pipewise.demo.customers import AccountCard
from pipewise.demo.people import Organisation
from pipewise.demo.work import (
    LEAD_TASKS,
    SDR_ACTIVITIES,
    SDR_HAND_OFF,
    SDR_QUALIFYING,
    Links,
    WorkLog,
)
from pipewise.demo.writer import BulkWriter
from pipewise.leads.choices import LeadSource, LeadStatus, Rating
from pipewise.leads.models import Lead, LeadStatusChange, normalise_email

NEW, WORKING, QUALIFIED = LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.QUALIFIED
DISQUALIFIED, CONVERTED = LeadStatus.DISQUALIFIED, LeadStatus.CONVERTED
OPEN_STATUSES = (NEW, WORKING, QUALIFIED, DISQUALIFIED)
RATINGS = (Rating.COLD, Rating.WARM, Rating.HOT)

SOURCES = Weighted.of(
    (
        (LeadSource.WEBSITE, 25),
        (LeadSource.REFERRAL, 12),
        (LeadSource.COLD_CALL, 12),
        (LeadSource.EVENT, 12),
        (LeadSource.ADVERTISING, 12),
        (LeadSource.PARTNER, 8),
        (LeadSource.DIRECTORY, 6),
        (LeadSource.SOCIAL, 8),
        (LeadSource.OTHER, 5),
    )
)
RATING_BY_STATUS = {
    NEW: Weighted(RATINGS, (50, 35, 15)),
    WORKING: Weighted(RATINGS, (40, 40, 20)),
    QUALIFIED: Weighted(RATINGS, (10, 45, 45)),
    DISQUALIFIED: Weighted(RATINGS, (70, 25, 5)),
    CONVERTED: Weighted(RATINGS, (5, 40, 55)),
}
SCORE_RANGE = {Rating.COLD: (3, 45), Rating.WARM: (40, 75), Rating.HOT: (70, 100)}
# Status of a lead by its age in business days: (up to age, odds of new/working/qualified/dq).
STATUS_BY_AGE = (
    (5, Weighted(OPEN_STATUSES, (60, 35, 5, 0))),
    (20, Weighted(OPEN_STATUSES, (15, 50, 15, 20))),
    (60, Weighted(OPEN_STATUSES, (5, 30, 15, 50))),
    (10_000, Weighted(OPEN_STATUSES, (2, 15, 8, 75))),
)
EVENTS_BY_QUARTER = ("Revenue Ops Forum", "Spring roadshow", "Partner Day", "SalesTech Summit")
WEB_CAMPAIGNS = (
    "Pricing page",
    "Whitepaper: forecasting 101",
    "Free trial sign-up",
    "Webinar: pipeline hygiene {year}",
)
SOCIAL_CAMPAIGNS = ("LinkedIn organic", "Customer story video {year}")
EXISTING_ACCOUNT_SHARE = 0.08  # leads who work at a company that already is an account
PUBLIC_EMAIL_SHARE = 0.12


def campaign_for(rng: random.Random, source: str, day) -> str:
    """The marketing campaign that brought a lead in, named after its quarter and year."""
    quarter = (day.month - 1) // 3 + 1
    if source == LeadSource.EVENT:
        return f"{EVENTS_BY_QUARTER[quarter - 1]} {day.year}"
    if source == LeadSource.ADVERTISING:
        return f"Q{quarter} {day.year} {pick(rng, ('search ads', 'LinkedIn ads'))}"
    if source == LeadSource.WEBSITE:
        return pick(rng, WEB_CAMPAIGNS).format(year=day.year)
    if source == LeadSource.SOCIAL:
        return pick(rng, SOCIAL_CAMPAIGNS).format(year=day.year)
    return ""


def _steps(rng: random.Random, start: float, end: float, count: int) -> list[float]:
    """``count`` increasing times after ``start``, a few days apart, all before ``end``."""
    gaps = [rng.uniform(0.2, 6.0) for _ in range(count)]
    room = (end - start) * 0.95
    total = sum(gaps)
    if total > room:
        gaps = [g * room / total for g in gaps]
    return list(itertools.accumulate(gaps, initial=start))[1:]


def _path(rng: random.Random, status: str) -> list[str]:
    """The statuses a lead went through to reach ``status``, allowed transitions only."""
    if status == NEW:
        return [NEW]
    if status == WORKING:
        if rng.random() < 0.08:
            return [NEW, WORKING, DISQUALIFIED, WORKING]  # reopened
        return [NEW, WORKING]
    if status == QUALIFIED:
        return [NEW, QUALIFIED] if rng.random() < 0.2 else [NEW, WORKING, QUALIFIED]
    if status == DISQUALIFIED:
        return [NEW, DISQUALIFIED] if rng.random() < 0.3 else [NEW, WORKING, DISQUALIFIED]
    return [NEW, WORKING, QUALIFIED, CONVERTED]


class LeadFactory:
    """Writes leads with their status histories, SDR activities and tasks."""

    def __init__(
        self,
        rng: random.Random,
        calendar: DemoCalendar,
        org: Organisation,
        writer: BulkWriter,
    ):
        self.rng = rng
        self.calendar = calendar
        self.org = org
        self.writer = writer
        self.work = WorkLog(rng, calendar, writer)

    def _lead(
        self,
        *,
        person: dict,
        company: str,
        industry: str,
        country: str,
        territory_id: int,
        region: str,
        status: str,
        created: float,
        end: float,
        source: str,
        account: AccountCard | None = None,
    ) -> int:
        rng = self.rng
        rating = RATING_BY_STATUS[status].draw(rng)
        low, high = SCORE_RANGE[rating]
        sdr = pick(rng, self.org.sdrs_by_region[region])
        path = _path(rng, status)
        times = [created, *_steps(rng, created, end, len(path) - 1)]
        if status == CONVERTED:
            times[-1] = end  # converted when the account was created
        lead_id = self.writer.add(
            Lead,
            first_name=person["first_name"],
            last_name=person["last_name"],
            email=person["email"],
            email_normalised=normalise_email(person["email"]),
            phone=person["phone"],
            company=company,
            title=person["title"],
            industry=industry,
            country=country,
            territory_id=territory_id,
            source=source,
            campaign=campaign_for(rng, source, self.calendar.date(created)),
            rating=rating,
            status=status,
            disqualification_reason=(
                pick(rng, names.DISQUALIFICATION_REASONS) if status == DISQUALIFIED else ""
            ),
            owner_id=sdr.id,
            score=rng.randint(low, high) if rng.random() < 0.9 else None,
            account_id=account.pk if account else None,
            contact_id=account.contacts[0].pk if account else None,
            converted_at=self.calendar.at(end) if status == CONVERTED else None,
            created_at=self.calendar.at(created),
        )
        previous = ""
        for to_status, t in zip(path, times, strict=True):
            self.writer.add(
                LeadStatusChange,
                lead_id=lead_id,
                from_status=previous,
                to_status=to_status,
                changed_by_id=sdr.id,
                changed_at=self.calendar.at(t),
            )
            previous = to_status
        self._sdr_work(lead_id, person, company, status, sdr.id, times)
        return lead_id

    def _sdr_work(self, lead_id, person, company, status, sdr_id, times) -> None:
        rng = self.rng
        work = self.work
        links = Links(lead_id=lead_id)
        words = {"contact": f"{person['first_name']} {person['last_name']}", "company": company}
        last = times[-1] if len(times) > 1 else min(times[0] + 3, -0.01)
        touches = {NEW: (0, 1), WORKING: (1, 2), QUALIFIED: (1, 2), DISQUALIFIED: (1, 2),
                   CONVERTED: (1, 2)}[status]  # fmt: skip
        count = rng.randint(*touches)
        for n, t in enumerate(sorted(rng.uniform(times[0], last) for _ in range(count)), start=1):
            kind, subject = pick(rng, SDR_ACTIVITIES)
            subject = subject.format(n=n, theme=pick(rng, names.DEAL_THEMES).lower(), **words)
            work.activity(kind, subject, t, sdr_id, links)
        if status in (QUALIFIED, CONVERTED):
            kind, subject = SDR_QUALIFYING
            work.activity(kind, subject.format(**words), last - 0.02, sdr_id, links)
        if status == CONVERTED:  # the SDR books the meeting that hands the lead over
            kind, subject = SDR_HAND_OFF
            work.activity(kind, subject.format(**words), last - 0.01, sdr_id, links)
        # A follow-up task: open for leads still in play (a few of them late), done for the
        # ones decided. New leads nobody touched for weeks mostly have no task at all.
        if status == NEW and (times[0] > -15 or rng.random() < 0.2):
            due = times[0] + rng.uniform(0.5, 2)
            work.task(
                LEAD_TASKS[0], words, due=due, due_today=rng.random() < 0.15,
                assignee_id=sdr_id, created_by_id=sdr_id, links=links, status=TaskStatus.OPEN,
            )  # fmt: skip
        elif status in (WORKING, QUALIFIED) and rng.random() < 0.6:
            spec = LEAD_TASKS[1] if status == WORKING else LEAD_TASKS[2]
            due = max(times[-1] + rng.uniform(1, 8), rng.uniform(-4, 8))
            work.task(
                spec, words, due=due, due_today=rng.random() < 0.1, assignee_id=sdr_id,
                created_by_id=sdr_id, links=links,
                status=pick(rng, (TaskStatus.OPEN, TaskStatus.OPEN, TaskStatus.IN_PROGRESS)),
            )  # fmt: skip
        elif status in (DISQUALIFIED, CONVERTED) and rng.random() < 0.3:
            done_at = times[-1] - 0.01
            work.task(
                LEAD_TASKS[2], words, due=done_at + rng.uniform(-1, 2), assignee_id=sdr_id,
                created_by_id=sdr_id, links=links, status=TaskStatus.DONE, completed=done_at,
            )  # fmt: skip

    # --- the two kinds of lead ------------------------------------------------
    def converted(self, account: AccountCard) -> int:
        """The lead an account was converted from (its first contact, before the account)."""
        rng = self.rng
        contact = account.contacts[0]
        person = {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "email": contact.email,
            "phone": contact.phone,
            "title": contact.title,
        }
        source = SOURCES.draw(rng)
        account.lead_pk = self._lead(
            person=person,
            company=account.name,
            industry=account.industry,
            country=account.country,
            territory_id=account.territory_id,
            region=account.region,
            status=CONVERTED,
            created=account.created - rng.uniform(3, 40),
            end=account.created,
            source=source,
            account=account,
        )
        account.lead_source = source
        return account.lead_pk

    def prospect(self, status: str | None, accounts: list[AccountCard], leaf_pick) -> int:
        """A lead still in the funnel (or out of it); ``status`` forces one, else by age."""
        rng = self.rng
        region, country, leaf = leaf_pick()
        created = self.calendar.seasonal_time(rng, -PAST_BUSINESS_DAYS, 0, MARKETING_SEASON)
        if status is None:
            age = -created
            for limit, odds in STATUS_BY_AGE:
                if age <= limit:
                    status = odds.draw(rng)
                    break
        elif status == NEW:
            created = -rng.uniform(0.1, 4)
        elif status == WORKING:
            created = -rng.uniform(3, 30)
        first, last = names.person_name(rng, country.culture)
        title, _ = pick(rng, names.TITLES)
        if accounts and rng.random() < EXISTING_ACCOUNT_SHARE:
            known = accounts[rng.randrange(len(accounts))]
            company, industry, domain = known.name, known.industry, known.domain
        else:
            industry = pick(rng, names.INDUSTRIES)
            city = pick(rng, leaf.cities).name
            base = names.company_base_name(rng, country.culture, industry, city)
            company = f"{base} {pick(rng, country.legal_forms)}"
            domain = f"{names.ascii_slug(base, '-')}.{country.tld}"
        if rng.random() < PUBLIC_EMAIL_SHARE:
            domain = pick(rng, names.PUBLIC_EMAIL_DOMAINS)
        person = {
            "first_name": first,
            "last_name": last,
            "email": names.work_email(first, last, domain, rng.randrange(3)),
            "phone": places.fill_pattern(rng, country.phone),
            "title": title,
        }
        return self._lead(
            person=person,
            company=company,
            industry=industry,
            country=country.code,
            territory_id=self.org.territories[leaf.code].pk,
            region=region.code,
            status=status,
            created=created,
            end=-0.01,
            source=SOURCES.draw(rng),
        )


def leads_generate(
    *,
    rng: random.Random,
    calendar: DemoCalendar,
    org: Organisation,
    writer: BulkWriter,
    accounts: list[AccountCard],
    count: int,
    progress,
) -> None:
    """Write the converted leads behind ``accounts`` and ``count`` more leads in the funnel.

    The first leads written take each open status and rating in turn, so even
    a tiny demo shows every status; the rest follow the funnel's proportions.
    """
    factory = LeadFactory(rng, calendar, org, writer)
    from_lead = [card for card in accounts if card.from_lead]
    bar = progress("leads", len(from_lead) + count, "leads")
    for card in from_lead:
        factory.converted(card)
        if writer.full:
            writer.flush()
        bar.update(1)
    all_leaves = places.leaves()
    leaf_cum = list(itertools.accumulate(leaf.weight for _, _, leaf in all_leaves))

    def leaf_pick():
        return rng.choices(all_leaves, cum_weights=leaf_cum)[0]

    showcase = [OPEN_STATUSES[i % len(OPEN_STATUSES)] for i in range(3 * len(OPEN_STATUSES))]
    for index in range(count):
        factory.prospect(showcase[index] if index < len(showcase) else None, accounts, leaf_pick)
        if writer.full:
            writer.flush()
        bar.update(1)
    writer.flush()
    bar.close()
