"""The report builder for a sales manager: measures, filters and groupings picked (not
typed) and saved as the stored definition; results with names, stages in process order,
totals and money; charts that fold long lists; record exports with labels."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from openpyxl import load_workbook

from pipewise.customers.models import Account
from pipewise.customers.services import account_create
from pipewise.org.models import User
from pipewise.pipeline.choices import StageKind
from pipewise.pipeline.models import Opportunity, Stage
from pipewise.pipeline.selectors import default_pipeline
from pipewise.reports.builder import (
    ENTITIES,
    Definition,
    FilterKind,
    ReportResult,
    check_definition,
    filter_options,
    run_report,
)
from pipewise.reports.forms import SavedReportForm
from pipewise.reports.models import SavedReport
from pipewise.reports.services import saved_report_create
from pipewise.reports.views import CHART_CATEGORIES, report_chart
from pipewise.web.forms import LookupSelect

pytestmark = pytest.mark.django_db


def fresh(user) -> User:
    return User.objects.get(pk=user.pk)


def client_for(user) -> Client:
    client = Client()
    client.force_login(fresh(user))
    return client


def choice_values(field) -> list[str]:
    values = []
    for value, label in field.choices:
        if isinstance(label, list | tuple):
            values += [str(v) for v, _ in label]
        else:
            values.append(str(value))
    return values


# --- the pickers ------------------------------------------------------------------------
def test_it_offers_counts_numbers_and_the_kpis_of_the_records_as_measures(people):
    form = SavedReportForm(entity="opportunities")
    offered = choice_values(form.fields["measure_0"])
    assert {"count", "sum:amount", "avg:amount", "max:probability"} <= set(offered)
    assert {"kpi:won_revenue", "kpi:pipeline_value"} <= set(offered)
    # a KPI over other records, or one that needs a typed target, is not offered
    assert "kpi:lead_volume" not in offered and "kpi:quota_attainment" not in offered
    assert "kpi:lead_volume" in choice_values(SavedReportForm(entity="leads").fields["measure_0"])


def test_it_reads_each_list_filter_as_field_operator_and_a_value_widget(people):
    options = {o.name: o for o in filter_options(ENTITIES["opportunities"])}
    assert (options["close_after"].field, options["close_after"].operator) == (
        "close_date",
        "on or after",
    )
    assert options["close_before"].operator == "on or before"
    assert options["amount_min"].operator == "at least"
    kinds = {name: options[name].kind for name in ("status", "owner", "stage", "account")}
    assert kinds == {
        "status": FilterKind.CHOICE,
        "owner": FilterKind.PERSON,
        "stage": FilterKind.STAGE,
        "account": FilterKind.RECORD,
    }
    form = SavedReportForm(entity="opportunities", initial={"filter_rows": [("owner", "", "")]})
    people_offered = dict(form.fields["filter_value_0"].choices)
    assert str(people.manager) in people_offered.values()  # by name, not username
    form.add_filter_row(1, "account")
    assert isinstance(form.fields["filter_value_1"].widget, LookupSelect)
    form.add_filter_row(2, "stage")
    default = default_pipeline()
    stages = [str(s.pk) for s in Stage.objects.filter(pipeline=default).order_by("order")]
    offered = dict(form.fields["filter_value_2"].choices)[default.name]
    assert [value for value, _ in offered] == stages  # in process order


def test_it_answers_a_filter_row_with_the_operators_and_widget_of_the_field(people):
    client = client_for(people.manager)
    response = client.get(
        "/reports/filter-row/",
        {"entity": "opportunities", "row": 3, "filter_field_3": "close_date"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="close_after">on or after</option>' in html
    assert 'type="date"' in html and 'name="filter_value_3"' in html
    assert client.get("/reports/filter-row/", {"row": "x"}).status_code == 404


def test_it_saves_what_was_picked_as_the_stored_definition(people):
    client = client_for(people.manager)
    response = client.post(
        "/reports/new/",
        {
            "name": "Won by owner",
            "entity": "opportunities",
            "period": "all",
            "measure_0": "sum:amount",
            "measure_1": "count",
            "filter_field_0": "status",
            "filter_op_0": "status",
            "filter_value_0": "won",
            "filter_field_1": "owner",
            "filter_op_1": "owner",
            "filter_value_1": str(people.ae.pk),
            "filter_field_4": "close_date",
            "filter_op_4": "close_after",
            "filter_value_4": "2025-01-01",
            "group_1": "owner",
            "chart": "bar",
        },
    )
    report = SavedReport.objects.get(name="Won by owner")
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    # In the list's filter order on both databases (PostgreSQL's JSON sorts stored keys).
    owner = fresh(people.ae)
    phrase = f"where Owner is {owner}, Status is Won, Close date on or after 2025-01-01"
    assert phrase in page
    assert report.filters == {
        "status": "won",
        "owner": str(people.ae.pk),
        "close_after": "2025-01-01",
    }
    assert report.measures == [{"op": "sum", "field": "amount"}, {"op": "count"}]
    assert report.group_by == ["owner"]


def test_it_offers_only_the_accounts_the_builder_may_see_and_saves_nothing_else(people):
    hidden = account_create(by=people.other_ae, name="Pacific Tools Inc", territory=people.usa)
    response = client_for(people.manager).post(
        "/reports/new/",
        {
            "name": "Their account",
            "entity": "opportunities",
            "period": "all",
            "measure_0": "count",
            "filter_field_0": "account",
            "filter_op_0": "account",
            "filter_value_0": str(hidden.pk),
            "chart": "bar",
        },
    )
    assert response.status_code == 200  # the form again, with the field's error
    assert "Select a valid choice" in response.content.decode()
    assert not SavedReport.objects.filter(name="Their account").exists()


def test_it_names_a_filter_without_a_value_and_saves_nothing(people):
    response = client_for(people.manager).post(
        "/reports/new/",
        {
            "name": "Half a filter",
            "entity": "opportunities",
            "period": "all",
            "measure_0": "count",
            "filter_field_0": "close_date",
            "filter_op_0": "close_before",
            "filter_value_0": "",
            "chart": "table",
        },
    )
    assert response.status_code == 200
    assert "Pick a value for the filter on Close date." in response.content.decode()
    assert not SavedReport.objects.filter(name="Half a filter").exists()


def test_it_loads_a_report_stored_the_old_way_into_the_pickers_and_keeps_it(people):
    stored = {
        "filters": {"status": "won", "created_after": "2025-01-01T00:00:00"},
        "group_by": ["owner", "stage"],
        "measures": [
            {"op": "count"},
            {"op": "sum", "field": "weighted"},
            {"op": "max", "field": "amount"},
        ],
        "calculated_fields": [{"name": "weighted", "expression": "amount * probability / 100"}],
    }
    report = saved_report_create(
        by=fresh(people.manager), name="Old style", entity="opportunities", **stored
    )
    client = client_for(people.manager)
    page = client.get(f"/reports/{report.pk}/edit/")
    form = page.context["form"]
    assert [form[f"measure_{i}"].value() for i in range(3)] == [
        "count",
        "sum:weighted",
        "max:amount",
    ]
    rows = [
        (r["field"].value(), r["operator"].value(), r["value"].value())
        for r in form.filter_row_list()
    ]
    assert rows == [("status", "status", "won"), ("created_at", "created_after", "2025-01-01")]
    # saving the form as shown keeps the definition
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    assert client.post(f"/reports/{report.pk}/edit/", data).status_code == 302
    report.refresh_from_db()
    assert report.measures == stored["measures"]
    assert report.group_by == stored["group_by"]
    assert report.filters["status"] == "won"
    assert report.filters["created_after"] == "2025-01-01"


# --- results for people ------------------------------------------------------------------
def test_it_shows_stages_in_process_order_people_by_name_and_a_total(ledger, people):
    definition = check_definition(
        entity="opportunities",
        group_by=["stage"],
        measures=[{"op": "count"}, {"op": "sum", "field": "amount"}],
    )
    result = run_report(definition, viewer=fresh(people.ops))
    default = default_pipeline()
    order = list(
        Stage.objects.filter(pipeline=default).order_by("order").values_list("name", "kind")
    )
    open_first = [n for n, k in order if k == StageKind.OPEN] + [
        n for k in (StageKind.WON, StageKind.LOST) for n, kind in order if kind == k
    ]
    shown = [row[0] for row in result.shown]
    assert shown == [name for name in open_first if name in shown]
    deals = Opportunity.objects.all()
    assert result.totals == [
        deals.count(),
        sum(d.amount for d in deals).quantize(Decimal("0.0001")),
    ]
    assert result.headings == ["Stage", "Count", "Sum of amount"]
    assert result.units == ["count", "currency"]

    by_owner = run_report(
        Definition(entity="opportunities", group_by=("owner",)), viewer=fresh(people.ops)
    )
    names = {u.username: str(u) for u in User.objects.all()}
    assert [s[0] for s in by_owner.shown] == sorted(
        (names[row[0]] for row in by_owner.rows), key=str.lower
    )


def test_it_writes_money_in_the_company_currency_with_a_total_row(ledger, people, settings):
    settings.PIPEWISE_CURRENCY = "EUR"
    report = saved_report_create(
        by=fresh(people.ops),
        name="Amounts",
        entity="opportunities",
        group_by=["status"],
        measures=[{"op": "sum", "field": "amount"}],
    )
    page = client_for(people.ops).get(f"/reports/{report.pk}/").content.decode()
    total = sum(d.amount for d in Opportunity.objects.all())
    assert f'<td class="num">€{total:,.0f}</td>' in page
    assert '<th scope="row">Total</th>' in page


# --- charts --------------------------------------------------------------------------------
def long_result(count: int, measure: str) -> ReportResult:
    return ReportResult(
        columns=["account", measure],
        group_count=1,
        rows=[[f"a{i}", Decimal(i)] for i in range(count)],
        headings=["Account", "Sum of amount"],
        shown=[[f"Account {i}"] for i in range(count)],
        units=["currency"],
    )


def test_it_folds_a_long_list_into_the_largest_groups_and_other(people):
    chart = report_chart(long_result(20, "sum(amount)"), "bar")
    assert len(chart["labels"]) == CHART_CATEGORIES
    assert chart["labels"][0] == "Account 19"  # the largest first
    assert chart["labels"][-1] == f"Other ({20 - CHART_CATEGORIES + 1})"
    assert chart["values"][-1] == float(sum(range(20 - CHART_CATEGORIES + 1)))
    # an average does not add up: the rest is left out, and the page says so
    averages = report_chart(long_result(20, "avg(amount)"), "bar")
    assert len(averages["labels"]) == CHART_CATEGORIES - 1 and "Other" not in averages["labels"][-1]
    assert "largest" in averages["note"]
    assert report_chart(long_result(5, "sum(amount)"), "bar")["labels"] == [
        f"Account {i}" for i in range(5)
    ]


# --- the records behind a report ----------------------------------------------------------
def test_it_exports_the_records_with_account_owner_and_stage_by_name(ledger, people):
    report = saved_report_create(
        by=fresh(people.ops), name="Deals", entity="opportunities", measures=[{"op": "count"}]
    )
    response = client_for(people.ops).get(f"/reports/{report.pk}/", {"records": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    heading, *rows = list(csv.reader(io.StringIO(text)))
    assert heading[:5] == ["Deal", "Account", "Owner", "Sales process", "Stage"]
    assert "pipewise:" not in text
    deal = Opportunity.objects.select_related("account", "owner", "stage").order_by("pk").first()
    assert rows[0][:5] == [
        deal.name,
        deal.account.name,
        str(deal.owner),
        deal.pipeline.name,
        deal.stage.name,
    ]
    assert rows[0][5] == deal.get_status_display()
    assert len(rows) == Opportunity.objects.count()


def test_it_exports_the_records_of_every_kind(ledger, people):
    client = client_for(people.ops)
    for entity in ENTITIES:
        report = saved_report_create(
            by=fresh(people.ops), name=f"All {entity}", entity=entity, measures=[{"op": "count"}]
        )
        response = client.get(f"/reports/{report.pk}/", {"records": "xlsx"})
        sheet = load_workbook(io.BytesIO(response.content)).active
        records = ENTITIES[entity].visible(fresh(people.ops)).count()
        assert sheet.max_row == records + 1, entity


def test_it_takes_a_kpi_measure_for_one_account_and_says_plainly_what_a_kpi_refuses(ledger, people):
    account = Account.objects.filter(opportunities__status="won").first()
    definition = check_definition(
        entity="opportunities",
        filters={"account": str(account.pk)},
        measures=[{"op": "kpi", "kpi": "won_deal_count"}],
    )
    result = run_report(definition, viewer=fresh(people.ops))
    won_there = Opportunity.objects.filter(account=account, status="won").count()
    assert result.rows == [[won_there]]
    with pytest.raises(ValidationError) as refused:
        check_definition(
            entity="opportunities",
            filters={"status": "won"},
            measures=[{"op": "kpi", "kpi": "won_revenue"}],
        )
    assert refused.value.message_dict["measures"] == [
        "Won revenue cannot be combined with the filter on Status ('status'); "
        "remove that filter or pick another measure."
    ]


def test_it_offers_no_filter_rows_for_records_without_filters(people):
    page = client_for(people.manager).get("/reports/new/", {"entity": "line_items"})
    html = page.content.decode()
    assert page.context["form"].filter_rows == []
    assert "Line items have no filters of their own" in html and "data-add-filter" not in html
    leads = {o.name: o.field_label for o in filter_options(ENTITIES["leads"])}
    assert leads["created_after"] == "Created"  # not "Created at"
