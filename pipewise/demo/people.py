"""The demo sales organisation: who works where, reports to whom, and how to log in as them.

A Chief Revenue Officer (read-only executive) leads three regional sales
directors (sales managers), each with a team of account executives and SDRs
who own territories; customer success, sales operations, marketing and a
partner manager sit beside them; an administrator runs the system. Every demo
person shares one password, ``DEMO_PASSWORD``, and ``print_logins`` shows one
person per role to try.

Written through the org services (``territory_save``, ``team_save``,
``user_save``), so the organisation obeys the same rules as one typed in by
hand. Building it twice updates the same rows instead of duplicating them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError

from pipewise.demo import places
from pipewise.org.choices import Role, TerritoryLevel
from pipewise.org.models import Team, Territory, User
from pipewise.org.services import team_save, territory_save, user_save

DEMO_PASSWORD = "pipewise-demo"
DEMO_EMAIL_DOMAIN = "pipewise-demo.example"
NOT_A_DEMO_USER = (
    "A user named {username!r} already exists and is not a demo user; the demo would take "
    "it over. Load the demo into an empty database (or rename that user)."
)


@dataclass(frozen=True)
class Person:
    """One member of the demo organisation."""

    username: str
    first_name: str
    last_name: str
    title: str
    roles: tuple[str, ...]
    manager: str | None = None
    team: str | None = None
    territories: tuple[str, ...] = ()  # territory codes

    @property
    def email(self) -> str:
        return f"{self.username}@{DEMO_EMAIL_DOMAIN}"


@dataclass(frozen=True)
class SalesTeam:
    """A regional sales team: its name, its region and its director."""

    name: str
    region: str
    director: str


SDR, AE, CS = Role.SDR, Role.ACCOUNT_EXECUTIVE, Role.CUSTOMER_SUCCESS
MANAGER, OPS, MARKETING = Role.SALES_MANAGER, Role.SALES_OPS, Role.MARKETING
PARTNERS, EXECUTIVE, ADMIN = Role.PARTNER_MANAGER, Role.EXECUTIVE, Role.ADMIN

SALES_TEAMS = (
    SalesTeam("EMEA Sales", "EMEA", "jonas.weber"),
    SalesTeam("Americas Sales", "AMER", "rachel.turner"),
    SalesTeam("APAC Sales", "APAC", "kenji.watanabe"),
)
CUSTOMER_SUCCESS_TEAM = "Customer Success"

# Managers come before the people who report to them.
PEOPLE: tuple[Person, ...] = (
    Person("admin", "Ingrid", "Larsen", "IT Administrator", (ADMIN,)),
    Person("catherine.brooks", "Catherine", "Brooks", "Chief Revenue Officer", (EXECUTIVE,)),
    Person("nina.keller", "Nina", "Keller", "Head of Sales Operations", (OPS,), "catherine.brooks"),
    Person("sarah.mitchell", "Sarah", "Mitchell", "Head of Marketing", (MARKETING,),
           "catherine.brooks"),
    Person("tom.evans", "Tom", "Evans", "Campaign Manager", (MARKETING,), "sarah.mitchell"),
    Person("paul.lefevre", "Paul", "Lefèvre", "Partner Manager", (PARTNERS,), "catherine.brooks"),
    # EMEA
    Person("jonas.weber", "Jonas", "Weber", "Sales Director EMEA", (MANAGER,),
           "catherine.brooks", "EMEA Sales", ("EMEA",)),
    Person("lena.hoffmann", "Lena", "Hoffmann", "Account Executive", (AE,), "jonas.weber",
           "EMEA Sales", ("DE-S",)),
    Person("tobias.schroeder", "Tobias", "Schröder", "Account Executive", (AE,), "jonas.weber",
           "EMEA Sales", ("DE-N",)),
    Person("daan.devries", "Daan", "de Vries", "Account Executive", (AE,), "jonas.weber",
           "EMEA Sales", ("DE-W", "NL")),
    Person("oliver.bennett", "Oliver", "Bennett", "Account Executive", (AE,), "jonas.weber",
           "EMEA Sales", ("GB-ENG", "GB-SCT")),
    Person("sophie.martin", "Sophie", "Martin", "Account Executive", (AE,), "jonas.weber",
           "EMEA Sales", ("FR-IDF", "FR-ARA")),
    Person("max.fischer", "Max", "Fischer", "Sales Development Rep", (SDR,), "jonas.weber",
           "EMEA Sales", ("DE",)),
    Person("chloe.dubois", "Chloé", "Dubois", "Sales Development Rep", (SDR,), "jonas.weber",
           "EMEA Sales", ("GB", "FR", "NL")),
    # Americas
    Person("rachel.turner", "Rachel", "Turner", "Sales Director Americas", (MANAGER,),
           "catherine.brooks", "Americas Sales", ("AMER",)),
    Person("michael.carter", "Michael", "Carter", "Senior Account Executive", (AE,),
           "rachel.turner", "Americas Sales", ("US-E",)),
    Person("daniel.kim", "Daniel", "Kim", "Account Executive", (AE,), "rachel.turner",
           "Americas Sales", ("US-C",)),
    Person("jessica.ramirez", "Jessica", "Ramirez", "Account Executive", (AE,), "rachel.turner",
           "Americas Sales", ("US-W",)),
    Person("olivia.tremblay", "Olivia", "Tremblay", "Account Executive", (AE,), "rachel.turner",
           "Americas Sales", ("CA",)),
    Person("tyler.johnson", "Tyler", "Johnson", "Sales Development Rep", (SDR,),
           "rachel.turner", "Americas Sales", ("US",)),
    Person("ava.wilson", "Ava", "Wilson", "Sales Development Rep", (SDR,), "rachel.turner",
           "Americas Sales", ("US", "CA")),
    # Asia-Pacific
    Person("kenji.watanabe", "Kenji", "Watanabe", "Sales Director APAC", (MANAGER,),
           "catherine.brooks", "APAC Sales", ("APAC",)),
    Person("liam.oconnor", "Liam", "O'Connor", "Account Executive", (AE,), "kenji.watanabe",
           "APAC Sales", ("AU",)),
    Person("yuki.tanaka", "Yuki", "Tanaka", "Account Executive", (AE,), "kenji.watanabe",
           "APAC Sales", ("JP",)),
    Person("wei.lim", "Wei", "Lim", "Account Executive", (AE,), "kenji.watanabe",
           "APAC Sales", ("SG",)),
    Person("grace.chen", "Grace", "Chen", "Sales Development Rep", (SDR,), "kenji.watanabe",
           "APAC Sales", ("APAC",)),
    # Customer success, one per region
    Person("hannah.schmidt", "Hannah", "Schmidt", "Head of Customer Success", (CS,),
           "catherine.brooks", CUSTOMER_SUCCESS_TEAM, ("EMEA",)),
    Person("marcus.reed", "Marcus", "Reed", "Customer Success Manager", (CS,),
           "hannah.schmidt", CUSTOMER_SUCCESS_TEAM, ("AMER",)),
    Person("priya.sharma", "Priya", "Sharma", "Customer Success Manager", (CS,),
           "hannah.schmidt", CUSTOMER_SUCCESS_TEAM, ("APAC",)),
)  # fmt: skip

# One person per role to try, and what they can use as that person (only pages that exist).
PERSONAS: tuple[tuple[str, str], ...] = (
    ("admin", "users, roles, settings, Django admin"),
    ("nina.keller", "territories, processes, targets, every record"),
    ("catherine.brooks", "company and board dashboards (reads all)"),
    ("jonas.weber", "team board, dashboards, targets, approvals"),
    ("lena.hoffmann", "own deals, quotes, tasks, sales plan"),
    ("max.fischer", "leads: prospect, qualify, convert"),
    ("sarah.mitchell", "every lead by source, marketing dashboard"),
    ("hannah.schmidt", "onboarding tasks and check-ins"),
    ("paul.lefevre", "no partner pages yet"),
)


@dataclass
class Organisation:
    """The demo organisation as the generators see it: people by role, region and territory."""

    users: dict[str, User]
    territories: dict[str, Territory]
    # leaf territory code → account executives selling there
    aes_by_leaf: dict[str, list[User]] = field(default_factory=dict)
    aes_by_region: dict[str, list[User]] = field(default_factory=dict)
    sdrs_by_region: dict[str, list[User]] = field(default_factory=dict)
    cs_by_region: dict[str, list[User]] = field(default_factory=dict)
    director_by_region: dict[str, User] = field(default_factory=dict)


def _territories_build() -> dict[str, Territory]:
    """The region → country → area tree of ``places``, created or brought up to date."""
    existing = {t.code: t for t in Territory.objects.all()}
    built: dict[str, Territory] = {}

    def save(code: str, name: str, level: str, parent: Territory | None) -> Territory:
        built[code] = territory_save(
            territory=existing.get(code), name=name, code=code, level=level, parent=parent
        )
        return built[code]

    for region in places.REGIONS:
        region_row = save(region.code, region.name, TerritoryLevel.REGION, None)
        for country in region.countries:
            country_row = save(country.code, country.name, TerritoryLevel.COUNTRY, region_row)
            for area in country.areas:
                save(area.code, area.name, TerritoryLevel.AREA, country_row)
    return built


def _check_usernames_free(people: Iterable[Person]) -> dict[str, User]:
    """Existing demo users by username; refuse if a real user holds a demo username."""
    by_username = {p.username: p for p in people}
    existing = {u.username: u for u in User.objects.filter(username__in=list(by_username))}
    for username, user in existing.items():
        if user.email != by_username[username].email:
            raise ValidationError(NOT_A_DEMO_USER.format(username=username))
    return existing


def organisation_build() -> Organisation:
    """Create (or bring up to date) the demo sales organisation and return it.

    Every demo person gets the demo password; it is hashed once and shared, so
    building the organisation costs one password hash, not thirty.
    """
    existing = _check_usernames_free(PEOPLE)
    territories = _territories_build()
    teams = {t.name: t for t in Team.objects.filter(name__in=[s.name for s in SALES_TEAMS])}
    users: dict[str, User] = {}
    for person in PEOPLE:
        users[person.username] = user_save(
            user=existing.get(person.username),
            username=person.username,
            email=person.email,
            first_name=person.first_name,
            last_name=person.last_name,
            roles=person.roles,
            manager=users[person.manager] if person.manager else None,
            title=person.title,
            territories=[territories[code] for code in person.territories],
        )
    for sales_team in SALES_TEAMS:
        teams[sales_team.name] = team_save(
            team=teams.get(sales_team.name),
            name=sales_team.name,
            manager=users[sales_team.director],
            territory=territories[sales_team.region],
        )
    cs_team = team_save(
        team=Team.objects.filter(name=CUSTOMER_SUCCESS_TEAM).first(),
        name=CUSTOMER_SUCCESS_TEAM,
        manager=users["hannah.schmidt"],
    )
    teams[CUSTOMER_SUCCESS_TEAM] = cs_team
    for person in PEOPLE:
        if person.team:
            users[person.username].team = teams[person.team]
    User.objects.bulk_update([users[p.username] for p in PEOPLE], ["team"])
    User.objects.filter(pk__in=[u.pk for u in users.values()]).update(
        password=make_password(DEMO_PASSWORD)
    )
    # The administrator also runs Django's admin site.
    User.objects.filter(pk=users["admin"].pk).update(is_staff=True, is_superuser=True)
    return _organisation_index(users, territories)


def _organisation_index(users: dict[str, User], territories: dict[str, Territory]) -> Organisation:
    org = Organisation(users=users, territories=territories)
    region_of = {}
    for region, country, leaf in places.leaves():
        region_of[leaf.code] = region.code
        region_of[country.code] = region.code
        region_of[region.code] = region.code
    for person in PEOPLE:
        user = users[person.username]
        regions = [region_of[code] for code in person.territories]
        if AE in person.roles:
            for code in person.territories:
                org.aes_by_leaf.setdefault(code, []).append(user)
            org.aes_by_region.setdefault(regions[0], []).append(user)
        if SDR in person.roles:
            for region in dict.fromkeys(regions):
                org.sdrs_by_region.setdefault(region, []).append(user)
        if CS in person.roles:
            org.cs_by_region.setdefault(regions[0], []).append(user)
    for sales_team in SALES_TEAMS:
        org.director_by_region[sales_team.region] = users[sales_team.director]
    return org


def print_logins(stdout) -> None:
    """Print the demo log-ins: one person per role, their manager and the shared password."""
    wanted = [username for username, _ in PERSONAS]
    users = {
        u.username: u
        for u in User.objects.filter(username__in=wanted, email__endswith=DEMO_EMAIL_DOMAIN)
        .select_related("manager")
        .prefetch_related("user_roles")
    }
    if not users:
        stdout.write("No demo log-ins here: load the demo with `pipewise demo`.\n")
        return
    rows = [("username", "role(s)", "manager", "password", "try")]
    for username, what in PERSONAS:
        user = users.get(username)
        if user is None:
            continue
        roles = ", ".join(
            Role(r.role).label for r in sorted(user.user_roles.all(), key=lambda r: r.role)
        )
        manager = user.manager.username if user.manager else "—"
        rows.append((username, roles, manager, DEMO_PASSWORD, what))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    stdout.write(f"Demo log-ins (every demo user's password is {DEMO_PASSWORD!r}):\n")
    for index, row in enumerate(rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        stdout.write("  " + "  ".join(cells).rstrip() + "\n")
        if index == 0:
            stdout.write("  " + "  ".join("-" * width for width in widths) + "\n")
