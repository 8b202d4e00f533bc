"""SQLite's planner statistics are refreshed after migrations, where a database keeps them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pipewise.core.apps import refresh_planner_statistics

pytestmark = pytest.mark.django_db


def _statistics_of(index: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE idx = %s", [index])
        return cursor.fetchall()


def test_an_index_added_after_analyze_gets_statistics_on_sqlite_only(sales):
    if connection.vendor != "sqlite":
        # PostgreSQL's autovacuum analyses by itself: the refresh must not touch it.
        with CaptureQueriesContext(connection) as queries:
            refresh_planner_statistics(sender=None, using="default")
        assert len(queries) == 0
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute('CREATE INDEX "test_opp_name_idx" ON "pipeline_opportunity" ("name")')
    assert _statistics_of("test_opp_name_idx") == []
    refresh_planner_statistics(sender=None, using="default")
    assert _statistics_of("test_opp_name_idx") != []


def test_a_database_without_statistics_is_left_to_the_planners_rules(sales):
    if connection.vendor != "sqlite":
        return  # covered above: nothing runs on PostgreSQL
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
    refresh_planner_statistics(sender=None, using="default")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        assert cursor.fetchone() is None
