"""``pipewise import users``: the team, its roles and reporting lines, through ``user_save``."""

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
from pipewise.org.models import Team, User
from pipewise.org.services import team_save

HEADER = ["username", "email", "first_name", "last_name", "roles", "manager", "team", "territories"]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHER


def test_it_creates_people_with_roles_territories_and_a_manager_defined_further_down(
    people, tmp_path
):
    team_save(name="Bavaria AEs", manager=people.manager)
    path = write_csv(
        tmp_path / "users.csv",
        HEADER,
        [
            "lena",
            "lena@example.com",
            "Lena",
            "Berg",
            "account_executive; sdr",
            "otto",
            "Bavaria AEs",
            "DE-BY;DE",
        ],
        [
            "otto",
            "otto@example.com",
            "Otto",
            "Kern",
            "sales_manager",
            "manager@example.com",
            "",
            "",
        ],
    )
    assert "2 were created" in run_import("users", path)

    lena, otto = User.objects.get(username="lena"), User.objects.get(username="otto")
    assert lena.manager == otto and otto.manager == people.manager  # a manager by e-mail too
    assert lena.role_keys == {"account_executive", "sdr"}
    assert {t.code for t in lena.territories.all()} == {"DE-BY", "DE"}
    assert lena.team == Team.objects.get(name="Bavaria AEs")
    assert not lena.has_usable_password()

    before = snapshot()
    assert "0 were created, 0 were updated, 2 unchanged" in run_import("users", path)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            ["lena", "", "", "", "sdr;closer", "", "", ""],
            "row 2, column roles: Unknown role 'closer'",
        ),
        (
            ["lena", "", "", "", "", "nobody", "", ""],
            "row 2, column manager: no user has the username or e-mail 'nobody'",
        ),
        (
            ["lena", "", "", "", "", "", "Night shift", ""],
            "row 2, column team: no team 'Night shift'",
        ),
        (["lena", "", "", "", "", "", "", "DE;XX"], "row 2, column territories: no territory 'XX'"),
        (
            ["lena", "not-an-email", "", "", "", "", "", ""],
            "row 2, column email: Enter a valid email address.",
        ),
        (
            ["lena lee", "", "", "", "", "", "", ""],
            "row 2, column username: Enter a valid username.",
        ),
    ],
)
def test_it_refuses_bad_people_rows_and_writes_nothing(people, tmp_path, row, expected):
    path = write_csv(tmp_path / "users.csv", HEADER, row)
    before = snapshot()
    problems = import_problems("users", path)
    assert any(p.startswith(expected) for p in problems), problems
    assert snapshot() == before


def test_it_refuses_a_reporting_loop(people, tmp_path):
    path = write_csv(tmp_path / "users.csv", ["username", "manager"], ["manager", "ae"])
    before = snapshot()
    problems = import_problems("users", path)
    assert problems == [
        "row 2, column manager: Ae Tester reports (directly or not) to Manager Tester; "
        "a reporting line cannot loop."
    ]
    assert snapshot() == before
    assert User.objects.get(username="manager").manager == people.vp


def test_users_round_trip(people, tmp_path):
    text = run_export("users")
    rows = {row["username"]: row for row in exported_rows("users")}
    assert rows["ae"]["manager"] == "manager"
    assert rows["ae"]["roles"] == "account_executive"
    assert rows["manager"]["territories"] == "DE"
    (tmp_path / "users.csv").write_text(text)
    assert f"{len(rows)} unchanged" in run_import("users", tmp_path / "users.csv")

    changed = text.replace(",ae@example.com,", ",ae@pipewise.example,")
    (tmp_path / "changed.csv").write_text(changed)
    assert "1 were updated" in run_import("users", tmp_path / "changed.csv")
    assert run_export("users") == changed
