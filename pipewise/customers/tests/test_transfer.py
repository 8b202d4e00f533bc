"""``pipewise import accounts|contacts``: companies and people, through the customer services."""

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
from pipewise.customers.models import Account, Contact
from pipewise.customers.services import COUNTRY_CODE
from pipewise.org.models import Segment

ACCOUNTS = ["external_id", "name", "domain", "employees", "annual_revenue", "country", "territory"]
ACCOUNTS += ["segment", "type", "owner"]
CONTACTS = ["external_id", "account", "first_name", "last_name", "email", "buying_role", "owner"]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHER


def test_it_creates_accounts_as_the_service_would(people, tmp_path):
    Segment.objects.create(name="Enterprise")
    path = write_csv(
        tmp_path / "accounts.csv",
        ACCOUNTS,
        [
            "A-1",
            "Alpen AG",
            "https://www.Alpen.de/",
            "1,200",
            "2500000",
            "de",
            "DE-BY",
            "enterprise",
            "Customer",
            "ae",
        ],
    )
    assert "1 were created" in run_import("accounts", path)
    account = Account.objects.get(external_id="A-1")
    assert (account.domain, account.country, account.employees) == ("alpen.de", "DE", 1200)
    assert account.segment.name == "Enterprise" and account.type == "customer"
    assert account.territory == people.bavaria and account.owner == people.ae
    assert account.history.count() == 1
    # Stored normalised, so the same file again changes nothing.
    assert "1 unchanged" in run_import("accounts", path)
    assert account.history.count() == 1


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            ["A-1", "X", "", "many", "", "", "", "", "", "ae"],
            "row 2, column employees: 'many' is not a whole number",
        ),
        (
            ["A-1", "X", "", "-3", "", "", "", "", "", "ae"],
            "row 2, column employees: Ensure this value is greater than or equal to 0.",
        ),
        (
            ["A-1", "X", "", "", "€5", "", "", "", "", "ae"],
            "row 2, column annual_revenue: '€5' is not an amount",
        ),
        (
            ["A-1", "X", "", "", "", "Germany", "", "", "", "ae"],
            f"row 2, column country: {COUNTRY_CODE}",
        ),
        (
            ["A-1", "X", "", "", "", "", "", "SMB", "", "ae"],
            "row 2, column segment: no segment 'SMB'",
        ),
        (
            ["A-1", "X", "", "", "", "", "", "", "lead", "ae"],
            "row 2, column type: 'lead' is not one of: prospect, customer, partner, former",
        ),
        (
            ["A-1", "", "", "", "", "", "", "", "", "ae"],
            "row 2, column name: required for a new account",
        ),
    ],
)
def test_it_refuses_bad_account_rows_and_writes_nothing(people, tmp_path, row, expected):
    path = write_csv(tmp_path / "accounts.csv", ACCOUNTS, row)
    before = snapshot()
    problems = import_problems("accounts", path)
    assert any(p.startswith(expected) for p in problems), problems
    assert snapshot() == before


def test_contacts_point_at_accounts_by_external_id(people, tmp_path):
    run_import(
        "accounts",
        write_csv(
            tmp_path / "a.csv", ACCOUNTS, ["A-1", "Alpen AG", "", "", "", "", "", "", "", "ae"]
        ),
    )
    path = write_csv(
        tmp_path / "contacts.csv",
        CONTACTS,
        ["C-1", "A-1", "Eva", "Huber", "Eva.Huber@Alpen.DE", "champion", "ae"],
        ["C-2", "A-404", "Max", "Bauer", "", "", "ae"],
        ["C-3", "A-1", "Jo", "", "", "boss", "ae"],
    )
    before = snapshot()
    assert import_problems("contacts", path) == [
        "row 3, column account: no account has the external_id 'A-404'",
        "row 4, column last_name: required for a new contact",
        "row 4, column buying_role: 'boss' is not one of: decision_maker, economic_buyer, "
        "champion, influencer, technical_buyer, user, gatekeeper, other",
    ]
    assert snapshot() == before

    good = write_csv(
        tmp_path / "good.csv",
        CONTACTS,
        ["C-1", "A-1", "Eva", "Huber", "Eva.Huber@Alpen.DE", "champion", "ae"],
    )
    run_import("contacts", good)
    contact = Contact.objects.get(external_id="C-1")
    assert contact.account.external_id == "A-1"
    assert contact.email == "eva.huber@alpen.de"  # the contact service's normalisation
    assert "1 unchanged" in run_import("contacts", good)


def test_accounts_and_contacts_round_trip(sales, tmp_path):
    accounts, contacts = run_export("accounts"), run_export("contacts")
    assert accounts.splitlines()[0].startswith(
        "external_id,name,domain,industry,employees,annual_revenue,country,territory,segment,type,owner,created_at"
    )
    assert contacts.splitlines()[0] == (
        "external_id,account,first_name,last_name,email,phone,title,buying_role,owner,created_at"
    )
    (tmp_path / "accounts.csv").write_text(accounts)
    (tmp_path / "contacts.csv").write_text(contacts)
    before = snapshot()
    assert "2 unchanged" in run_import("accounts", tmp_path / "accounts.csv")
    assert "2 unchanged" in run_import("contacts", tmp_path / "contacts.csv")
    assert snapshot() == before
    assert (run_export("accounts"), run_export("contacts")) == (accounts, contacts)


def test_an_update_changes_only_the_given_cells(sales, tmp_path):
    key = f"pipewise:{sales.ae_account.pk}"
    path = write_csv(
        tmp_path / "a.csv", ["external_id", "industry", "employees"], [key, "Machinery", "250"]
    )
    assert "1 were updated" in run_import("accounts", path)
    account = Account.objects.get(pk=sales.ae_account.pk)
    assert (account.industry, account.employees, account.name) == (
        "Machinery",
        250,
        "Alpen Maschinenbau GmbH",
    )
    assert account.external_id is None  # matched by its export key, not renamed
    assert account.version == sales.ae_account.version + 1
    rows = {row["name"]: row for row in exported_rows("accounts")}
    assert rows["Alpen Maschinenbau GmbH"]["industry"] == "Machinery"
