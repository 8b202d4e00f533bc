"""``pipewise import opportunities``: deals arrive with the stage history KPIs are built from."""

import datetime
from decimal import Decimal

import pytest

from pipewise.core.tests.test_transfer_support import (
    FAST_HASHER,
    exported_rows,
    import_problems,
    run_export,
    run_import,
    snapshot,
    write_csv,
)
from pipewise.customers.models import Account
from pipewise.pipeline.models import Opportunity, StageChange
from pipewise.pipeline.services import LOST_NEEDS_REASON, opportunity_close_lost

HEADER = [
    "external_id",
    "name",
    "account",
    "owner",
    "stage",
    "amount",
    "close_date",
    "status",
    "lost_reason",
    "created_at",
    "closed_at",
]
CREATED = "2025-01-06T09:00:00+00:00"
CLOSED = "2025-03-14T16:00:00+00:00"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHER


@pytest.fixture
def account(sales):
    Account.objects.filter(pk=sales.ae_account.pk).update(external_id="ACC-1")
    return Account.objects.get(pk=sales.ae_account.pk)


def utc(text):
    return datetime.datetime.fromisoformat(text)


def history(external_id):
    rows = StageChange.objects.filter(opportunity__external_id=external_id).order_by("changed_at")
    return [
        (row.from_stage.name if row.from_stage else None, row.to_stage.name, row.changed_at)
        for row in rows
    ]


def test_it_builds_stage_history_from_created_at_and_closed_at(account, tmp_path):
    path = write_csv(
        tmp_path / "deals.csv",
        HEADER,
        [
            "D-1",
            "Open deal",
            "ACC-1",
            "ae",
            "Presentation",
            "1000",
            "2025-06-30",
            "",
            "",
            CREATED,
            "",
        ],
        [
            "D-2",
            "Won deal",
            "ACC-1",
            "ae",
            "",
            "2,500.50",
            "2025-03-14",
            "won",
            "",
            CREATED,
            CLOSED,
        ],
        [
            "D-3",
            "Lost deal",
            "ACC-1",
            "ae",
            "Lost",
            "300",
            "",
            "lost",
            "No budget",
            CREATED,
            CLOSED,
        ],
    )
    assert "3 were created" in run_import("opportunities", path)

    assert history("D-1") == [(None, "Presentation", utc(CREATED))]
    assert history("D-2") == [
        (None, "Prospecting", utc(CREATED)),
        ("Prospecting", "Won", utc(CLOSED)),
    ]
    assert history("D-3") == [
        (None, "Prospecting", utc(CREATED)),
        ("Prospecting", "Lost", utc(CLOSED)),
    ]
    won = Opportunity.objects.get(external_id="D-2")
    assert (won.status, won.amount, won.closed_at) == ("won", Decimal("2500.50"), utc(CLOSED))
    assert Opportunity.objects.get(external_id="D-3").close_date == datetime.date(2025, 3, 14)
    before = snapshot()
    assert "0 were created, 0 were updated, 3 unchanged" in run_import("opportunities", path)
    assert snapshot() == before
    assert won.forecast_category == "closed"
    lost = Opportunity.objects.get(external_id="D-3")
    assert (lost.status, lost.lost_reason) == ("lost", "No budget")
    assert StageChange.objects.get(opportunity=won, to_stage__name="Won").amount == Decimal(
        "2500.50"
    )


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            ["D-1", "X", "ACC-1", "ae", "Closing", "1", "2025-03-01", "won", "", CREATED, CLOSED],
            "row 2, column status: a won deal belongs in a won stage, but 'Closing' is open",
        ),
        (
            ["D-1", "X", "ACC-1", "ae", "", "1", "2025-03-01", "lost", "", CREATED, CLOSED],
            f"row 2, column lost_reason: {LOST_NEEDS_REASON}",
        ),
        (
            ["D-1", "X", "ACC-1", "ae", "", "1", "2025-03-01", "won", "", CREATED, ""],
            "row 2, column closed_at: required for a won or lost deal",
        ),
        (
            ["D-1", "X", "ACC-1", "ae", "", "1", "2025-03-01", "won", "", CLOSED, CREATED],
            "row 2, column closed_at: the deal cannot close before it was created",
        ),
        (
            ["D-1", "X", "ACC-1", "ae", "Demo", "1", "2025-03-01", "", "", "", ""],
            "row 2, column stage: the sales process 'Standard sales process' has no stage 'Demo'",
        ),
        (
            ["D-1", "X", "ACC-1", "ae", "", "-5", "2025-03-01", "", "", "", ""],
            "row 2, column amount: '-5': an amount cannot be negative",
        ),
        (
            ["D-1", "X", "ACC-1", "ae", "", "1.234,56", "2025-03-01", "", "", "", ""],
            "row 2, column amount: '1.234,56' is not an amount",
        ),
        (
            ["D-1", "X", "ACC-1", "ae", "", "1", "next week", "", "", "", ""],
            "row 2, column close_date: 'next week' is not a date",
        ),
        (
            ["D-1", "X", "ACC-9", "ae", "", "1", "2025-03-01", "", "", "", ""],
            "row 2, column account: no account has the external_id 'ACC-9'",
        ),
        (
            ["D-1", "X", "", "ae", "", "1", "2025-03-01", "", "", "", ""],
            "row 2, column account: required for a new opportunity",
        ),
        (
            ["D-1", "X", "ACC-1", "ae", "", "1", "2025-06-30", "won", "", CREATED, CLOSED],
            "row 2, column close_date: a won or lost deal's close_date is the day it closed "
            "(2025-03-14)",
        ),
        (
            ["D-1", "X", "ACC-1", "ae", "", "1", "", "", "", "", ""],
            "row 2, column close_date: required for a new opportunity",
        ),
        (
            ["D-1", "X", "ACC-1", "ae", "", "1", "2025-03-01", "pending", "", "", ""],
            "row 2, column status: 'pending' is not one of: open, won, lost",
        ),
    ],
)
def test_it_refuses_inconsistent_deals_and_writes_nothing(account, tmp_path, row, expected):
    path = write_csv(tmp_path / "deals.csv", HEADER, row)
    before = snapshot()
    problems = import_problems("opportunities", path)
    assert any(p.startswith(expected) for p in problems), problems
    assert snapshot() == before


def test_a_service_rule_refusing_a_row_is_reported_and_nothing_is_written(sales, account, tmp_path):
    path = write_csv(
        tmp_path / "deals.csv",
        ["external_id", "name", "account", "contact", "owner", "close_date"],
        ["D-1", "Fine", "ACC-1", "", "ae", "2025-03-01"],
        ["D-2", "Wrong contact", "ACC-1", f"pipewise:{sales.other_contact.pk}", "ae", "2025-03-01"],
    )
    before = snapshot()
    assert import_problems("opportunities", path) == [
        "row 3, column contact: The primary contact must work at the opportunity's account."
    ]
    assert snapshot() == before


def test_re_import_moves_the_stage_and_records_it(account, tmp_path):
    first = write_csv(
        tmp_path / "deals.csv",
        HEADER,
        ["D-1", "Deal", "ACC-1", "ae", "Qualifying", "10", "2025-06-30", "", "", CREATED, ""],
    )
    run_import("opportunities", first)
    assert "0 were created, 0 were updated, 1 unchanged" in run_import("opportunities", first)

    won = write_csv(
        tmp_path / "won.csv", ["external_id", "status", "closed_at"], ["D-1", "won", CLOSED]
    )
    assert "1 were updated" in run_import("opportunities", won)
    assert history("D-1") == [
        (None, "Qualifying", utc(CREATED)),
        ("Qualifying", "Won", utc(CLOSED)),
    ]
    deal = Opportunity.objects.get(external_id="D-1")
    assert deal.close_date == datetime.date(
        2025, 3, 14
    )  # the actual close date, as the service sets


def test_a_closed_deal_keeps_its_lost_reason(sales, account, people, tmp_path):
    Opportunity.objects.filter(pk=sales.ae_opp.pk).update(external_id="D-1")
    opportunity_close_lost(
        opportunity=Opportunity.objects.get(pk=sales.ae_opp.pk), by=people.ae, reason="Price"
    )
    path = write_csv(tmp_path / "deals.csv", ["external_id", "lost_reason"], ["D-1", "Timing"])
    assert import_problems("opportunities", path) == [
        "row 2, column lost_reason: a closed deal keeps its lost_reason; "
        "reopen it in Pipewise to change it"
    ]


def test_it_round_trips_open_won_and_lost_deals(sales, account, people, tmp_path):
    from pipewise.pipeline.services import opportunity_close_won

    opportunity_close_won(opportunity=sales.ae_opp, by=people.ae)
    opportunity_close_lost(opportunity=sales.other_opp, by=people.other_ae, reason="No budget")
    text = run_export("opportunities")
    before = exported_rows("opportunities")
    assert before[0]["status"] == "won" and before[1]["status"] == "lost"
    (tmp_path / "deals.csv").write_text(text)
    assert "2 unchanged" in run_import("opportunities", tmp_path / "deals.csv")

    sales.ae_activity.delete()
    sales.ae_task.delete()
    Opportunity.history.all().delete()
    StageChange.objects.all().delete()
    Opportunity._base_manager.all().delete()
    assert "2 were created" in run_import("opportunities", tmp_path / "deals.csv")
    assert exported_rows("opportunities") == before
    won = Opportunity.objects.get(name=sales.ae_opp.name)
    assert [(r.from_stage_id is None, r.to_stage.name) for r in won.stage_changes.all()] == [
        (True, "Prospecting"),
        (False, "Won"),
    ]


def test_an_unknown_sales_process_is_one_problem(account, tmp_path):
    path = write_csv(
        tmp_path / "deals.csv",
        ["external_id", "name", "account", "owner", "close_date", "pipeline", "stage"],
        ["D-1", "Deal", "ACC-1", "ae", "2025-06-30", "Partner deals", "Registered"],
    )
    assert import_problems("opportunities", path) == [
        "row 2, column pipeline: no sales process 'Partner deals'; known: Standard sales process"
    ]
