"""The report builder: safe calculated fields, pivots checked against plain Python, saved
reports through the API with visibility, exports with the same numbers, scheduled mail once
per period and recipient."""

import csv
import io
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db.models import F
from django.test import Client
from huey.contrib.djhuey import HUEY
from openpyxl import load_workbook
from pypdf import PdfReader

from pipewise.org.models import User
from pipewise.pipeline.choices import OpportunityStatus
from pipewise.pipeline.models import Opportunity
from pipewise.reports import expressions
from pipewise.reports.builder import Definition, check_definition, run_report
from pipewise.reports.models import ReportDelivery, SavedReport
from pipewise.reports.services import (
    saved_report_create,
    saved_report_deliver,
    scheduled_period,
)
from pipewise.reports.tasks import send_scheduled_reports

URL = "/api/v1/saved-reports/"
FOUR = Decimal("0.0001")
NUMBERS = {"amount": "amount", "probability": "stage__probability"}


def q4(value) -> Decimal:
    return Decimal(value).quantize(FOUR, rounding=ROUND_HALF_UP)


def fresh(user) -> User:
    return User.objects.get(pk=user.pk)


# --- calculated fields ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os').system('true')", "A function call is not allowed"),
        ("amount.real", "An attribute (a.b) is not allowed"),
        ("amount[0]", "Indexing (a[b]) is not allowed"),
        ("amount ** 2", "Powers (**) is not allowed"),
        ("amount // 2", "Floor division (//) is not allowed"),
        ("amount > 2", "A comparison is not allowed"),
        ("secret * 2", "Unknown field 'secret'"),
        ("'abc'", "Only numbers can be written as constants"),
        ("amount +", "Not a valid expression"),
        ("", "Write an expression"),
        ("1" + "+1" * 200, "at most 300 characters"),
    ],
)
def test_it_refuses_everything_but_arithmetic_over_known_fields(text, message):
    with pytest.raises(ValidationError) as caught:
        expressions.calculated_expression(text, NUMBERS)
    assert message in caught.value.messages[0]


def test_it_computes_calculated_fields_in_sql_with_null_for_division_by_zero(ledger, people):
    rows = Opportunity.objects.annotate(
        weighted=expressions.calculated_expression("amount * probability / 100", NUMBERS),
        per_zero=expressions.calculated_expression("amount / (probability - probability)", NUMBERS),
        negated=expressions.calculated_expression("-(amount - 1) + 2 * 3", NUMBERS),
        probability_=F("stage__probability"),
    )
    assert rows.exists()
    for row in rows:
        assert q4(row.weighted) == q4(row.amount * row.probability_ / 100)
        assert row.per_zero is None
        assert q4(row.negated) == q4(-(row.amount - 1) + 6)


# --- results against plain Python ----------------------------------------------------
def test_it_pivots_deals_by_owner_and_status_as_plain_python_does(ledger, people):
    definition = check_definition(
        entity="opportunities",
        group_by=["owner", "status"],
        measures=[
            {"op": "count"},
            {"op": "sum", "field": "amount"},
            {"op": "max", "field": "amount"},
        ],
    )
    result = run_report(definition, viewer=fresh(people.ops))
    expected = defaultdict(list)
    for deal in ledger.deals:
        expected[(deal.owner, deal.status)].append(deal.amount)
    assert {(r[0], r[1]): r[2:] for r in result.rows} == {
        key: [len(amounts), q4(sum(amounts)), q4(max(amounts))] for key, amounts in expected.items()
    }
    pivot = result.pivot()
    # statuses in their own order (open, won, lost) and by label; people by name
    statuses = [s for s in OpportunityStatus.values if s in {status for _, status in expected}]
    assert pivot["columns"] == [OpportunityStatus(s).label for s in statuses]
    ae_row = next(row for row in pivot["rows"] if row["label"] == str(people.ae))
    assert ae_row["cells"] == [
        len(expected[("ae", s)]) or None if ("ae", s) in expected else None for s in statuses
    ]


def test_it_aggregates_a_calculated_field_per_group(ledger, people):
    definition = check_definition(
        entity="opportunities",
        group_by=["owner"],
        measures=[{"op": "sum", "field": "weighted"}, {"op": "avg", "field": "amount"}],
        calculated_fields=[{"name": "weighted", "expression": "amount * probability / 100"}],
    )
    result = run_report(definition, viewer=fresh(people.ops))
    per_owner = defaultdict(list)
    for deal in ledger.deals:
        per_owner[deal.owner].append(deal)
    for owner, weighted, average in result.rows:
        deals = per_owner[owner]
        assert abs(weighted - sum(d.amount * d.probability / 100 for d in deals)) < Decimal("0.01")
        assert abs(average - sum(d.amount for d in deals) / len(deals)) < Decimal("0.01")


def test_it_gives_each_viewer_only_the_rows_they_may_see(ledger, people):
    definition = check_definition(entity="opportunities", group_by=["owner"])
    seen = {
        name: {row[0] for row in run_report(definition, viewer=fresh(getattr(people, name))).rows}
        for name in ("ae", "manager", "other_ae", "ops")
    }
    assert seen["ae"] == {"ae"}
    assert seen["manager"] <= {"manager", "ae", "sdr"} and "ae" in seen["manager"]
    assert seen["other_ae"] == {"other_ae"}
    assert seen["ops"] == {d.owner for d in ledger.deals}


def test_it_takes_a_kpi_measure_from_the_registry(ledger, people, api):
    definition = check_definition(
        entity="opportunities", group_by=["owner"], measures=[{"op": "kpi", "kpi": "won_revenue"}]
    )
    result = run_report(definition, viewer=fresh(people.manager))
    api_groups = (
        api.as_user(people.manager)
        .get("/api/v1/kpis/won_revenue/", {"group_by": "owner"})
        .json()["groups"]
    )
    assert {r[0]: r[1] for r in result.rows if r[1] is not None} == {
        g["group"]: Decimal(g["value"])
        for g in api_groups
        if g["group"] in {r[0] for r in result.rows}
    }


@pytest.mark.parametrize(
    ("definition", "field", "message"),
    [
        ({"entity": "planets"}, "entity", "Unknown entity"),
        ({"entity": "leads", "group_by": ["owner", "status", "source"]}, "group_by", "at most 2"),
        ({"entity": "leads", "group_by": ["colour"]}, "group_by", "cannot be grouped by"),
        ({"entity": "leads", "group_by": ["owner", "owner"]}, "group_by", "only once"),
        ({"entity": "leads", "measures": []}, "measures", "at least one"),
        ({"entity": "leads", "measures": [{"op": "sum"}]}, "measures", "Say which number"),
        ({"entity": "leads", "measures": [{"op": "sum", "field": "x"}]}, "measures", "no number"),
        ({"entity": "leads", "measures": [{"op": "median"}]}, "measures", "Unknown measure"),
        ({"entity": "leads", "filters": {"colour": "red"}}, "filters", "cannot be filtered"),
        ({"entity": "leads", "filters": {"created_after": "soon"}}, "filters", "created_after"),
        ({"entity": "leads", "period": "someday"}, "period", "Unknown period"),
        (
            {
                "entity": "tasks",
                "group_by": ["status"],
                "measures": [{"op": "kpi", "kpi": "won_revenue"}],
            },
            "measures",
            "cannot be grouped by Status ('status')",
        ),
        (
            {"entity": "leads", "calculated_fields": [{"name": "x y", "expression": "1"}]},
            "calculated_fields",
            "short identifier",
        ),
    ],
)
def test_it_names_what_is_wrong_in_a_definition(definition, field, message):
    definition = {"measures": [{"op": "count"}], **definition}
    with pytest.raises(ValidationError) as caught:
        check_definition(**definition)
    assert message in " ".join(caught.value.message_dict[field])


# --- saved reports through the API ------------------------------------------------------
REPORT = {
    "name": "Deals by owner and status",
    "entity": "opportunities",
    "group_by": ["owner", "status"],
    "measures": [{"op": "count"}, {"op": "sum", "field": "amount"}],
}


def test_it_saves_a_report_and_answers_its_results_for_the_viewer(ledger, people, api):
    created = api.as_user(people.manager).post(URL, REPORT, format="json")
    assert created.status_code == 201, created.content
    report_id = created.json()["id"]
    results = api.as_user(people.manager).get(f"{URL}{report_id}/results/").json()
    owners = {row[0] for row in results["rows"]}
    assert results["columns"] == ["owner", "status", "count", "sum(amount)"]
    assert owners <= {"manager", "ae", "sdr"} and "ae" in owners
    assert api.as_user(people.other_ae).get(f"{URL}{report_id}/").status_code == 404
    assert api.as_user(people.other_ae).get(f"{URL}{report_id}/results/").status_code == 404


def test_it_refuses_a_bad_report_with_field_errors_and_writes_nothing(people, api):
    response = api.as_user(people.ae).post(
        URL, {**REPORT, "group_by": ["owner", "planet"]}, format="json"
    )
    assert response.status_code == 400
    assert "cannot be grouped by 'planet'" in response.json()["group_by"][0]
    assert not SavedReport.objects.exists()


def test_it_shares_a_report_with_a_role_but_only_the_owner_changes_it(ledger, people, api):
    report_id = (
        api.as_user(people.manager)
        .post(URL, {**REPORT, "shared_with_role": "account_executive"}, format="json")
        .json()["id"]
    )
    other = api.as_user(people.other_ae)
    rows = other.get(f"{URL}{report_id}/results/").json()["rows"]
    assert {row[0] for row in rows} == {"other_ae"}  # shared definition, own records
    assert other.patch(f"{URL}{report_id}/", {"name": "Mine"}, format="json").status_code == 404
    assert other.delete(f"{URL}{report_id}/").status_code == 404
    assert api.as_user(people.sdr).get(f"{URL}{report_id}/").status_code == 404
    owner = api.as_user(people.manager)
    assert owner.patch(f"{URL}{report_id}/", {"name": "Renamed"}, format="json").json()["name"] == (
        "Renamed"
    )
    assert owner.delete(f"{URL}{report_id}/").status_code == 204
    assert not SavedReport.objects.exists()


def test_it_describes_saved_reports_in_the_openapi_schema(api, people):
    schema = api.as_user(people.ae).get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/saved-reports/" in schema["paths"]
    assert "/api/v1/saved-reports/{id}/results/" in schema["paths"]


# --- page == API == exports ---------------------------------------------------------------
def test_it_shows_and_exports_the_same_numbers_as_the_api(ledger, people, api):
    report = saved_report_create(by=fresh(people.manager), **REPORT)
    expected = api.as_user(people.manager).get(f"{URL}{report.pk}/results/").json()["rows"]
    names = {u.username: str(u) for u in User.objects.all()}
    statuses = dict(OpportunityStatus.choices)
    shown = [[names[r[0]], str(statuses[r[1]]), r[2], Decimal(r[3])] for r in expected]
    client = Client()
    client.force_login(fresh(people.manager))
    page = client.get(f"/reports/{report.pk}/").content.decode()
    for name, status, count, amount in shown:
        cells = f'<td>{name}</td><td>{status}</td><td class="num">{count}</td>'
        assert f'{cells}<td class="num">€{amount:,.0f}</td>' in page
    total_count, total_amount = sum(r[2] for r in shown), sum(r[3] for r in shown)
    assert f'<td class="num">{total_count}</td><td class="num">€{total_amount:,.0f}</td>' in page
    as_csv = client.get(f"/reports/{report.pk}/", {"export": "csv"}).content.decode("utf-8-sig")
    heading, *rows, total = list(csv.reader(io.StringIO(as_csv)))
    assert heading == ["Owner", "Status", "Count", "Sum of amount"]
    assert rows == [[n, s, str(c), str(a.quantize(Decimal("0.01")))] for n, s, c, a in shown]
    assert total == ["Total", "", str(total_count), str(total_amount.quantize(Decimal("0.01")))]
    book = load_workbook(
        io.BytesIO(client.get(f"/reports/{report.pk}/", {"export": "xlsx"}).content)
    )
    sheet_rows = list(book.active.iter_rows(values_only=True))[1:-1]
    assert [(r[0], r[1], r[2], Decimal(str(r[3]))) for r in sheet_rows] == [
        tuple(row) for row in shown
    ]
    pdf = client.get(f"/reports/{report.pk}/", {"export": "pdf"}).content
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for row in shown:
        assert str(row[3].quantize(Decimal("0.01"))) in text


def test_it_exports_only_the_records_the_viewer_sees(ledger, people):
    report = saved_report_create(
        by=fresh(people.manager),
        name="All deals",
        entity="opportunities",
        measures=[{"op": "count"}],
    )
    report.shared_with_role = "account_executive"
    report.save()
    client = Client()
    client.force_login(fresh(people.other_ae))
    response = client.get(f"/reports/{report.pk}/", {"records": "csv"})
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(lines) - 1 == sum(1 for d in ledger.deals if d.owner == "other_ae")


def test_it_hides_a_report_from_people_it_is_not_shared_with(ledger, people):
    report = saved_report_create(by=fresh(people.manager), **REPORT)
    client = Client()
    client.force_login(fresh(people.ae))
    for url in ("", "?export=csv", "?records=csv", "edit/"):
        assert client.get(f"/reports/{report.pk}/{url}").status_code == 404


# --- scheduled mail ----------------------------------------------------------------------
@pytest.fixture
def immediate_huey():
    was = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = was


def test_it_mails_a_scheduled_report_once_per_period_each_recipient_their_rows(
    ledger, people, immediate_huey
):
    report = saved_report_create(
        by=fresh(people.manager),
        name="Weekly deals",
        entity="opportunities",
        period="all",
        group_by=["owner"],
        measures=[{"op": "count"}],
        schedule="weekly",
        shared_with_role="account_executive",
    )
    send_scheduled_reports()
    send_scheduled_reports()  # a restart or a second worker: nothing more
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([people.manager.email, people.ae.email, people.other_ae.email])
    assert ReportDelivery.objects.filter(report=report).count() == 3
    other_mail = next(m for m in mail.outbox if m.to == [people.other_ae.email])
    attachment = other_mail.attachments[0][1]
    attachment = attachment.decode() if isinstance(attachment, bytes) else attachment
    attachment = attachment.lstrip("\ufeff")
    owners = {row[0] for row in list(csv.reader(io.StringIO(attachment)))[1:]}
    assert owners <= {"other_ae"}
    assert "\tae\t" not in other_mail.body and "\nae\t" not in other_mail.body


def test_it_sends_again_only_for_a_new_period(people):
    report = saved_report_create(
        by=fresh(people.manager),
        name="Monthly",
        entity="leads",
        measures=[{"op": "count"}],
        schedule="monthly",
    )
    import datetime

    march = scheduled_period("monthly", datetime.date(2025, 4, 3))
    assert (march.start, march.end) == (datetime.date(2025, 3, 1), datetime.date(2025, 3, 31))
    manager = fresh(people.manager)
    assert saved_report_deliver(report=report, recipient=manager, period=march) is True
    assert saved_report_deliver(report=report, recipient=manager, period=march) is False
    april = scheduled_period("monthly", datetime.date(2025, 5, 1))
    assert saved_report_deliver(report=report, recipient=manager, period=april) is True
    assert len(mail.outbox) == 2
    week = scheduled_period("weekly", datetime.date(2025, 4, 9))  # a Wednesday
    assert (week.start, week.end) == (datetime.date(2025, 3, 31), datetime.date(2025, 4, 6))


def test_it_keeps_no_delivery_when_the_mail_fails(people, monkeypatch):
    report = saved_report_create(
        by=fresh(people.manager), name="M", entity="leads", measures=[{"op": "count"}]
    )
    import datetime

    from pipewise.reports import services

    def broken(*args, **kwargs):
        raise ConnectionError("smtp down")

    monkeypatch.setattr(services.EmailMessage, "send", broken)
    period = scheduled_period("monthly", datetime.date(2025, 5, 1))
    with pytest.raises(ConnectionError):
        saved_report_deliver(report=report, recipient=fresh(people.manager), period=period)
    assert not ReportDelivery.objects.exists()  # the next run tries again


def test_definition_of_a_saved_report_round_trips(people):
    report = saved_report_create(by=fresh(people.ae), **REPORT)
    assert Definition.of(report).group_by == ("owner", "status")


def test_it_shares_with_a_team_or_a_role_not_both(people):
    from pipewise.org.services import team_save

    team = team_save(name="Bavaria", manager=people.manager)
    with pytest.raises(ValidationError) as caught:
        saved_report_create(
            by=fresh(people.manager),
            **REPORT,
            shared_with_team=team,
            shared_with_role="account_executive",
        )
    assert "not both" in caught.value.message_dict["shared_with_role"][0]
    assert not SavedReport.objects.exists()
