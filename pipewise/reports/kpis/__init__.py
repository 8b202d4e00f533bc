"""The KPI registry: every sales metric defined once, computed with SQL aggregates over
the records the asking user may see.

    from pipewise.reports.kpis import registry

    result = registry.get("won_revenue").compute(
        user=request.user, start=date(2025, 1, 1), end=date(2025, 3, 31), group_by="owner"
    )

The definitions live in the modules below, one per area; importing this package
registers them all, in the order listed (the order of the API and the docs).
``docs/kpis.md`` lists them (``pipewise kpis --markdown``).
"""

# isort: off
from pipewise.reports.kpis import sales  # noqa: F401  (importing registers the KPIs)
from pipewise.reports.kpis import pipeline  # noqa: F401
from pipewise.reports.kpis import leads  # noqa: F401
from pipewise.reports.kpis import activities  # noqa: F401
from pipewise.reports.kpis import customers  # noqa: F401
from pipewise.reports.kpis import efficiency  # noqa: F401
from pipewise.reports.kpis import planning_metrics  # noqa: F401
from pipewise.reports.kpis import orders  # noqa: F401

# isort: on
from pipewise.reports.kpis.base import (
    Group,
    Kpi,
    KpiInput,
    KpiResult,
    Undefined,
    UnknownKpi,
    registry,
)

__all__ = ["Group", "Kpi", "KpiInput", "KpiResult", "Undefined", "UnknownKpi", "registry"]
