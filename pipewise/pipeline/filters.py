"""One filter set for opportunity lists, shared by the web pages and the API."""

import django_filters
from django.utils import timezone

from pipewise.core.filters import FilterSet, StatusFilter
from pipewise.pipeline.choices import OpportunityStatus
from pipewise.pipeline.models import Opportunity
from pipewise.pipeline.selectors import stalled_condition


class OpportunityFilter(FilterSet):
    status = StatusFilter(
        choices=OpportunityStatus.choices,
        open_statuses=(OpportunityStatus.OPEN,),
        open_label="Open",
    )
    name = django_filters.CharFilter(lookup_expr="icontains")
    close_after = django_filters.DateFilter(field_name="close_date", lookup_expr="gte")
    close_before = django_filters.DateFilter(field_name="close_date", lookup_expr="lte")
    amount_min = django_filters.NumberFilter(field_name="amount", lookup_expr="gte")
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte")
    created_after = django_filters.DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.DateTimeFilter(field_name="created_at", lookup_expr="lt")
    stalled = django_filters.BooleanFilter(
        method="filter_stalled",
        label="Stalled: open and longer in its stage than the stage's expected duration",
    )

    class Meta:
        model = Opportunity
        fields = [
            "pipeline",
            "stage",
            "owner",
            "account",
            "forecast_category",
            "source",
            "external_id",
        ]

    def filter_stalled(self, queryset, name, value):
        stalled = stalled_condition(timezone.now())
        return queryset.filter(stalled) if value else queryset.exclude(stalled)
