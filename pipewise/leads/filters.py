"""One filter set for the lead list, shared by the web page and the API."""

import django_filters

from pipewise.core.filters import FilterSet
from pipewise.leads.models import Lead


class LeadFilter(FilterSet):
    company = django_filters.CharFilter(lookup_expr="icontains")
    created_after = django_filters.DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.DateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Lead
        fields = ["status", "rating", "source", "owner", "territory", "campaign", "external_id"]
