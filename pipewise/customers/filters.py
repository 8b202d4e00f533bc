"""One filter set per list, shared by the web pages and the API."""

import django_filters

from pipewise.core.filters import FilterSet
from pipewise.customers.models import Account, Contact


class AccountFilter(FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    created_after = django_filters.DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.DateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Account
        fields = ["type", "territory", "segment", "owner", "industry", "country", "external_id"]


class ContactFilter(FilterSet):
    email = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Contact
        fields = ["account", "owner", "buying_role", "external_id"]
