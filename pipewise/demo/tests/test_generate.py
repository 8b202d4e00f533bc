"""The demo generator writes a complete, consistent, reproducible book of business."""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from pipewise.activities.choices import OPEN_TASK_STATUSES, ActivityType, TaskStatus
from pipewise.activities.models import Activity, Task, TodoItem
from pipewise.catalog.models import Product
from pipewise.customers.models import Account, Contact
from pipewise.demo.generate import demo_generate
from pipewise.demo.people import PEOPLE
from pipewise.leads.choices import MANUAL_TRANSITIONS, LeadStatus, Rating
from pipewise.leads.models import Lead, LeadStatusChange
from pipewise.org.choices import Role
from pipewise.org.models import Territory, User
from pipewise.pipeline.choices import LOST_REASONS, ForecastCategory, StageKind
from pipewise.pipeline.models import LineItem, Opportunity, Pipeline, StageChange
from pipewise.pipeline.selectors import default_pipeline

TODAY = datetime.date(2026, 3, 18)  # a Wednesday late in a quarter
SIZE = 200


def midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def demo(db):
    return demo_generate(size=SIZE, seed=7, today=TODAY)


def test_it_writes_the_organisation_with_one_person_per_role(demo):
    roles = Counter(
        role for user in User.objects.prefetch_related("user_roles") for role in user.role_keys
    )
    assert set(roles) == set(Role.values)
    assert roles[Role.SALES_MANAGER] == 3
    assert User.objects.count() == len(PEOPLE)
    levels = Counter(Territory.objects.values_list("level", flat=True))
    assert levels["region"] == 3 and levels["country"] >= 8 and levels["area"] >= 8
    for ae in User.objects.filter(user_roles__role=Role.ACCOUNT_EXECUTIVE):
        assert ae.territories.exists()
        assert ae.manager.has_role(Role.SALES_MANAGER)
    admin = User.objects.get(username="admin")
    assert admin.check_password("pipewise-demo") and admin.is_superuser
    assert Product.objects.filter(active=False).exists()


def test_it_has_leads_in_every_status_and_rating(demo):
    leads = list(Lead.objects.all())
    assert {lead.status for lead in leads} == set(LeadStatus.values)
    assert {lead.rating for lead in leads} == set(Rating.values)
    assert len({lead.source for lead in leads}) >= 6
    assert any(lead.campaign for lead in leads)
    for lead in leads:
        assert lead.owner.has_role(Role.SDR)
        if lead.status == LeadStatus.DISQUALIFIED:
            assert lead.disqualification_reason
        if lead.status == LeadStatus.CONVERTED:
            assert lead.account_id and lead.contact_id and lead.converted_at
            assert lead.contact.account_id == lead.account_id
            assert lead.contact.email == lead.email
            assert lead.converted_at == lead.account.created_at


def test_it_records_each_leads_way_to_its_status(demo):
    rows = defaultdict(list)
    for row in LeadStatusChange.objects.order_by("changed_at", "id"):
        rows[row.lead_id].append(row)
    for lead in Lead.objects.all():
        history = rows[lead.pk]
        assert history[0].from_status == "" and history[0].to_status == LeadStatus.NEW
        assert history[0].changed_at == lead.created_at
        assert history[-1].to_status == lead.status
        for before, after in zip(history, history[1:], strict=False):
            assert after.from_status == before.to_status
            assert after.changed_at >= before.changed_at
            if after.to_status != LeadStatus.CONVERTED:
                assert after.to_status in MANUAL_TRANSITIONS[after.from_status]
        assert history[-1].changed_at < midnight(TODAY)


def test_it_puts_open_deals_in_every_open_stage_and_closes_the_rest(demo):
    deals = list(Opportunity.objects.select_related("stage", "owner"))
    assert len(deals) == SIZE
    # Three processes side by side: 70 % consultative (the default), 20 % and 10 %.
    per_process = Counter(deal.pipeline.name for deal in deals)
    assert per_process == {
        default_pipeline().name: SIZE * 7 // 10,
        "Transactional sales": SIZE // 5,
        "Enterprise sales": SIZE // 10,
    }
    for pipeline in Pipeline.objects.all():
        open_stages = set(pipeline.stages.filter(kind=StageKind.OPEN).values_list("pk", flat=True))
        in_process = [deal for deal in deals if deal.pipeline_id == pipeline.pk]
        assert {deal.stage_id for deal in in_process if deal.status == "open"} == open_stages
    outcomes = Counter(deal.status for deal in deals)
    assert outcomes["won"] > 10 and outcomes["lost"] > 10
    lost = [deal for deal in deals if deal.status == "lost"]
    assert {deal.lost_reason for deal in lost} <= set(LOST_REASONS)
    assert len({deal.lost_reason for deal in lost}) >= 4
    assert any(deal.competitor for deal in lost)
    assert all(deal.owner.has_role(Role.ACCOUNT_EXECUTIVE) for deal in deals)
    assert any(deal.lead_id for deal in deals)


def test_it_writes_stage_histories_that_follow_the_process(demo):
    rows = defaultdict(list)
    for row in StageChange.objects.select_related("to_stage").order_by("changed_at", "id"):
        rows[row.opportunity_id].append(row)
    for deal in Opportunity.objects.select_related("stage"):
        history = rows[deal.pk]
        assert history[0].from_stage_id is None
        assert history[0].changed_at == deal.created_at
        assert history[-1].to_stage_id == deal.stage_id
        assert deal.stage_entered_at == history[-1].changed_at
        for before, after in zip(history, history[1:], strict=False):
            assert after.from_stage_id == before.to_stage_id
            assert after.to_stage.order > before.to_stage.order
            assert after.changed_at >= before.changed_at
        open_orders = [row.to_stage.order for row in history if row.to_stage.kind == "open"]
        assert open_orders == list(range(1, len(open_orders) + 1))  # no stage skipped
        assert deal.status == deal.stage.kind
        assert history[-1].changed_at < midnight(TODAY)
        if deal.status == "open":
            assert deal.closed_at is None and not deal.lost_reason
            assert deal.forecast_category != ForecastCategory.CLOSED
        else:
            assert deal.closed_at == history[-1].changed_at
            assert deal.close_date == timezone.localdate(deal.closed_at)
            expected = ForecastCategory.CLOSED if deal.status == "won" else ForecastCategory.OMITTED
            assert deal.forecast_category == expected
        assert history[-1].amount == deal.amount


def test_it_spreads_deals_over_two_years_and_a_few_months_ahead(demo):
    deals = Opportunity.objects.all()
    created = [deal.created_at.date() for deal in deals]
    assert min(created) < TODAY - datetime.timedelta(days=550)
    future = [deal.close_date for deal in deals if deal.status == "open"]
    assert max(future) > TODAY + datetime.timedelta(days=30)
    assert max(future) < TODAY + datetime.timedelta(days=180)


def test_it_keeps_amounts_realistic_and_equal_to_the_line_items(demo):
    lines = defaultdict(list)
    for line in LineItem.objects.select_related("product"):
        lines[line.opportunity_id].append(line)
    assert lines, "some deals have line items"
    for deal in Opportunity.objects.all():
        assert isinstance(deal.amount, Decimal)
        assert Decimal(2000) <= deal.amount <= Decimal(250_000)
        if deal.pk in lines:
            assert deal.amount == sum(line.total for line in lines[deal.pk])
            assert all(line.product.active for line in lines[deal.pk])


def test_it_logs_activities_and_tasks_around_the_records(demo):
    now = midnight(TODAY)
    activities = list(Activity.objects.all())
    assert {a.type for a in activities} == set(ActivityType.values)
    assert all(a.linked_records for a in activities)
    assert any(a.lead_id for a in activities) and any(a.opportunity_id for a in activities)
    assert all(a.occurred_at < now for a in activities)
    tasks = list(Task.objects.all())
    open_tasks = [t for t in tasks if t.status in OPEN_TASK_STATUSES]
    assert any(t.due_at < now for t in open_tasks), "some tasks are overdue"
    assert any(timezone.localdate(t.due_at) == TODAY for t in open_tasks), "some are due today"
    assert any(t.due_at >= now + datetime.timedelta(days=1) for t in open_tasks)
    done = [t for t in tasks if t.status == TaskStatus.DONE]
    assert done and all(t.completed_at and t.completed_at < now for t in done)
    assert TodoItem.objects.filter(done=True, task__status=TaskStatus.DONE).exists()
    assert TodoItem.objects.filter(done=False, task__status=TaskStatus.OPEN).exists()


def test_it_writes_records_the_services_would_have_accepted(demo):
    for model in (Account, Contact, Lead, Opportunity, LineItem, Activity, Task, TodoItem):
        records = list(model._default_manager.order_by("pk"))
        for record in records[:: max(1, len(records) // 30)]:
            record.full_clean()
    assert Account.objects.filter(type="customer").exists()
    assert not Account.objects.filter(opportunities__status="won", type="prospect").exists()
    accounts = list(Account.objects.values_list("name", flat=True))
    assert len(accounts) == len(set(accounts))


def _digest() -> str:
    deals = Opportunity.objects.order_by("created_at", "name", "id").values_list(
        "name", "amount", "stage__name", "owner__username", "close_date", "account__name"
    )
    leads = Lead.objects.order_by("created_at", "email", "id").values_list(
        "email", "status", "rating", "source"
    )
    work = Activity.objects.order_by("occurred_at", "subject", "id").values_list(
        "subject", "occurred_at"
    )
    text = repr((list(deals), list(leads), list(work)))
    return hashlib.sha256(text.encode()).hexdigest()


class _Rollback(Exception):
    pass


def _digest_of_a_load(seed: int) -> str:
    """Load the demo, fingerprint it, then roll it back so the next load starts empty."""
    try:
        with transaction.atomic():
            demo_generate(size=60, seed=seed, today=TODAY)
            digest = _digest()
            raise _Rollback
    except _Rollback:
        return digest


def test_it_gives_the_same_data_for_the_same_seed(db):
    first = _digest_of_a_load(seed=11)
    assert not Opportunity.objects.exists()
    assert _digest_of_a_load(seed=11) == first
    assert _digest_of_a_load(seed=12) != first


def test_it_keeps_office_hours_and_close_dates_in_the_local_time_zone(db, settings):
    settings.TIME_ZONE = "Asia/Tokyo"  # office hours start on the previous day in UTC
    demo_generate(size=40, seed=5, today=TODAY)
    tokyo = timezone.get_current_timezone()
    for deal in Opportunity.objects.exclude(status="open"):
        assert deal.close_date == timezone.localdate(deal.closed_at)
    for activity in Activity.objects.all():
        local = activity.occurred_at.astimezone(tokyo)
        assert 8 <= local.hour < 18 and local.weekday() < 5
