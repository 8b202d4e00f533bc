"""Dashboards: every number is the API's number, drills down to its records, and shows only
what the viewer may see; the cost does not grow with the data."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pipewise.org.models import OrganisationSettings, User
from pipewise.planning.periods import containing
from pipewise.reports.dashboards import DASHBOARDS, preset_bounds, read_selection

YEAR = {"from": "2025-01-01", "to": "2025-12-31"}
FIGURE = re.compile(r'class="kpi-figure" data-kpi="(\w+)" data-value="([^"]*)"')
CELL = re.compile(r'<tr data-group="([^"]*)"><th scope="row">.*?</tr>', re.S)
CELL_VALUE = re.compile(r'data-kpi="(\w+)" data-value="([^"]*)"')
LINK = re.compile(r'<a class="value" href="([^"]+)"')


def browser(user) -> Client:
    client = Client()
    client.force_login(User.objects.get(pk=user.pk))
    return client


def as_decimal(value):
    return None if value in ("", None) else Decimal(str(value))


def api_value(api, user, key, params):
    response = api.as_user(user).get(f"/api/v1/kpis/{key}/", params)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("slug", list(DASHBOARDS))
def test_it_shows_the_api_numbers_on_every_dashboard(slug, ledger, people, api):
    params = {**YEAR, "target": "50000"} if DASHBOARDS[slug].offers_target else YEAR
    html = browser(people.ops).get(f"/dashboards/{slug}/", params).content.decode()
    figures = FIGURE.findall(html)
    assert len(figures) == len(DASHBOARDS[slug].figures)
    for key, shown in figures:
        api_params = dict(YEAR)
        if DASHBOARDS[slug].own_records:  # the rep's dashboard: their own records
            api_params["owner"] = str(people.ops.pk)
        if key == "quota_attainment":
            api_params["target"] = "50000"
        expected = api_value(api, people.ops, key, api_params)["value"]
        assert as_decimal(shown) == as_decimal(expected), key


def test_it_breaks_the_team_down_per_person_as_the_api_groups_it(ledger, people, api):
    html = browser(people.manager).get("/dashboards/manager/", YEAR).content.decode()
    rows = {}
    for match in CELL.finditer(html):
        rows[match.group(1)] = dict(CELL_VALUE.findall(match.group(0)))
    assert set(rows) <= {"manager", "ae", "sdr"} and rows
    for key in ("won_revenue", "win_rate", "activity_count"):
        groups = api_value(api, people.manager, key, {**YEAR, "group_by": "owner"})["groups"]
        assert {g["group"]: as_decimal(g["value"]) for g in groups} == {
            person: as_decimal(cells[key]) for person, cells in rows.items() if key in cells
        }


def test_it_shows_a_rep_only_their_own_records(ledger, people, api):
    html = browser(people.ae).get("/dashboards/manager/", YEAR).content.decode()
    assert 'data-group="sdr"' not in html and 'data-group="other_ae"' not in html
    shown = dict(FIGURE.findall(html))
    own = api_value(api, people.ae, "won_revenue", YEAR)["value"]
    everyone = api_value(api, people.ops, "won_revenue", YEAR)["value"]
    assert as_decimal(shown["won_revenue"]) == as_decimal(own) < as_decimal(everyone)


def test_it_drills_won_revenue_down_to_the_opportunity_list_with_the_same_total(ledger, people):
    client = browser(people.manager)
    html = client.get("/dashboards/manager/", YEAR).content.decode()
    shown = dict(FIGURE.findall(html))["won_revenue"]
    url = next(u for u in LINK.findall(html) if "status=won" in u).replace("&amp;", "&")
    assert url.startswith("/opportunities/?status=won")
    assert "close_after=2025-01-01" in url and "close_before=2025-12-31" in url
    listed = client.get(url).content.decode()
    total = re.search(r"data-total-amount>([^<]*)<", listed).group(1)
    assert Decimal(re.sub(r"[^\d.]", "", total)) == Decimal(shown).quantize(Decimal(1))


def test_it_drills_a_heat_map_cell_down_to_the_activities_behind_it(ledger, people, api):
    client = browser(people.manager)
    html = client.get("/dashboards/manager/", YEAR).content.decode()
    links = re.findall(r'<td class="num heat[^"]*"[^>]*><a href="([^"]+)">(\d+)</a>', html)
    assert links
    for url, count in links:
        page = client.get(url.replace("&amp;", "&"))
        assert page.status_code == 200
        assert page.content.decode().count("<tr><td>") == int(count)


def test_it_answers_404_for_records_of_an_unknown_kpi(people):
    client = browser(people.ae)
    assert client.get("/dashboards/records/", {"kpi": "nope"}).status_code == 404
    assert client.get("/dashboards/records/", {"kpi": "funnel_conversion"}).status_code == 404
    assert client.get("/dashboards/nope/").status_code == 404


def test_it_names_a_bad_date_instead_of_failing(people):
    response = browser(people.ae).get("/dashboards/rep/", {"from": "2025-13-45"})
    assert response.status_code == 200
    assert "Not a date" in response.content.decode()


def test_it_explains_company_figures_to_people_who_do_not_see_the_company(ledger, people):
    html = browser(people.manager).get("/dashboards/executive/", YEAR).content.decode()
    assert 'data-kpi="sales_efficiency" data-value=""' in html
    assert "only roles that see every record" in html


def _dashboard_queries(people, slug) -> int:
    client = browser(people.manager)
    with CaptureQueriesContext(connection) as run:
        assert client.get(f"/dashboards/{slug}/", {**YEAR, "target": "1000"}).status_code == 200
    return len(run.captured_queries)


@pytest.mark.parametrize("slug", list(DASHBOARDS))
def test_it_costs_the_same_queries_with_five_times_the_data(slug, book, people):
    book.add(deals=8, leads=4, activities=6)
    small = _dashboard_queries(people, slug)
    book.add(deals=40, leads=20, activities=30)
    assert _dashboard_queries(people, slug) == small


def test_it_measures_attainment_and_the_trend_against_planning_targets(ledger, people, api):
    import datetime

    from pipewise.planning.services import target_create

    for month in (3, 4):
        target_create(
            by=people.ops,
            metric="won_revenue",
            period_kind="month",
            period_start=datetime.date(2025, month, 1),
            amount=Decimal("40000"),
            user=people.ae,
            check_access=False,
        )
    html = browser(people.manager).get("/dashboards/manager/", YEAR).content.decode()
    won = api_value(api, people.manager, "won_revenue", {**YEAR, "group_by": "owner"})["groups"]
    ae_won = next(Decimal(g["value"]) for g in won if g["group"] == "ae")
    attainment = re.search(
        r'aria-label="Attainment per person".*?data-group="ae" data-value="([^"]+)"', html, re.S
    ).group(1)
    assert Decimal(attainment) == (ae_won / 80000).quantize(Decimal("0.0001"))
    total = dict(FIGURE.findall(html))["quota_attainment"]
    team_won = Decimal(api_value(api, people.manager, "won_revenue", YEAR)["value"])
    assert Decimal(total) == (team_won / 80000).quantize(Decimal("0.0001"))
    assert '"target": [' in html and "40000.0" in html
    # Other people's targets are not the other team's: other_ae sees no attainment bars.
    other = browser(people.other_ae).get("/dashboards/manager/", YEAR).content.decode()
    assert "No won-revenue targets for these people" in other
    # Nor a total attainment: the figure says where targets are set, not which input lacks.
    assert "No won-revenue target is planned for these people in this period" in other
    assert 'href="/targets/"' in other and "needs this input" not in other


def test_it_never_lists_records_the_viewer_may_not_see(ledger, people):
    other = User.objects.get(pk=people.other_ae.pk)
    params = {"kpi": "won_revenue", "owner": str(other.pk), **YEAR}
    theirs = browser(people.other_ae).get("/dashboards/records/", params).content.decode()
    mine = browser(people.ae).get("/dashboards/records/", params).content.decode()
    won_by_other = sum(
        1
        for d in ledger.deals
        if d.owner == "other_ae" and d.status == "won" and d.closed_at.year == 2025
    )
    assert theirs.count("/opportunities/") - mine.count("/opportunities/") == won_by_other > 0
    assert "No records." in mine


@pytest.mark.parametrize(
    ("preset", "today", "first_month", "bounds"),
    [
        ("this_quarter", "2025-05-17", 1, ("2025-04-01", "2025-06-30")),
        ("last_quarter", "2025-01-10", 1, ("2024-10-01", "2024-12-31")),
        ("last_month", "2025-03-31", 1, ("2025-02-01", "2025-02-28")),
        ("last_12_months", "2025-03-15", 1, ("2024-04-01", "2025-03-31")),
        ("last_year", "2025-03-15", 1, ("2024-01-01", "2024-12-31")),
        # A fiscal year from February: its quarters are Feb–Apr, May–Jul, Aug–Oct, Nov–Jan.
        ("this_quarter", "2025-05-17", 2, ("2025-05-01", "2025-07-31")),
        ("last_quarter", "2025-01-10", 2, ("2024-08-01", "2024-10-31")),
        ("this_year", "2025-01-10", 2, ("2024-02-01", "2025-01-31")),
        ("last_year", "2025-03-15", 4, ("2023-04-01", "2024-03-31")),
        ("last_12_months", "2025-03-15", 4, ("2024-04-01", "2025-03-31")),
    ],
)
def test_it_turns_a_named_period_into_the_fiscal_dates(preset, today, first_month, bounds):
    day = datetime.date.fromisoformat
    found = preset_bounds(preset, day(today), first_month=first_month)
    assert found == (day(bounds[0]), day(bounds[1]))
    assert preset_bounds("all", day(today)) is None


def test_it_follows_the_fiscal_calendar_planning_uses(people):
    company = OrganisationSettings.current()
    company.fiscal_year_start_month = 4
    company.save()
    selection = read_selection({"period": "this_quarter"})
    quarter = containing("quarter", timezone.localdate())
    assert (selection.start, selection.end) == (quarter.start, quarter.end)
    assert (selection.start.month - 4) % 3 == 0


PERSONAS = [
    "vp",
    "manager",
    "ae",
    "sdr",
    "other_manager",
    "other_ae",
    "cs",
    "ops",
    "marketing",
    "executive",
    "admin",
    "partner",
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_shows_every_persona_the_numbers_of_what_they_see(persona, ledger, people, api):
    user = getattr(people, persona)
    html = browser(user).get("/dashboards/executive/", YEAR).content.decode()
    shown = dict(FIGURE.findall(html))
    for key in ("won_revenue", "pipeline_value", "average_deal_size"):
        assert as_decimal(shown[key]) == as_decimal(api_value(api, user, key, YEAR)["value"])


def test_people_are_shown_by_name_and_linked_by_username(client, people, sales):
    from pipewise.pipeline.services import opportunity_close_won

    opportunity_close_won(opportunity=sales.ae_opp, by=people.ae)
    client.force_login(people.manager)
    html = client.get("/dashboards/manager/").content.decode()
    assert f'data-group="{people.ae.username}"' in html
    assert f'<th scope="row">{people.ae.get_full_name()}</th>' in html


def test_it_names_the_group_without_a_product_line_instead_of_a_dash(ledger, people):
    html = browser(people.ops).get("/dashboards/executive/", YEAR).content.decode()
    rows = re.findall(r'<th scope="row">([^<]*)</th>', html)
    assert "No product line" in rows and "—" not in rows
