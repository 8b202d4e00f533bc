"""The planning API: targets and their actions, attainment, profiles, ramps, plans."""

import datetime
from decimal import Decimal

import pytest

from pipewise.planning import services
from pipewise.planning.models import SalesPlan, Target

D = datetime.date


def year_target(by, **members):
    return services.target_create(
        by=by,
        metric="won_revenue",
        period_kind="year",
        period_start=D(2026, 1, 1),
        amount="120000",
        **members,
    )


def test_it_creates_a_target_with_field_errors_for_bad_input(api, world, people):
    client = api.as_user(people.manager)
    body = {
        "metric": "won_revenue",
        "period_kind": "quarter",
        "period_start": "2026-04-01",
        "amount": "30000.00",
        "user": people.ae.pk,
    }
    created = client.post("/api/v1/targets/", body)
    assert created.status_code == 201, created.data
    assert created.data["period_end"] == "2026-06-30"
    assert created.data["member_label"] == "Ae Tester"
    bad = client.post("/api/v1/targets/", {**body, "period_start": "2026-05-01"})
    assert bad.status_code == 400 and "period_start" in bad.data
    again = client.post("/api/v1/targets/", body)
    assert again.status_code == 400 and "already" in str(again.data)
    refused = client.post("/api/v1/targets/", {**body, "user": people.other_ae.pk})
    assert refused.status_code == 403
    assert Target.objects.count() == 1


def test_it_changes_only_amount_and_note_and_refuses_a_stale_version(api, world, people):
    target = year_target(people.ops, user=people.ae)
    client = api.as_user(people.manager)
    changed = client.patch(f"/api/v1/targets/{target.pk}/", {"amount": "130000", "version": 1})
    assert changed.status_code == 200 and changed.data["amount"] == "130000.00"
    stale = client.patch(f"/api/v1/targets/{target.pk}/", {"amount": "1", "version": 1})
    assert stale.status_code == 409
    assert (
        api.as_user(people.ae).patch(f"/api/v1/targets/{target.pk}/", {"amount": "1"}).status_code
        == 403
    )
    history = client.get(f"/api/v1/targets/{target.pk}/history/")
    assert history.data[0]["changes"]["amount"] == ["120000.00", "130000.00"]


@pytest.mark.parametrize(
    "persona,sees",
    [
        ("ae", {"ae", "team"}),
        ("sdr", {"sdr", "team"}),
        ("manager", {"ae", "sdr", "team", "org"}),
        ("other_manager", {"other_ae", "org"}),
        ("other_ae", {"other_ae"}),
        ("ops", {"ae", "sdr", "other_ae", "team", "org"}),
        ("executive", {"ae", "sdr", "other_ae", "team", "org"}),
        ("marketing", set()),
    ],
)
def test_each_persona_sees_the_targets_of_their_line(api, world, people, persona, sees):
    made = {
        "ae": year_target(people.ops, user=people.ae),
        "sdr": year_target(people.ops, user=people.sdr),
        "other_ae": year_target(people.ops, user=people.other_ae),
        "team": year_target(people.ops, team=world.team),
        "org": year_target(people.ops, territory=people.germany),
    }
    client = api.as_user(getattr(people, persona))
    listed = {row["id"] for row in client.get("/api/v1/targets/").data["results"]}
    assert listed == {made[name].pk for name in sees}
    for name, target in made.items():
        answer = client.get(f"/api/v1/targets/{target.pk}/")
        assert answer.status_code == (200 if name in sees else 404)


def test_split_rollup_allocate_and_standing(api, world, people):
    services.profile_save(by=people.ops, name="Flat", weights=["8.34"] * 4 + ["8.33"] * 8)
    team = year_target(people.ops, team=world.team)
    client = api.as_user(people.manager)
    split = client.post(f"/api/v1/targets/{team.pk}/split/", {})
    assert split.status_code == 200 and len(split.data) == 12
    rollups = client.get(f"/api/v1/targets/{team.pk}/rollup/").data
    assert [r["kind"] for r in rollups] == ["months", "members"]
    assert Decimal(rollups[0]["difference"]) == 0
    assert Decimal(rollups[1]["difference"]) == Decimal("-120000.00")  # nothing allocated yet
    allocated = client.post(
        f"/api/v1/targets/{team.pk}/allocate/",
        {"method": "weights", "weights": {str(people.ae.pk): "3", str(people.sdr.pk): "1"}},
    )
    assert allocated.status_code == 200
    assert [Decimal(t["amount"]) for t in allocated.data] == [Decimal(90000), Decimal(30000)]
    after = client.get(f"/api/v1/targets/{team.pk}/rollup/").data
    assert Decimal(after[1]["children_total"]) == Decimal("120000.00")
    world.won("ae", "60000", D(2026, 2, 2))
    ae_year = Target.objects.get(user=people.ae, period_kind="year")
    standing = client.get(f"/api/v1/targets/{ae_year.pk}/standing/").data
    assert standing["actual"] == "60000.00" and standing["variance"] == "-30000.00"
    assert standing["attainment"] == "66.7"
    bad = client.post(f"/api/v1/targets/{team.pk}/allocate/", {"method": "dice"})
    assert bad.status_code == 400 and "method" in bad.data


def test_attainment_endpoint_and_its_errors(api, world, people):
    for month in (1, 2):
        services.target_create(
            by=people.ops,
            user=people.ae,
            metric="won_revenue",
            period_kind="month",
            period_start=D(2026, month, 1),
            amount="10000",
        )
    world.won("ae", "4000", D(2026, 1, 9))
    client = api.as_user(people.manager)
    answer = client.get("/api/v1/attainment/", {"year": 2026, "metric": "won_revenue"})
    assert answer.status_code == 200
    assert answer.data["target"] == "20000.00" and answer.data["actual"] == "4000.00"
    assert answer.data["rows"][0]["member"] == "Ae Tester"
    assert [p["period"] for p in answer.data["periods"]] == ["Jan 2026", "Feb 2026"]
    assert client.get("/api/v1/attainment/", {"metric": "x"}).status_code == 400
    assert client.get("/api/v1/attainment/", {"from": "2026-13-01"}).status_code == 400
    assert (
        api.as_user(people.other_ae).get("/api/v1/attainment/", {"year": 2026}).data["rows"] == []
    )


def test_profiles_are_entered_derived_and_shown_beside_history(api, world, people):
    client = api.as_user(people.ops)
    bad = client.post("/api/v1/seasonality-profiles/", {"name": "Bad", "weights": ["8"] * 12})
    assert bad.status_code == 400 and "add up to 96 %" in str(bad.data)
    for month in (1, 1, 3, 6):
        world.won("ae", "1000", D(2025, month, 10))
    derived = client.post("/api/v1/seasonality-profiles/derive/", {"years": 1})
    assert derived.status_code == 201, derived.data
    weights = [Decimal(w) for w in derived.data["weights"]]
    assert sum(weights) == 100 and weights[0] == 50 and weights[2] == 25
    assert "company" in derived.data["name"].lower()
    shape = client.get(f"/api/v1/seasonality-profiles/{derived.data['id']}/shape/").data
    assert len(shape["weights"]) == len(shape["history"]) == 12
    assert (
        api.as_user(people.ae)
        .post("/api/v1/seasonality-profiles/", {"name": "X", "weights": ["10"] * 10 + ["0"] * 2})
        .status_code
        == 403
    )


def test_a_plan_is_written_by_its_owner_and_approved_by_a_manager(api, world, people):
    target = year_target(people.ops, user=people.ae)
    rep = api.as_user(people.ae)
    created = rep.post(
        "/api/v1/sales-plans/", {"title": "FY26", "fiscal_year": 2026, "target": target.pk}
    )
    assert created.status_code == 201, created.data
    plan_id = created.data["id"]
    initiative = rep.post(
        f"/api/v1/sales-plans/{plan_id}/initiatives/",
        {"title": "Win back lapsed customers", "expected_result": "5 deals"},
    )
    assert initiative.status_code == 201
    task = rep.post(
        f"/api/v1/sales-plans/{plan_id}/initiatives/{initiative.data['id']}/tasks/",
        {
            "title": "Call the lapsed list",
            "todos": [{"text": "Export list", "planned_minutes": 30}],
        },
    )
    assert task.status_code == 201, task.data
    progress = rep.get(f"/api/v1/sales-plans/{plan_id}/progress/").data
    assert progress["tasks"] == 1 and progress["todos"] == 1 and progress["percent"] == "0.0"
    assert rep.post(f"/api/v1/sales-plans/{plan_id}/submit/").status_code == 200
    assert rep.post(f"/api/v1/sales-plans/{plan_id}/review/", {"approve": True}).status_code == 403
    other = api.as_user(people.other_manager)
    assert (
        other.post(f"/api/v1/sales-plans/{plan_id}/review/", {"approve": True}).status_code == 404
    )
    manager = api.as_user(people.manager)
    sent_back = manager.post(f"/api/v1/sales-plans/{plan_id}/review/", {"approve": False})
    assert sent_back.status_code == 400 and "note" in sent_back.data
    approved = manager.post(f"/api/v1/sales-plans/{plan_id}/review/", {"approve": True})
    assert approved.data["status"] == "approved"
    assert SalesPlan.objects.get().reviewed_by == people.manager
    rep = api.as_user(people.ae)  # one client: sign the owner back in
    locked = rep.post(f"/api/v1/sales-plans/{plan_id}/initiatives/", {"title": "More"})
    assert locked.status_code == 400, locked.data


def test_a_plan_cannot_point_at_a_target_the_owner_cannot_see(api, world, people):
    hidden = year_target(people.ops, user=people.other_ae)
    answer = api.as_user(people.ae).post(
        "/api/v1/sales-plans/", {"title": "X", "fiscal_year": 2026, "target": hidden.pk}
    )
    assert answer.status_code == 400 and "target" in answer.data


def test_the_growth_check_endpoint(api, world, people):
    services.target_create(
        by=people.ops,
        user=people.ae,
        metric="won_revenue",
        period_kind="year",
        period_start=D(2025, 1, 1),
        amount="200000",
    )
    year_target(people.ops, user=people.ae)
    answer = api.as_user(people.manager).get("/api/v1/targets/growth-check/", {"year": 2026})
    assert len(answer.data) == 1 and "FY2025" in answer.data[0]["reason"]


def test_the_schema_lists_the_planning_endpoints(api, people):
    schema = api.as_user(people.ops).get("/api/schema/", {"format": "json"})
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/targets/",
        "/api/v1/targets/{id}/split/",
        "/api/v1/attainment/",
        "/api/v1/seasonality-profiles/derive/",
        "/api/v1/sales-plans/{id}/review/",
    ):
        assert path in paths
