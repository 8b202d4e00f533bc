"""The demo calendar: when things happen in a sales year.

Generated time is measured in *business days* relative to today: ``t = -1.5``
is the middle of the last working day before today, ``t = 0.25`` is 10:30
today. Mapping such a number to a date keeps events on weekdays and within
office hours (08:00–18:00), and it never reorders events, so a stage history
built in business days stays in order once written as datetimes. Everything
with ``t < 0`` lies before today's midnight, that is in the past whenever the
demo is loaded. Datetimes come out in UTC (the same instants as local office
hours; DST changes happen at weekends, which the calendar skips), so writing
them to the database needs no time-zone conversion.

Deals close in seasonal waves: most in December and March (fiscal year and
quarter ends), more in the last two weeks of every quarter, few between
Christmas and New Year or in August; and the business grows over the two years.

Laid out around today: deals close over the last two years and the next four
months, so open deals expect to close ahead (a few slipped days or weeks ago);
stage changes and activities run up to yesterday, the oldest from deals that
started a few months before the two years; open tasks are due from at most
three weeks ago (``OVERDUE_AT_MOST``) to a few weeks ahead; targets are set for
the fiscal year of today.
"""

from __future__ import annotations

import bisect
import datetime
import math
import random

YEARS_OF_HISTORY = 2
PAST_BUSINESS_DAYS = 261 * YEARS_OF_HISTORY  # the window deals are spread over
FUTURE_BUSINESS_DAYS = 85  # about four months of open pipeline ahead
# Deals that close early in the window started before it: without these months the first
# quarter of last year would look empty (and last year's seasonality with it).
LEAD_IN_BUSINESS_DAYS = 80
_MARGIN = 160  # business days kept beyond both ends (accounts older than the window...)
OPENING_MINUTES = 8 * 60
WORKING_MINUTES = 10 * 60

# How busy each month is, relative to an average month.
CLOSING_SEASON = {
    1: 0.75, 2: 0.9, 3: 1.45, 4: 0.85, 5: 0.95, 6: 1.25,
    7: 0.8, 8: 0.65, 9: 1.15, 10: 1.05, 11: 1.3, 12: 1.55,
}  # fmt: skip
MARKETING_SEASON = {
    1: 1.0, 2: 1.1, 3: 1.2, 4: 1.15, 5: 1.05, 6: 0.95,
    7: 0.75, 8: 0.65, 9: 1.15, 10: 1.25, 11: 1.1, 12: 0.7,
}  # fmt: skip
# Open tasks are at most this many business days late (three weeks): a team that keeps
# up with its work, not a backlog of tasks that would have been done or dropped long ago.
OVERDUE_AT_MOST = 15
QUARTER_END_BOOST = 1.5  # in the last two weeks of a quarter
GROWTH_OVER_WINDOW = 0.35  # 35 % more business at the end of the window than at its start


class DemoCalendar:
    """Business days around a fixed "today", and seasonal sampling of days."""

    def __init__(self, today: datetime.date, tz: datetime.tzinfo):
        self.today = today
        self.tz = tz
        before: list[datetime.date] = []
        day = today - datetime.timedelta(days=1)
        while len(before) < PAST_BUSINESS_DAYS + _MARGIN:
            if day.weekday() < 5:
                before.append(day)
            day -= datetime.timedelta(days=1)
        after: list[datetime.date] = []
        day = today
        while len(after) < FUTURE_BUSINESS_DAYS + _MARGIN:
            if day.weekday() < 5:
                after.append(day)
            day += datetime.timedelta(days=1)
        self._days = before[::-1] + after
        self._zero = len(before)
        self._midnights = [
            datetime.datetime.combine(d, datetime.time(0), tzinfo=tz).astimezone(datetime.UTC)
            for d in self._days
        ]
        self._office_minutes = [
            datetime.timedelta(minutes=OPENING_MINUTES + m) for m in range(WORKING_MINUTES)
        ]
        self.first = -self._zero
        self.last = len(self._days) - self._zero - 1
        self._cum_cache: dict[tuple, tuple[list[int], list[float]]] = {}

    # --- mapping ------------------------------------------------------------
    def _index(self, t: float) -> int:
        return min(max(math.floor(t) + self._zero, 0), len(self._days) - 1)

    def date(self, t: float) -> datetime.date:
        """The calendar day of business-day time ``t``."""
        return self._days[self._index(t)]

    def at(self, t: float) -> datetime.datetime:
        """The aware (UTC) datetime of business-day time ``t``: a weekday, in office hours."""
        day = math.floor(t)
        index = day + self._zero
        if not 0 <= index < len(self._midnights):
            index = min(max(index, 0), len(self._midnights) - 1)
        minute = min(int((t - day) * WORKING_MINUTES), WORKING_MINUTES - 1)
        return self._midnights[index] + self._office_minutes[minute]

    def today_at(self, hour: int, minute: int = 0) -> datetime.datetime:
        """A time today (even on a weekend): for work that is due today."""
        return datetime.datetime.combine(self.today, datetime.time(hour, minute), tzinfo=self.tz)

    # --- seasons ------------------------------------------------------------
    def _weights(self, start: int, end: int, season: dict[int, float], quarter_ends: bool):
        key = (start, end, tuple(sorted(season.items())), quarter_ends)
        if key not in self._cum_cache:
            days, cumulative, total = [], [], 0.0
            span = max(end - start, 1)
            for t in range(start, end):
                day = self.date(t)
                weight = season[day.month]
                if quarter_ends and day.month in (3, 6, 9, 12) and day.day >= 15:
                    weight *= QUARTER_END_BOOST
                if (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day <= 2):
                    weight *= 0.2
                weight *= 1 + GROWTH_OVER_WINDOW * (t - start) / span
                total += weight
                days.append(t)
                cumulative.append(total)
            self._cum_cache[key] = (days, cumulative)
        return self._cum_cache[key]

    def seasonal_time(
        self,
        rng: random.Random,
        start: int,
        end: int,
        season: dict[int, float],
        quarter_ends: bool = False,
    ) -> float:
        """A business-day time in ``[start, end)``, more likely in busy seasons."""
        days, cumulative = self._weights(start, end, season, quarter_ends)
        index = bisect.bisect_left(cumulative, rng.random() * cumulative[-1])
        return days[min(index, len(days) - 1)] + rng.random()
