"""One filter set for the lead list, shared by the web page and the API."""

import django_filters

from pipewise.core.filters import FilterSet, StatusFilter
from pipewise.leads.choices import OPEN_LEAD_STATUSES, LeadStatus
from pipewise.leads.models import Lead


class LeadFilter(FilterSet):
    # Every other filter (rating "Hot" among them) narrows the open leads unless status asks.
    status = StatusFilter(
        choices=LeadStatus.choices,
        open_statuses=OPEN_LEAD_STATUSES,
        open_label="Open (new, working, qualified)",
    )
    company = django_filters.CharFilter(lookup_expr="icontains")
    created_after = django_filters.DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.DateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Lead
        fields = ["rating", "source", "owner", "territory", "campaign", "external_id"]
