"""Web pages: each renders for the personas it should, refuses the others, saves through
the services, and costs the same number of queries for more rows."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pipewise.org.models import User
from pipewise.org.services import user_save
from pipewise.planning import services
from pipewise.planning.models import SalesPlan, Target

D = datetime.date


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def months(by, user, amount="1000", year=2026):
    for month in range(1, 13):
        services.target_create(
            by=by,
            user=user,
            metric="won_revenue",
            period_kind="month",
            period_start=D(year, month, 1),
            amount=amount,
        )


def test_the_grid_shows_totals_and_saves_cells_all_or_nothing(signed_in, world, people):
    months(people.ops, people.ae)
    client = signed_in(people.manager)
    url = reverse("planning:targets") + "?metric=won_revenue&year=2026&dimension=user"
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Ae Tester" in body and "12,000" in body and "Other_Ae" not in body
    sdr_cell = f"cell-{people.sdr.pk}-month-2026-01"
    refused = client.post(url, {sdr_cell: "500", f"cell-{people.sdr.pk}-month-2026-02": "abc"})
    assert refused.status_code == 200 and "Nothing was saved" in refused.content.decode()
    assert not Target.objects.filter(user=people.sdr).exists()
    saved = client.post(url, {sdr_cell: "500", f"cell-{people.sdr.pk}-year-2026-01": "6000"})
    assert saved.status_code == 302
    assert Target.objects.get(user=people.sdr, period_kind="month").amount == Decimal("500.00")
    assert Target.objects.get(user=people.sdr, period_kind="year").amount == Decimal("6000.00")


def test_a_rep_sees_their_row_read_only(signed_in, world, people):
    months(people.ops, people.ae)
    page = signed_in(people.ae).get(reverse("planning:targets") + "?year=2026")
    body = page.content.decode()
    assert "Ae Tester" in body and "Sdr Tester" not in body
    assert f'name="cell-{people.ae.pk}-month-2026-01"' not in body
    assert (
        signed_in(people.ae)
        .post(
            reverse("planning:targets") + "?year=2026", {f"cell-{people.ae.pk}-month-2026-01": "1"}
        )
        .status_code
        == 200
    )
    assert Target.objects.get(user=people.ae, period_start=D(2026, 1, 1)).amount == 1000


def test_the_grid_and_attainment_cost_the_same_queries_for_more_people(signed_in, world, people):
    months(people.ops, people.ae)
    client = signed_in(people.ops)
    grid = reverse("planning:targets") + "?year=2026"
    attainment = reverse("planning:attainment") + "?year=2026"
    with CaptureQueriesContext(connection) as grid_few:
        client.get(grid)
    with CaptureQueriesContext(connection) as attainment_few:
        client.get(attainment)
    for n in range(6):
        person = user_save(username=f"rep{n}", roles=["account_executive"], manager=people.manager)
        months(people.ops, person)
        world.won("ae", "1000", D(2026, 1 + n, 5))
    with CaptureQueriesContext(connection) as grid_many:
        page = client.get(grid)
    assert "rep5" in page.content.decode() or "Rep5" in page.content.decode()
    with CaptureQueriesContext(connection) as attainment_many:
        client.get(attainment)
    assert len(grid_many) == len(grid_few)
    assert len(attainment_many) == len(attainment_few)


def test_the_xlsx_export_and_import_from_the_page(signed_in, world, people):
    client = signed_in(people.ops)
    exported = client.get(reverse("planning:targets") + "?year=2026&export=xlsx")
    assert exported["Content-Type"].startswith("application/vnd.openxmlformats")
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(exported.content))
    sheet = book.active
    row = next(r for r in range(6, sheet.max_row + 1) if sheet.cell(r, 1).value == "ae")
    sheet.cell(row, 3, 4321)
    out = BytesIO()
    book.save(out)
    out.name = "grid.xlsx"
    out.seek(0)
    answer = client.post(reverse("planning:targets_import"), {"file": out})
    assert answer.status_code == 302
    assert Target.objects.get().amount == Decimal("4321.00")


def test_target_page_shows_standing_rollup_and_drill_down(signed_in, world, people):
    services.profile_save(by=people.ops, name="Flat", weights=["8.34"] * 4 + ["8.33"] * 8)
    year = services.target_create(
        by=people.ops,
        user=people.ae,
        metric="won_revenue",
        period_kind="year",
        period_start=D(2026, 1, 1),
        amount="100000",
    )
    world.won("ae", "25000", D(2026, 3, 3))
    world.won("other_ae", "99999", D(2026, 3, 3))
    client = signed_in(people.manager)
    assert client.post(reverse("planning:target_split", args=[year.pk])).status_code == 302
    page = client.get(reverse("planning:target", args=[year.pk])).content.decode()
    assert "25,000" in page and "25.0 %" in page and "Bottom-up" in page
    records = client.get(reverse("planning:target_records", args=[year.pk])).content.decode()
    assert "Deal 1" in records and "Deal 2" not in records
    other = signed_in(people.other_manager)
    assert other.get(reverse("planning:target", args=[year.pk])).status_code == 404
    assert other.get(reverse("planning:target_records", args=[year.pk])).status_code == 404
    assert (
        signed_in(people.ae).post(reverse("planning:target_split", args=[year.pk])).status_code
        == 403
    )


def test_allocation_from_the_team_target_page(signed_in, world, people):
    team = services.target_create(
        by=people.manager,
        team=world.team,
        metric="won_revenue",
        period_kind="year",
        period_start=D(2026, 1, 1),
        amount="90000",
    )
    client = signed_in(people.manager)
    answer = client.post(
        reverse("planning:target_allocate", args=[team.pk]),
        {"method": "weights", f"weight_{people.ae.pk}": "2", f"weight_{people.sdr.pk}": "1"},
    )
    assert answer.status_code == 302
    assert Target.objects.get(user=people.ae).amount == Decimal("60000.00")
    page = client.get(reverse("planning:target", args=[team.pk])).content.decode()
    assert "Allocate" in page


def test_profile_pages_chart_and_edit(signed_in, world, people):
    world.won("ae", "1000", D(2025, 4, 4))
    client = signed_in(people.ops)
    answer = client.post(reverse("planning:profile_derive"), {"years": "1"})
    assert answer.status_code == 302
    profile = services.profile_for({})
    page = client.get(answer["Location"]).content.decode()
    assert 'data-chart="shape-chart"' in page and "Actual share" in page
    weights = {f"month_{n:02d}": "10" for n in range(1, 13)}
    refused = client.post(answer["Location"], {"name": "X", "version": profile.version, **weights})
    assert "120" in refused.content.decode()
    weights["month_01"] = "0"
    weights["month_02"] = "0"
    saved = client.post(answer["Location"], {"name": "Even", "version": profile.version, **weights})
    assert saved.status_code == 302
    assert signed_in(people.ae).get(reverse("planning:profiles")).status_code == 200


def test_plan_pages_from_start_to_approval(signed_in, world, people):
    rep = signed_in(people.ae)
    created = rep.post(reverse("planning:plan_create"), {"title": "FY26 plan", "fiscal_year": 2026})
    assert created.status_code == 302
    plan = SalesPlan.objects.get()
    rep.post(reverse("planning:plan_action", args=[plan.pk, "initiative"]), {"title": "Upsell"})
    initiative = plan.initiatives.get()
    rep.post(
        reverse("planning:plan_action", args=[plan.pk, "task"]),
        {
            "initiative": initiative.pk,
            "title": "Call top 10",
            "todo": "List",
            "planned_minutes": "30",
        },
    )
    page = rep.get(reverse("planning:plan", args=[plan.pk])).content.decode()
    assert "Call top 10" in page and "30 min" in page and "0.0 %" in page
    rep.post(reverse("planning:plan_action", args=[plan.pk, "submit"]))
    manager = signed_in(people.manager)
    assert "Review" in manager.get(reverse("planning:plan", args=[plan.pk])).content.decode()
    manager.post(reverse("planning:plan_action", args=[plan.pk, "review"]), {"approve": "1"})
    plan.refresh_from_db()
    assert plan.status == "approved"
    assert (
        signed_in(people.other_ae).get(reverse("planning:plan", args=[plan.pk])).status_code == 404
    )


def test_the_executive_reads_but_does_not_write(signed_in, world, people):
    months(people.ops, people.ae)
    client = signed_in(people.executive)
    for name in ("planning:targets", "planning:attainment", "planning:profiles", "planning:plans"):
        assert client.get(reverse(name)).status_code == 200
    assert client.get(reverse("planning:plan_create")).status_code == 403
    body = client.get(reverse("planning:targets") + "?year=2026").content.decode()
    assert "Save grid" not in body
    assert User.objects.filter(username="executive").exists()


def test_a_manager_gives_a_new_hire_a_ramp_from_the_page(signed_in, world, people):
    client = signed_in(people.manager)
    answer = client.post(
        reverse("planning:ramp_save"),
        {"user": people.sdr.pk, "starts_on": "2026-02-01", "percentages": "25, 50, 100"},
    )
    assert answer.status_code == 302
    page = client.get(reverse("planning:profiles")).content.decode()
    assert "25,50,100 %" in page
    refused = client.post(
        reverse("planning:ramp_save"),
        {"user": people.sdr.pk, "starts_on": "2026-02-03", "percentages": "25"},
    )
    assert refused.status_code == 302
    assert (
        "first day of a month"
        in signed_in(people.manager).get(reverse("planning:profiles")).content.decode()
    )
    other = signed_in(people.other_manager).get(reverse("planning:profiles")).content.decode()
    assert "25,50,100" not in other


def test_the_grid_marks_targets_that_fall_below_last_year(signed_in, world, people):
    for year, amount in ((2025, "2000"), (2026, "1500")):
        services.target_create(
            by=people.ops,
            user=people.ae,
            metric="won_revenue",
            period_kind="month",
            period_start=D(year, 3, 1),
            amount=amount,
        )
    body = signed_in(people.manager).get(reverse("planning:targets") + "?year=2026").content
    assert "Growth check: 1 target below last year" in body.decode()
    assert "Below the same period last year (Mar 2025: 2000.00)" in body.decode()
