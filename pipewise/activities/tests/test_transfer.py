"""``pipewise import activities``: calls, e-mails and meetings from another system."""

import datetime

import pytest

from pipewise.activities.models import NEEDS_A_LINK, Activity
from pipewise.core.tests.test_transfer_support import (
    FAST_HASHER,
    exported_rows,
    import_problems,
    run_export,
    run_import,
    snapshot,
    write_csv,
)

HEADER = ["external_id", "type", "subject", "occurred_at", "owner", "opportunity", "account"]
HEADER += ["outcome", "duration_minutes"]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHER


def test_it_logs_activities_about_known_records(sales, tmp_path):
    deal = f"pipewise:{sales.ae_opp.pk}"
    path = write_csv(
        tmp_path / "activities.csv",
        HEADER,
        ["ACT-1", "call", "Pricing call", "2025-03-03 10:15", "ae", deal, "", "positive", "25"],
    )
    assert "1 were created" in run_import("activities", path)
    activity = Activity.objects.get(external_id="ACT-1")
    assert activity.opportunity == sales.ae_opp and activity.owner == sales.people.ae
    assert activity.occurred_at == datetime.datetime(2025, 3, 3, 10, 15, tzinfo=datetime.UTC)
    assert (activity.outcome, activity.duration_minutes) == ("positive", 25)
    assert "1 unchanged" in run_import("activities", path)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            ["ACT-1", "fax", "Hi", "", "ae", "", "", "", ""],
            "row 2, column type: 'fax' is not one of: call, email, meeting, demo, note",
        ),
        (
            ["ACT-1", "call", "Hi", "", "ae", "D-404", "", "", ""],
            "row 2, column opportunity: no opportunity has the external_id 'D-404'",
        ),
        (
            ["ACT-1", "call", "Hi", "", "ae", "", "", "", "half an hour"],
            "row 2, column duration_minutes: 'half an hour' is not a whole number",
        ),
        (
            ["ACT-1", "call", "", "", "ae", "", "", "", ""],
            "row 2, column subject: required for a new activity",
        ),
        (
            ["ACT-1", "call", "Hi", "", "ae", "", "", "", ""],
            f"row 2, column lead/contact/account/opportunity: {NEEDS_A_LINK}",
        ),
    ],
)
def test_it_refuses_bad_activity_rows_and_writes_nothing(sales, tmp_path, row, expected):
    path = write_csv(tmp_path / "activities.csv", HEADER, row)
    before = snapshot()
    problems = import_problems("activities", path)
    assert any(p.startswith(expected) for p in problems), problems
    assert snapshot() == before


def test_activities_round_trip(sales, tmp_path):
    text = run_export("activities")
    assert text.splitlines()[0] == (
        "external_id,type,subject,occurred_at,owner,lead,contact,account,opportunity,outcome,"
        "duration_minutes,notes"
    )
    before = exported_rows("activities")
    (tmp_path / "activities.csv").write_text(text)
    assert "2 unchanged" in run_import("activities", tmp_path / "activities.csv")
    Activity._base_manager.all().delete()
    assert "2 were created" in run_import("activities", tmp_path / "activities.csv")
    assert exported_rows("activities") == before
