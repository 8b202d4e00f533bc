"""The demo's building blocks: its calendar, its odds and its writer."""

from __future__ import annotations

import datetime
import random
import zoneinfo
from collections import Counter

import pytest
from django.db import connection

from pipewise.activities.models import TodoItem
from pipewise.demo.chance import Weighted
from pipewise.demo.clock import CLOSING_SEASON, PAST_BUSINESS_DAYS, DemoCalendar
from pipewise.demo.writer import BulkWriter

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def test_it_keeps_business_times_on_weekdays_in_office_hours_and_in_order():
    calendar = DemoCalendar(datetime.date(2026, 3, 16), BERLIN)  # a Monday
    rng = random.Random(1)
    times = sorted(rng.uniform(-600, 60) for _ in range(2000))
    moments = [calendar.at(t) for t in times]
    assert moments == sorted(moments)
    for moment in moments:
        local = moment.astimezone(BERLIN)
        assert local.weekday() < 5
        assert 8 <= local.hour < 18
    assert calendar.at(-0.001).astimezone(BERLIN).date() == datetime.date(2026, 3, 13)
    assert calendar.at(0.5).astimezone(BERLIN) == datetime.datetime(2026, 3, 16, 13, tzinfo=BERLIN)


def test_it_closes_more_deals_in_december_and_march_than_in_august():
    calendar = DemoCalendar(datetime.date(2026, 3, 16), datetime.UTC)
    rng = random.Random(2)
    months = Counter(
        calendar.date(calendar.seasonal_time(rng, -PAST_BUSINESS_DAYS, 0, CLOSING_SEASON)).month
        for _ in range(20_000)
    )
    assert months[12] > 1.6 * months[8]
    assert months[3] > 1.4 * months[8]


def test_it_draws_outcomes_in_proportion_to_their_weights():
    odds = Weighted(("a", "b", "c"), (70, 20, 10))
    rng = random.Random(3)
    drawn = Counter(odds.draw(rng) for _ in range(10_000))
    assert 6700 < drawn["a"] < 7300 and 1700 < drawn["b"] < 2300 and 800 < drawn["c"] < 1200
    with pytest.raises(ValueError):
        Weighted(("a",), (1, 2))


@pytest.mark.parametrize(
    "moment",
    [
        datetime.datetime(2025, 7, 1, 9, 30, tzinfo=datetime.UTC),
        datetime.datetime(2025, 7, 1, 9, 30, 12, 345678, tzinfo=BERLIN),
        datetime.datetime(2025, 12, 31, 23, 59, tzinfo=zoneinfo.ZoneInfo("America/New_York")),
    ],
)
def test_it_writes_datetimes_exactly_as_django_does(db, moment):
    writer = BulkWriter()
    assert writer.adapt_datetime(moment) == connection.ops.adapt_datetimefield_value(moment)


def test_it_refuses_rows_that_would_not_fit_the_model(db):
    with pytest.raises(ValueError, match="_id"):
        BulkWriter().add(TodoItem, task=1, text="Call back")
    with pytest.raises(ValueError, match="required field 'text'"):
        BulkWriter().add(TodoItem, task_id=1)
    writer = BulkWriter()
    writer.add(TodoItem, task_id=1, text="Call back")
    with pytest.raises(ValueError, match="other fields"):
        writer.add(TodoItem, task_id=1)
