from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def refresh_planner_statistics(sender, using, **kwargs) -> None:
    """After migrations, give SQLite's query planner statistics for every index again.

    SQLite plans with what the last ``ANALYZE`` stored. An index created since
    has no statistics and looks cheaper than it is: at a million deals the board
    then walks the wrong index and sorts (seconds instead of a millisecond). A
    database that never ran ``ANALYZE`` plans by fixed rules that suit our
    indexes, so only one that holds statistics is re-analysed. PostgreSQL's
    autovacuum keeps its own statistics.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        if cursor.fetchone():
            cursor.execute("ANALYZE")


class CoreConfig(AppConfig):
    name = "pipewise.core"
    label = "core"
    verbose_name = "Pipewise core"

    def ready(self):
        post_migrate.connect(refresh_planner_statistics, sender=self)
