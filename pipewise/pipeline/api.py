"""API for sales processes (with their process matrix), stages and opportunities (with line
items and stage moves). Quotes, orders, approvals and milestones: ``api_matrix.py``."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from pipewise.catalog.models import Product
from pipewise.core.api import RecordViewSet, VisibleRelatedField
from pipewise.customers.permissions import account_visible_to, contact_visible_to
from pipewise.leads.permissions import lead_visible_to
from pipewise.org.api import ConfigurationViewSet
from pipewise.pipeline.api_matrix import (
    FollowUpTemplateSerializer,
    MilestoneSerializer,
    ProcessMapSerializer,
    StageToolSerializer,
)
from pipewise.pipeline.choices import REQUIRABLE_FIELDS
from pipewise.pipeline.filters import OpportunityFilter
from pipewise.pipeline.models import LineItem, Opportunity, Pipeline, Stage, StageChange
from pipewise.pipeline.permissions import access_opportunity, opportunity_visible_to
from pipewise.pipeline.process import process_map
from pipewise.pipeline.selectors import opportunity_list
from pipewise.pipeline.services import (
    opportunity_close_lost,
    opportunity_close_won,
    opportunity_create,
    opportunity_delete,
    opportunity_move_interactive,
    opportunity_reopen,
    opportunity_restore,
    opportunity_set_line_items,
    opportunity_update,
)


class StageSerializer(serializers.ModelSerializer):
    """A stage with its process matrix: goal, exit criteria, tools, duration, follow-ups."""

    required_fields = serializers.ListField(
        child=serializers.ChoiceField(choices=list(REQUIRABLE_FIELDS.items())),
        required=False,
        help_text="Exit criteria: deal fields that must be filled before the deal moves on.",
    )
    milestones = MilestoneSerializer(many=True, read_only=True)
    tools = StageToolSerializer(many=True, read_only=True)
    follow_ups = FollowUpTemplateSerializer(many=True, read_only=True)

    class Meta:
        model = Stage
        fields = [
            "id",
            "pipeline",
            "name",
            "order",
            "probability",
            "kind",
            "expected_days",
            "goal",
            "required_fields",
            "talk_track",
            "milestones",
            "tools",
            "follow_ups",
        ]


class PipelineSerializer(serializers.ModelSerializer):
    stages = StageSerializer(many=True, read_only=True)

    class Meta:
        model = Pipeline
        fields = ["id", "name", "description", "is_default", "active", "criteria_mode", "stages"]


STAGE_MATRIX = ("stages__milestones", "stages__tools", "stages__follow_ups")


class PipelineViewSet(ConfigurationViewSet):
    """Sales processes and their ordered stages."""

    queryset = Pipeline.objects.prefetch_related("stages", *STAGE_MATRIX)
    serializer_class = PipelineSerializer
    search_fields = ["name"]
    ordering_fields = ["id", "name"]

    @extend_schema(responses=ProcessMapSerializer)
    @action(detail=True, methods=["get"], url_path="map")
    def process_map(self, request, pk=None):
        """The process map: per stage, conversion, average days, deals now (visible deals)."""
        figures = process_map(pipeline=self.get_object(), user=request.user)
        return Response(ProcessMapSerializer(figures).data)


class StageViewSet(ConfigurationViewSet):
    """The stages of the sales processes (order, probability, open/won/lost)."""

    queryset = Stage.objects.prefetch_related("milestones", "tools", "follow_ups")
    serializer_class = StageSerializer
    filterset_fields = ["pipeline", "kind"]
    ordering_fields = ["id", "order"]


class LineItemSerializer(serializers.ModelSerializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.filter(active=True))
    unit_price = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text="Defaults to the product's list price.",
    )
    total = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta:
        model = LineItem
        fields = ["id", "product", "quantity", "unit_price", "discount_percent", "total"]


class OpportunityListSerializer(serializers.ModelSerializer):
    """What an opportunity list shows: lean, so a page of 500 stays cheap."""

    account_name = serializers.CharField(source="account.name", read_only=True)
    owner_name = serializers.CharField(source="owner.__str__", read_only=True)
    stage_name = serializers.CharField(source="stage.name", read_only=True)
    probability = serializers.IntegerField(source="stage.probability", read_only=True)
    weighted_amount = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "external_id",
            "name",
            "account",
            "account_name",
            "owner",
            "owner_name",
            "pipeline",
            "stage",
            "stage_name",
            "status",
            "probability",
            "amount",
            "weighted_amount",
            "close_date",
            "forecast_category",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields


class OpportunitySerializer(OpportunityListSerializer):
    """One opportunity in full, with its line items; also the write format."""

    version = serializers.IntegerField(required=False)
    account = VisibleRelatedField(visible=account_visible_to)
    contact = VisibleRelatedField(visible=contact_visible_to, required=False, allow_null=True)
    lead = VisibleRelatedField(visible=lead_visible_to, required=False, allow_null=True)
    line_items = LineItemSerializer(many=True, required=False)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "external_id",
            "name",
            "account",
            "account_name",
            "contact",
            "lead",
            "owner",
            "owner_name",
            "pipeline",
            "stage",
            "stage_name",
            "status",
            "probability",
            "amount",
            "weighted_amount",
            "close_date",
            "forecast_category",
            "source",
            "lost_reason",
            "competitor",
            "stage_entered_at",
            "closed_at",
            "created_at",
            "updated_at",
            "version",
            "line_items",
        ]
        read_only_fields = [
            "status",
            "lost_reason",
            "stage_entered_at",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "owner": {"required": False},
            "pipeline": {"required": False},
            "stage": {"required": False},
            "amount": {"required": False, "min_value": 0},
        }

    def validate(self, attrs):
        if self.instance is not None:
            for name in ("pipeline", "stage"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    raise serializers.ValidationError(
                        {name: "Use the move, win or lose actions to change the stage."}
                    )
                attrs.pop(name, None)
        return attrs


class MovedSerializer(OpportunitySerializer):
    """The moved deal, with the exit criteria it did not meet (recorded on the stage history)."""

    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(OpportunitySerializer.Meta):
        fields = [*OpportunitySerializer.Meta.fields, "warnings"]


class MoveSerializer(serializers.Serializer):
    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.all())
    lost_reason = serializers.CharField(required=False, allow_blank=True, default="")
    confirm = serializers.BooleanField(
        default=False, help_text="Moving into Won: as ``confirm`` of the win action."
    )
    version = serializers.IntegerField(required=False)


CLOSE_OPEN_TASKS_HELP = (
    "Cancel the deal's open tasks, with a note (the after-sales tasks a win creates stay)."
)


class WinSerializer(serializers.Serializer):
    confirm = serializers.BooleanField(
        default=False,
        help_text="Win even though stages are skipped or exit criteria unmet "
        "(without it such a win is refused with 400, naming them).",
    )
    close_open_tasks = serializers.BooleanField(default=True, help_text=CLOSE_OPEN_TASKS_HELP)
    version = serializers.IntegerField(required=False)


class LoseSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the deal was lost.")
    competitor = serializers.CharField(required=False, allow_blank=True)
    close_open_tasks = serializers.BooleanField(default=True, help_text=CLOSE_OPEN_TASKS_HELP)
    version = serializers.IntegerField(required=False)


class ReopenSerializer(serializers.Serializer):
    stage = serializers.PrimaryKeyRelatedField(
        queryset=Stage.objects.all(),
        required=False,
        allow_null=True,
        help_text="The open stage to reopen into (default: the one the deal closed from).",
    )
    version = serializers.IntegerField(required=False)


class ClosedSerializer(OpportunitySerializer):
    """The won or lost deal, with how many of its open tasks were cancelled."""

    tasks_closed = serializers.IntegerField(read_only=True)

    class Meta(OpportunitySerializer.Meta):
        fields = [*OpportunitySerializer.Meta.fields, "tasks_closed"]


class ReopenedSerializer(ClosedSerializer):
    """The reopened deal: tasks the win had created that were cancelled, the order cancelled."""

    order_cancelled = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta(ClosedSerializer.Meta):
        fields = [*ClosedSerializer.Meta.fields, "order_cancelled"]


class StageChangeSerializer(serializers.ModelSerializer):
    from_stage_name = serializers.CharField(
        source="from_stage.name", read_only=True, allow_null=True
    )
    to_stage_name = serializers.CharField(source="to_stage.name", read_only=True)
    changed_by_name = serializers.CharField(
        source="changed_by.__str__", read_only=True, allow_null=True
    )

    class Meta:
        model = StageChange
        fields = [
            "id",
            "from_stage",
            "from_stage_name",
            "to_stage",
            "to_stage_name",
            "changed_by",
            "changed_by_name",
            "changed_at",
            "amount",
        ]


class OpportunityViewSet(RecordViewSet, viewsets.ModelViewSet):
    """Deals. Visible to their owner, everyone above the owner, admin, sales ops, executives."""

    serializer_class = OpportunitySerializer
    filterset_class = OpportunityFilter
    search_fields = ["name", "account__name"]
    ordering_fields = ["id", "close_date", "amount", "created_at"]
    visible = opportunity_visible_to
    access = access_opportunity
    update_service = opportunity_update
    delete_service = opportunity_delete
    restore_service = opportunity_restore
    record_argument = "opportunity"

    def get_queryset(self):
        opportunities = opportunity_list(super().get_queryset())
        if self.action == "list":
            return opportunities
        return opportunities.prefetch_related(
            Prefetch("line_items", queryset=LineItem.objects.order_by("id"))
        )

    def get_serializer_class(self):
        return OpportunityListSerializer if self.action == "list" else OpportunitySerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        items = data.pop("line_items", None)
        opportunity = opportunity_create(by=self.request.user, **data)
        if items:
            opportunity = opportunity_set_line_items(
                opportunity=opportunity, by=self.request.user, items=items
            )
        serializer.instance = opportunity

    def perform_update(self, serializer):
        record = access_opportunity(self.request.user, serializer.instance.pk, for_write=True)
        data = dict(serializer.validated_data)
        expected_version = data.pop("version", None)
        items = data.pop("line_items", None)
        opportunity = record
        if data:
            opportunity = opportunity_update(
                opportunity=record, by=self.request.user, expected_version=expected_version, **data
            )
            expected_version = None
        if items is not None:
            opportunity = opportunity_set_line_items(
                opportunity=opportunity,
                by=self.request.user,
                items=items,
                expected_version=expected_version,
            )
        serializer.instance = opportunity_list(Opportunity.objects).get(pk=opportunity.pk)

    def _respond(self, opportunity):
        fresh = self.get_queryset().get(pk=opportunity.pk)
        return Response(self.get_serializer(fresh).data)

    @extend_schema(request=MoveSerializer, responses=MovedSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the deal to another stage of its process (writes a stage-history row).

        Unmet exit criteria refuse the move (400) when the process blocks, else
        come back in ``warnings``. Into Won it is a win (``confirm`` as for ``win``);
        a closed deal moved into an open stage is reopened (as ``reopen``).
        """
        opportunity = access_opportunity(request.user, pk, for_write=True)
        data = MoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        moved = opportunity_move_interactive(
            opportunity=opportunity,
            by=request.user,
            to_stage=data.validated_data["stage"],
            lost_reason=data.validated_data["lost_reason"],
            expected_version=data.validated_data.get("version"),
            confirmed=data.validated_data["confirm"],
        )
        response = self._respond(moved)
        response.data["warnings"] = moved.stage_change.warnings.splitlines()
        return response

    @extend_schema(request=WinSerializer, responses=ClosedSerializer)
    @action(detail=True, methods=["post"])
    def win(self, request, pk=None):
        """Close the deal as won.

        A win that skips stages or leaves exit criteria unmet answers 400 (``confirm``
        names them) unless ``confirm`` is true. Open tasks are cancelled unless
        ``close_open_tasks`` is false.
        """
        opportunity = access_opportunity(request.user, pk, for_write=True)
        data = WinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        won = opportunity_close_won(
            opportunity=opportunity,
            by=request.user,
            expected_version=data.validated_data.get("version"),
            confirmed=data.validated_data["confirm"],
            close_open_tasks=data.validated_data["close_open_tasks"],
        )
        response = self._respond(won)
        response.data["tasks_closed"] = won.tasks_closed
        return response

    @extend_schema(request=LoseSerializer, responses=ClosedSerializer)
    @action(detail=True, methods=["post"])
    def lose(self, request, pk=None):
        """Close the deal as lost; a reason is required. Open tasks are cancelled unless
        ``close_open_tasks`` is false."""
        opportunity = access_opportunity(request.user, pk, for_write=True)
        data = LoseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lost = opportunity_close_lost(
            opportunity=opportunity,
            by=request.user,
            reason=data.validated_data["reason"],
            competitor=data.validated_data.get("competitor"),
            expected_version=data.validated_data.get("version"),
            close_open_tasks=data.validated_data["close_open_tasks"],
        )
        response = self._respond(lost)
        response.data["tasks_closed"] = lost.tasks_closed
        return response

    @extend_schema(request=ReopenSerializer, responses=ReopenedSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Undo a win or a loss: the owner within the grace period, managers above at any time.

        The order the win created is cancelled (a delivered or invoiced one refuses the
        reopen with 400); open tasks created since closing are cancelled.
        """
        opportunity = access_opportunity(request.user, pk, for_write=True)
        data = ReopenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reopened = opportunity_reopen(
            opportunity=opportunity,
            by=request.user,
            to_stage=data.validated_data.get("stage"),
            expected_version=data.validated_data.get("version"),
        )
        response = self._respond(reopened)
        response.data["tasks_closed"] = reopened.tasks_closed
        order = reopened.order_cancelled
        response.data["order_cancelled"] = order.pk if order else None
        return response

    @extend_schema(responses=StageChangeSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="stage-history", pagination_class=None)
    def stage_history(self, request, pk=None):
        """Every stage this deal went through: who moved it, when, and the amount then."""
        opportunity = self.get_object()
        rows = opportunity.stage_changes.select_related("from_stage", "to_stage", "changed_by")
        return Response(StageChangeSerializer(rows, many=True).data)
