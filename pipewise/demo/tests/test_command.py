"""``pipewise demo``: loads once, says what it wrote, shows the log-ins, never doubles up."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pipewise.customers.models import Account
from pipewise.demo.people import DEMO_PASSWORD, PERSONAS, print_logins
from pipewise.org.models import Territory, User
from pipewise.pipeline.models import Opportunity

TODAY = datetime.date(2026, 3, 18)


def demo(**options) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("demo", today=TODAY, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_it_prints_counts_and_the_logins(db):
    out, err = demo(size=40, seed=3)
    assert "Demo data loaded in" in out
    assert "opportunities" in out and "(open " in out
    assert "activities" in out and "stage changes" in out
    for username, _ in PERSONAS:
        assert username in out
    assert DEMO_PASSWORD in out
    assert out.index("Demo data loaded") < out.index("Demo log-ins")
    assert "opportunities" in err  # the progress bars
    assert Opportunity.objects.count() == 40


def test_it_hides_progress_when_asked(db):
    _, err = demo(size=10, seed=3, no_progress=True)
    assert err == ""


def test_it_changes_nothing_when_run_again(db):
    demo(size=30, seed=3)
    people, deals = User.objects.count(), Opportunity.objects.count()
    out, _ = demo(size=30, seed=3)
    assert "already loaded" in out
    assert "Demo log-ins" in out
    assert (User.objects.count(), Opportunity.objects.count()) == (people, deals)


def test_it_appends_more_deals_to_the_same_organisation(db):
    demo(size=30, seed=3)
    people = User.objects.count()
    demo(size=20, seed=4, append=True)
    assert Opportunity.objects.count() == 50
    assert User.objects.count() == people
    assert Territory.objects.filter(code="DE-S").count() == 1


def test_it_refuses_a_database_holding_other_business_records(sales):
    with pytest.raises(CommandError, match="--append"):
        demo(size=10, seed=3)
    assert Opportunity.objects.count() == 2


def test_it_refuses_to_take_over_a_real_user_and_writes_nothing(people):
    with pytest.raises(CommandError, match="'admin' already exists"):
        demo(size=10, seed=3)
    assert not Territory.objects.filter(code="DE-S").exists()
    assert not Account.objects.exists()
    assert not User.objects.get(username="admin").check_password(DEMO_PASSWORD)


def test_it_says_how_to_get_logins_when_there_is_no_demo(db):
    out = StringIO()
    print_logins(out)
    assert "pipewise demo" in out.getvalue()


def test_it_promises_in_the_logins_only_what_exists(db):
    demo(size=10, seed=3, no_progress=True)
    out = StringIO()
    print_logins(out)
    table = out.getvalue().lower()
    for missing in ("forecast", "campaign", "partner deals", "commission"):
        assert missing not in table
