"""KPIs made of other KPIs: each part is computed by its own definition, never restated."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from pipewise.reports.kpis.base import Group, Kpi, KpiQuery, registry


class CompositeKpi(Kpi):
    """A KPI computed from the values of other registered KPIs, group by group.

    ``parts`` names the KPIs it is made of (``{"won": "won_revenue"}``);
    ``part_query`` may change the question for one part (e.g. drop the period);
    ``combine`` turns the parts' unrounded values into this KPI's value. The
    parts' queries are the cost: a bounded number, whatever the number of rows.
    """

    parts: ClassVar[dict[str, str]]

    def part_query(self, part: str, query: KpiQuery) -> KpiQuery:
        # The parts' totals are combined into this KPI's total: always ask for them.
        return replace(query, inputs={}, with_total=True)

    def combine(self, values: dict[str, Any], query: KpiQuery):
        raise NotImplementedError

    def evaluate(self, query: KpiQuery) -> tuple[Any, list[Group]]:
        totals: dict[str, Any] = {}
        by_group: dict[Any, dict[str, Any]] = {}
        for part, key in self.parts.items():
            value, groups = registry.get(key).evaluate(self.part_query(part, query))
            totals[part] = value
            for group in groups:
                label = tuple(group.group) if isinstance(group.group, list) else group.group
                by_group.setdefault(label, {})[part] = group.value
        groups = [
            Group(list(label) if isinstance(label, tuple) else label, self.combine(parts, query))
            for label, parts in sorted(by_group.items(), key=lambda item: _by_label(item[0]))
        ]
        return self.combine(totals, query), groups


def _by_label(label) -> tuple:
    """Groups in label order, null last (each part of a two-dimension label likewise)."""
    parts = label if isinstance(label, tuple) else (label,)
    return tuple((part is None, part or "") for part in parts)
