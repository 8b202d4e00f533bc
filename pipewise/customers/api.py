"""API for accounts and contacts: thin adapters over services and visibility rules."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from pipewise.core.api import RecordViewSet, VisibleRelatedField
from pipewise.customers.filters import AccountFilter, ContactFilter
from pipewise.customers.models import Account, Contact
from pipewise.customers.permissions import (
    access_account,
    access_contact,
    account_visible_to,
    contact_visible_to,
)
from pipewise.customers.services import (
    account_create,
    account_update,
    contact_create,
    contact_update,
)


class AccountSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(
        required=False, help_text="The version you read; a stale one answers 409 Conflict."
    )
    owner_name = serializers.CharField(source="owner.__str__", read_only=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "external_id",
            "name",
            "domain",
            "industry",
            "employees",
            "annual_revenue",
            "street",
            "city",
            "postcode",
            "country",
            "territory",
            "segment",
            "type",
            "owner",
            "owner_name",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"owner": {"required": False}}


class AccountViewSet(RecordViewSet, viewsets.ModelViewSet):
    """Companies we sell to. Visible: own and reports', plus the user's territories."""

    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    search_fields = ["name", "domain"]
    ordering_fields = ["id", "name", "created_at"]
    visible = account_visible_to
    access = access_account
    create_service = account_create
    update_service = account_update
    record_argument = "account"

    def get_queryset(self):
        return super().get_queryset().prefetch_related("owner")


class ContactSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(required=False)
    account = VisibleRelatedField(visible=account_visible_to)
    account_name = serializers.CharField(source="account.name", read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "external_id",
            "account",
            "account_name",
            "first_name",
            "last_name",
            "email",
            "phone",
            "title",
            "buying_role",
            "owner",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"owner": {"required": False}}


class ContactViewSet(RecordViewSet, viewsets.ModelViewSet):
    """People at accounts. Visible when their owner or their account is."""

    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    search_fields = ["first_name", "last_name", "email"]
    ordering_fields = ["id", "last_name", "created_at"]
    visible = contact_visible_to
    access = access_contact
    create_service = contact_create
    update_service = contact_update
    record_argument = "contact"

    def get_queryset(self):
        return super().get_queryset().select_related("account")
