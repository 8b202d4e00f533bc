"""One filter set per planning list, shared by the web pages and the API."""

import django_filters

from pipewise.core.filters import FilterSet
from pipewise.planning.models import SalesPlan, Target


class TargetFilter(FilterSet):
    starts_after = django_filters.DateFilter(field_name="period_start", lookup_expr="gte")
    ends_before = django_filters.DateFilter(field_name="period_end", lookup_expr="lte")

    class Meta:
        model = Target
        fields = [
            "metric",
            "period_kind",
            "period_start",
            "user",
            "team",
            "territory",
            "product_line",
            "segment",
            "external_id",
        ]


class SalesPlanFilter(FilterSet):
    class Meta:
        model = SalesPlan
        fields = ["owner", "status", "fiscal_year", "target"]
