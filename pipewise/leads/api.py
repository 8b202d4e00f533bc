"""API for leads: CRUD, status changes, duplicates and conversion."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from pipewise.core.api import RecordViewSet, VisibleRelatedField
from pipewise.customers.api import AccountSerializer, ContactSerializer
from pipewise.customers.permissions import account_visible_to, contact_visible_to
from pipewise.leads.choices import LeadStatus
from pipewise.leads.filters import LeadFilter
from pipewise.leads.models import Lead
from pipewise.leads.permissions import access_lead, conversion_landing, lead_visible_to
from pipewise.leads.selectors import lead_duplicates
from pipewise.leads.services import lead_change_status, lead_convert, lead_create, lead_update
from pipewise.org.models import User
from pipewise.pipeline.models import Pipeline


class LeadSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(required=False)
    account = VisibleRelatedField(visible=account_visible_to, required=False, allow_null=True)
    contact = VisibleRelatedField(visible=contact_visible_to, required=False, allow_null=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "external_id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "company",
            "title",
            "industry",
            "country",
            "territory",
            "source",
            "campaign",
            "rating",
            "status",
            "disqualification_reason",
            "owner",
            "score",
            "account",
            "contact",
            "converted_at",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = [
            "status",
            "disqualification_reason",
            "converted_at",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "owner": {"required": False},
            "score": {"min_value": 0, "max_value": 100},
        }


class LeadStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[s for s in LeadStatus.choices if s[0] != LeadStatus.CONVERTED]
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, help_text="Required when disqualifying."
    )
    version = serializers.IntegerField(required=False)


class LeadConvertSerializer(serializers.Serializer):
    account = VisibleRelatedField(
        visible=account_visible_to,
        required=False,
        allow_null=True,
        help_text="Link to this existing account instead of creating one.",
    )
    contact = VisibleRelatedField(
        visible=contact_visible_to,
        required=False,
        allow_null=True,
        help_text="Link to this existing contact instead of creating one.",
    )
    create_opportunity = serializers.BooleanField(default=True)
    opportunity_name = serializers.CharField(required=False, allow_blank=True, default="")
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, min_value=0)
    close_date = serializers.DateField(required=False)
    pipeline = serializers.PrimaryKeyRelatedField(
        queryset=Pipeline.objects.filter(active=True), required=False, allow_null=True
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    version = serializers.IntegerField(required=False)


class LandingSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["opportunity", "account", "contact", "lead"])
    id = serializers.IntegerField()


class ConversionSerializer(serializers.Serializer):
    """What the lead became. ``account`` and ``contact`` are given in full when the caller may
    see them (null otherwise: an SDR converting for an account executive); ``landing`` is the
    first record of the conversion the caller may open."""

    lead = LeadSerializer()
    account = serializers.SerializerMethodField()
    contact = serializers.SerializerMethodField()
    account_id = serializers.IntegerField(source="account.pk")
    contact_id = serializers.IntegerField(source="contact.pk")
    opportunity = serializers.SerializerMethodField()
    account_created = serializers.BooleanField()
    contact_created = serializers.BooleanField()
    owner = serializers.IntegerField(source="owner.pk", help_text="Who owns the new records.")
    owner_name = serializers.CharField(source="owner.__str__")
    activities_carried = serializers.IntegerField(
        help_text="The lead's activities now linked to the contact, account and deal."
    )
    landing = serializers.SerializerMethodField()

    def _user(self):
        return self.context["request"].user

    @extend_schema_field(AccountSerializer(allow_null=True))
    def get_account(self, conversion):
        if not account_visible_to(self._user()).filter(pk=conversion.account.pk).exists():
            return None
        return AccountSerializer(conversion.account, context=self.context).data

    @extend_schema_field(ContactSerializer(allow_null=True))
    def get_contact(self, conversion):
        if not contact_visible_to(self._user()).filter(pk=conversion.contact.pk).exists():
            return None
        return ContactSerializer(conversion.contact, context=self.context).data

    def get_opportunity(self, conversion) -> int | None:
        return conversion.opportunity.pk if conversion.opportunity else None

    @extend_schema_field(LandingSerializer)
    def get_landing(self, conversion) -> dict:
        kind, pk = conversion_landing(
            self._user(),
            lead=conversion.lead,
            opportunity=conversion.opportunity,
            account=conversion.account,
            contact=conversion.contact,
        )
        return {"type": kind, "id": pk}


class DuplicatesSerializer(serializers.Serializer):
    accounts = AccountSerializer(many=True)
    contacts = ContactSerializer(many=True)
    leads = LeadSerializer(many=True)


class LeadViewSet(RecordViewSet, viewsets.ModelViewSet):
    """Prospects, rated cold / warm / hot. Marketing and admins see all; others their own."""

    serializer_class = LeadSerializer
    filterset_class = LeadFilter
    search_fields = ["first_name", "last_name", "email", "company"]
    ordering_fields = ["id", "created_at", "last_name", "company", "score"]
    visible = lead_visible_to
    access = access_lead
    create_service = lead_create
    update_service = lead_update
    record_argument = "lead"

    @extend_schema(request=LeadStatusSerializer, responses=LeadSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request, pk=None):
        """Work, qualify, disqualify (reason required) or reopen a lead."""
        lead = access_lead(request.user, pk, for_write=True)
        data = LeadStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = lead_change_status(
            lead=lead,
            by=request.user,
            to_status=data.validated_data["status"],
            reason=data.validated_data.get("reason", ""),
            expected_version=data.validated_data.get("version"),
        )
        return Response(LeadSerializer(lead, context=self.get_serializer_context()).data)

    @extend_schema(responses=DuplicatesSerializer)
    @action(detail=True, methods=["get"])
    def duplicates(self, request, pk=None):
        """Likely duplicates (same email, email domain or company) among visible records."""
        lead = get_object_or_404(lead_visible_to(request.user), pk=pk)
        found = lead_duplicates(
            lead,
            accounts=account_visible_to(request.user),
            contacts=contact_visible_to(request.user),
            leads=lead_visible_to(request.user),
        )
        context = self.get_serializer_context()
        return Response(DuplicatesSerializer(found, context=context).data)

    @extend_schema(request=LeadConvertSerializer, responses={201: ConversionSerializer})
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None):
        """Convert the lead into an account, a contact and (optionally) an opportunity."""
        lead = access_lead(request.user, pk, for_write=True)
        data = LeadConvertSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        conversion = lead_convert(
            lead=lead, by=request.user, expected_version=values.pop("version", None), **values
        )
        return Response(
            ConversionSerializer(conversion, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )
