"""API for the process matrix and its results, and for quotes and orders.

Set-up (admins and sales ops write, everyone reads): ``/milestones/``,
``/stage-tools/``, ``/follow-up-templates/``. Deal work (visibility of the deal
applies, invisible = 404): ``/opportunity-milestones/`` (tick, untick),
``/discount-approvals/`` (request, approve, reject), ``/quotes/`` (issue a
versioned PDF), ``/orders/`` (created by winning; status changes). Results:
``/pipelines/{id}/map/`` (action in ``api.py``) and ``/milestone-report/``.
"""

from __future__ import annotations

import datetime

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from pipewise.core.api import VisibleRelatedField
from pipewise.org.api import ConfigurationViewSet
from pipewise.pipeline.choices import DiscountApprovalStatus, OrderStatus
from pipewise.pipeline.models import (
    DiscountApproval,
    FollowUpTemplate,
    Milestone,
    OpportunityMilestone,
    Order,
    OrderLine,
    Pipeline,
    Quote,
    StageTool,
)
from pipewise.pipeline.permissions import (
    access_opportunity,
    can_use_orders,
    deal_records_visible_to,
    opportunity_visible_to,
)
from pipewise.pipeline.process import GROUPINGS, milestone_report
from pipewise.pipeline.selectors import discount_status
from pipewise.pipeline.services import (
    discount_approval_decide,
    discount_approval_request,
    opportunity_milestone_set,
    order_set_status,
    quote_create,
)

NOT_A_DATE = "Not a date: {value!r}; use YYYY-MM-DD."


def inline_choice_field(choices):
    """A choice field documented inline, so that its enum does not collide with other "status"
    enums in the schema's components."""

    @extend_schema_field({"type": "string", "enum": [value for value, _ in choices]})
    class InlineChoiceField(serializers.ChoiceField):
        pass

    return InlineChoiceField


PERIOD_BACKWARDS = "The period ends before it starts."


# --- set-up ---------------------------------------------------------------------------------------
class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["id", "stage", "name", "order"]


class StageToolSerializer(serializers.ModelSerializer):
    href = serializers.CharField(read_only=True)

    class Meta:
        model = StageTool
        fields = ["id", "stage", "title", "url", "file", "href"]

    def validate(self, attrs):
        url = attrs.get("url", getattr(self.instance, "url", ""))
        file = attrs.get("file", getattr(self.instance, "file", None))
        if bool(url) == bool(file):
            raise serializers.ValidationError("Give either a link (url) or a file.")
        return attrs


class FollowUpTemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = FollowUpTemplate
        fields = ["id", "stage", "title", "description", "due_in_days", "assignee_rule"]


class MilestoneViewSet(ConfigurationViewSet):
    """Checklist items of the stages (exit criteria)."""

    queryset = Milestone.objects.select_related("stage")
    serializer_class = MilestoneSerializer
    filterset_fields = ["stage", "stage__pipeline"]
    ordering_fields = ["id", "order"]


class StageToolViewSet(ConfigurationViewSet):
    """Collateral of the stages: links or uploaded files (multipart)."""

    queryset = StageTool.objects.all()
    serializer_class = StageToolSerializer
    filterset_fields = ["stage", "stage__pipeline"]
    ordering_fields = ["id"]


class FollowUpTemplateViewSet(ConfigurationViewSet):
    """Tasks created automatically when a deal enters a stage."""

    queryset = FollowUpTemplate.objects.all()
    serializer_class = FollowUpTemplateSerializer
    filterset_fields = ["stage", "stage__pipeline", "assignee_rule"]
    ordering_fields = ["id", "due_in_days"]


# --- milestones on deals --------------------------------------------------------------------------
class OpportunityMilestoneSerializer(serializers.ModelSerializer):
    opportunity = VisibleRelatedField(visible=opportunity_visible_to)
    milestone_name = serializers.CharField(source="milestone.name", read_only=True)
    reached_by_name = serializers.CharField(
        source="reached_by.__str__", read_only=True, allow_null=True
    )

    class Meta:
        model = OpportunityMilestone
        fields = [
            "id",
            "opportunity",
            "milestone",
            "milestone_name",
            "reached_at",
            "reached_by",
            "reached_by_name",
        ]
        read_only_fields = ["reached_at", "reached_by"]
        validators = []  # ticking twice keeps the first tick (the service decides)


class OpportunityMilestoneViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Milestones reached by deals: POST ticks one (who and when are recorded), DELETE unticks."""

    serializer_class = OpportunityMilestoneSerializer
    filterset_fields = ["opportunity", "milestone"]
    ordering_fields = ["id", "reached_at"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return OpportunityMilestone.objects.none()
        return deal_records_visible_to(self.request.user, OpportunityMilestone).select_related(
            "milestone", "reached_by"
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        opportunity = access_opportunity(self.request.user, data["opportunity"].pk, for_write=True)
        serializer.instance = opportunity_milestone_set(
            opportunity=opportunity, milestone=data["milestone"], by=self.request.user, reached=True
        )

    def perform_destroy(self, instance):
        opportunity = access_opportunity(self.request.user, instance.opportunity_id, for_write=True)
        opportunity_milestone_set(
            opportunity=opportunity,
            milestone=instance.milestone,
            by=self.request.user,
            reached=False,
        )


# --- discount approvals ---------------------------------------------------------------------------
class DiscountApprovalSerializer(serializers.ModelSerializer):
    opportunity = VisibleRelatedField(visible=opportunity_visible_to)
    opportunity_name = serializers.CharField(source="opportunity.name", read_only=True)
    comment = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text="Why the discount is needed."
    )
    status = inline_choice_field(DiscountApprovalStatus.choices)(
        choices=DiscountApprovalStatus.choices, read_only=True
    )

    class Meta:
        model = DiscountApproval
        fields = [
            "id",
            "opportunity",
            "opportunity_name",
            "discount_percent",
            "threshold_percent",
            "status",
            "requested_by",
            "requested_at",
            "request_comment",
            "decided_by",
            "decided_at",
            "decision_comment",
            "comment",
        ]
        read_only_fields = [f for f in fields if f not in ("opportunity", "comment")]


class DecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class DiscountStatusSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["not_needed", "approved", "pending", "rejected", "required"]
    )
    threshold = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    max_discount = serializers.DecimalField(max_digits=5, decimal_places=2)


class DiscountApprovalViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Requests to allow a discount above the price list's threshold.

    POST asks for the deal's largest discount (the deal's writers may ask);
    ``approve``/``reject`` are for managers above the deal's owner only (403 for
    others who see the deal; 404 for those who do not). ``?pending=1`` lists
    only the open requests.
    """

    serializer_class = DiscountApprovalSerializer
    filterset_fields = ["opportunity", "status"]
    ordering_fields = ["id", "requested_at"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DiscountApproval.objects.none()
        return deal_records_visible_to(self.request.user, DiscountApproval).select_related(
            "opportunity"
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        opportunity = access_opportunity(self.request.user, data["opportunity"].pk, for_write=True)
        serializer.instance = discount_approval_request(
            opportunity=opportunity, by=self.request.user, comment=data.get("comment", "")
        )

    def _decide(self, request, approve: bool):
        approval = self.get_object()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decided = discount_approval_decide(
            approval=approval,
            by=request.user,
            approve=approve,
            comment=data.validated_data["comment"],
        )
        return Response(self.get_serializer(decided).data)

    @extend_schema(request=DecisionSerializer, responses=DiscountApprovalSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve the discount (a manager above the deal's owner)."""
        return self._decide(request, approve=True)

    @extend_schema(request=DecisionSerializer, responses=DiscountApprovalSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject the discount; a comment saying why is required."""
        return self._decide(request, approve=False)

    @extend_schema(
        parameters=[OpenApiParameter("opportunity", OpenApiTypes.INT, required=True)],
        responses=DiscountStatusSerializer,
    )
    @action(detail=False, methods=["get"], url_path="status")
    def discount_state(self, request):
        """Whether a deal's discounts need approval and where that stands."""
        pk = request.query_params.get("opportunity", "")
        if not pk.isdigit():
            raise ApiValidationError({"opportunity": "Give the deal's id."})
        opportunity = access_opportunity(request.user, int(pk))
        return Response(DiscountStatusSerializer(discount_status(opportunity)).data)


# --- quotes and orders ----------------------------------------------------------------------------
class QuoteSerializer(serializers.ModelSerializer):
    opportunity = VisibleRelatedField(visible=opportunity_visible_to)
    number = serializers.CharField(read_only=True)
    valid_days = serializers.IntegerField(
        write_only=True, required=False, min_value=1, max_value=365, default=30
    )

    class Meta:
        model = Quote
        fields = [
            "id",
            "number",
            "opportunity",
            "version",
            "created_by",
            "created_at",
            "valid_until",
            "amount",
            "currency",
            "lines",
            "valid_days",
        ]
        read_only_fields = [
            "version",
            "created_by",
            "created_at",
            "valid_until",
            "amount",
            "currency",
            "lines",
        ]


class QuoteViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Quote documents: POST issues the next version from the deal's line items (``pdf``: file)."""

    serializer_class = QuoteSerializer
    filterset_fields = ["opportunity"]
    ordering_fields = ["id", "version", "created_at"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Quote.objects.none()
        return deal_records_visible_to(self.request.user, Quote)

    def perform_create(self, serializer):
        data = serializer.validated_data
        opportunity = access_opportunity(self.request.user, data["opportunity"].pk, for_write=True)
        serializer.instance = quote_create(
            opportunity=opportunity, by=self.request.user, valid_days=data["valid_days"]
        )

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        """The quote as a PDF file."""
        quote = self.get_object()
        return FileResponse(
            quote.pdf.open("rb"), content_type="application/pdf", filename=f"{quote.number}.pdf"
        )


class OrderLineSerializer(serializers.ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "product",
            "product_name",
            "quantity",
            "unit_price",
            "discount_percent",
            "total",
        ]


class OrderSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    opportunity_name = serializers.CharField(source="opportunity.name", read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)
    status = inline_choice_field(OrderStatus.choices)(choices=OrderStatus.choices, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "opportunity",
            "opportunity_name",
            "status",
            "amount",
            "gross_amount",
            "currency",
            "created_at",
            "status_changed_at",
            "lines",
        ]
        read_only_fields = fields


@extend_schema_field({"type": "string", "description": f"One of: {', '.join(OrderStatus.values)}."})
class OrderStatusChoiceField(serializers.ChoiceField):
    """Documented as a string, so the schema has one order-status enum (that of ``Order``)."""


class OrderStatusSerializer(serializers.Serializer):
    status = OrderStatusChoiceField(choices=OrderStatus.choices)


class OrderViewSet(viewsets.ReadOnlyModelViewSet):
    """Orders made by winning deals (one per deal); ``status`` moves them along."""

    serializer_class = OrderSerializer
    filterset_fields = ["status", "opportunity"]
    ordering_fields = ["id", "created_at", "amount"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False) or not can_use_orders(self.request.user):
            return Order.objects.none()
        return (
            deal_records_visible_to(self.request.user, Order)
            .select_related("opportunity")
            .prefetch_related("lines__product")
        )

    @extend_schema(request=OrderStatusSerializer, responses=OrderSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        """Change the order's status (the deal's writers)."""
        order = self.get_object()
        access_opportunity(request.user, order.opportunity_id, for_write=True)
        data = OrderStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changed = order_set_status(
            order=order, by=request.user, status=data.validated_data["status"]
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=changed.pk)).data)


# --- results: process map and milestone report ----------------------------------------------------
class StageFiguresSerializer(serializers.Serializer):
    stage = serializers.IntegerField(source="stage.pk")
    name = serializers.CharField(source="stage.name")
    kind = serializers.CharField(source="stage.kind")
    order = serializers.IntegerField(source="stage.order")
    goal = serializers.CharField(source="stage.goal")
    expected_days = serializers.IntegerField(source="stage.expected_days", allow_null=True)
    probability = serializers.IntegerField(source="stage.probability")
    milestones = serializers.SerializerMethodField()
    entered = serializers.IntegerField(help_text="Deals that entered the stage.")
    converted = serializers.IntegerField(help_text="Of those, deals that reached a later stage.")
    conversion = serializers.DecimalField(
        max_digits=5, decimal_places=1, allow_null=True, help_text="converted ÷ entered, in %."
    )
    average_days = serializers.DecimalField(
        max_digits=10, decimal_places=1, allow_null=True, help_text="Mean finished stay."
    )
    count = serializers.IntegerField(help_text="Deals in the stage now.")
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)

    def get_milestones(self, figures) -> list[str]:
        return [m.name for m in figures.milestones]


class ProcessMapSerializer(serializers.Serializer):
    pipeline = serializers.IntegerField(source="pipeline.pk")
    name = serializers.CharField(source="pipeline.name")
    criteria_mode = serializers.CharField(source="pipeline.criteria_mode")
    stages = StageFiguresSerializer(many=True)


class MilestoneReportRowSerializer(serializers.Serializer):
    milestone = serializers.IntegerField(source="milestone.pk")
    milestone_name = serializers.CharField(source="milestone.name")
    stage = serializers.CharField(source="milestone.stage.name")
    pipeline = serializers.CharField(source="milestone.stage.pipeline.name")
    group = serializers.CharField()
    group_id = serializers.IntegerField(allow_null=True)
    current = serializers.IntegerField()
    previous = serializers.IntegerField()
    change = serializers.IntegerField()


class MilestoneReportSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    previous_start = serializers.DateField()
    previous_end = serializers.DateField()
    group_by = serializers.CharField(allow_null=True)
    rows = MilestoneReportRowSerializer(many=True)


def report_period(params) -> tuple[datetime.date, datetime.date]:
    """``from``/``to`` (YYYY-MM-DD); default: the last 30 days up to today."""
    end = timezone.localdate()
    start = end - datetime.timedelta(days=29)
    values = {}
    for name, default in (("from", start), ("to", end)):
        raw = params.get(name, "")
        value = parse_date(raw) if raw else default
        if value is None:
            raise ApiValidationError({name: NOT_A_DATE.format(value=raw)})
        values[name] = value
    if values["to"] < values["from"]:
        raise ApiValidationError({"to": PERIOD_BACKWARDS})
    return values["from"], values["to"]


class MilestoneReportViewSet(viewsets.GenericViewSet):
    """How many deals reached each milestone this period vs. the period before."""

    serializer_class = MilestoneReportSerializer
    queryset = OpportunityMilestone.objects.none()  # for the schema; the report reads its own

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE),
            OpenApiParameter("to", OpenApiTypes.DATE),
            OpenApiParameter("pipeline", OpenApiTypes.INT),
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=list(GROUPINGS)),
        ],
        responses=MilestoneReportSerializer,
    )
    def list(self, request):
        start, end = report_period(request.query_params)
        pipeline = None
        raw = request.query_params.get("pipeline", "")
        if raw:
            pipeline = get_object_or_404(Pipeline, pk=raw) if raw.isdigit() else None
            if pipeline is None:
                raise ApiValidationError({"pipeline": "Give a pipeline id."})
        group_by = request.query_params.get("group_by") or None
        if group_by is not None and group_by not in GROUPINGS:
            raise ApiValidationError({"group_by": f"Choose one of: {', '.join(GROUPINGS)}."})
        report = milestone_report(
            user=request.user, start=start, end=end, pipeline=pipeline, group_by=group_by
        )
        return Response(MilestoneReportSerializer(report).data, status=status.HTTP_200_OK)
