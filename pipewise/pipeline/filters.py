"""One filter set for opportunity lists, shared by the web pages and the API."""

import django_filters

from pipewise.core.filters import FilterSet
from pipewise.pipeline.models import Opportunity


class OpportunityFilter(FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    close_after = django_filters.DateFilter(field_name="close_date", lookup_expr="gte")
    close_before = django_filters.DateFilter(field_name="close_date", lookup_expr="lte")
    amount_min = django_filters.NumberFilter(field_name="amount", lookup_expr="gte")
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte")
    created_after = django_filters.DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.DateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Opportunity
        fields = [
            "status",
            "pipeline",
            "stage",
            "owner",
            "account",
            "forecast_category",
            "source",
            "external_id",
        ]
