"""API for sales planning: targets (with split, allocation, roll-up, standing and the
growth check), attainment reports, seasonality profiles, ramps and sales plans."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from pipewise.activities.api import TaskSerializer
from pipewise.core.api import RecordViewSet, VisibleRelatedField
from pipewise.customers.permissions import account_visible_to
from pipewise.org.models import ProductLine, Segment, Team, Territory, User
from pipewise.planning import services
from pipewise.planning.actuals import standings
from pipewise.planning.choices import (
    CHANNEL_CHOICES,
    AllocationMethod,
    Dimension,
    Metric,
    PeriodKind,
)
from pipewise.planning.filters import SalesPlanFilter, TargetFilter
from pipewise.planning.models import Initiative, Ramp, SalesPlan, SeasonalityProfile, Target
from pipewise.planning.periods import fiscal_year
from pipewise.planning.permissions import (
    access_plan,
    access_profile,
    access_target,
    plan_visible_to,
    profile_visible_to,
    ramps_visible_to,
    require_planner,
    target_visible_to,
)
from pipewise.planning.selectors import (
    MEMBER_RELATIONS,
    attainment_report,
    growth_flags,
    plan_progress,
    profile_shape,
    target_rollups,
    with_members,
)


class TargetSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(required=False)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0)
    member_label = serializers.CharField(read_only=True)
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Target
        fields = [
            "id",
            "external_id",
            "metric",
            "period_kind",
            "period_start",
            "period_end",
            "amount",
            "user",
            "team",
            "territory",
            "product_line",
            "segment",
            "account",
            "channel",
            "member_label",
            "note",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["period_end", "created_at", "updated_at", "external_id"]


class TargetChangeSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0, required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)
    version = serializers.IntegerField(required=False)


class StandingSerializer(serializers.Serializer):
    target = serializers.IntegerField(source="target.pk")
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    actual = serializers.DecimalField(max_digits=18, decimal_places=2)
    attainment = serializers.DecimalField(
        max_digits=12, decimal_places=1, allow_null=True, help_text="Percent of the target."
    )
    gap = serializers.DecimalField(max_digits=18, decimal_places=2)
    variance = serializers.DecimalField(
        max_digits=18, decimal_places=2, help_text="Actual − target."
    )
    projection = serializers.DecimalField(
        max_digits=18, decimal_places=2, allow_null=True, help_text="Run rate to period end."
    )


class RollupSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="months, members or territories")
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, source="target.amount")
    children_total = serializers.DecimalField(max_digits=18, decimal_places=2)
    difference = serializers.DecimalField(
        max_digits=18, decimal_places=2, help_text="Bottom-up − top-down."
    )
    children = TargetSerializer(many=True)


class SplitSerializer(serializers.Serializer):
    profile = serializers.PrimaryKeyRelatedField(
        queryset=SeasonalityProfile.objects.all(),
        required=False,
        allow_null=True,
        help_text="Default: the members' profile, else the company profile.",
    )


class AllocateSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=AllocationMethod.choices)
    weights = serializers.DictField(
        child=serializers.DecimalField(max_digits=12, decimal_places=4, min_value=0),
        required=False,
        help_text="User id → weight (method 'weights').",
    )


class GrowthFlagSerializer(serializers.Serializer):
    target = TargetSerializer()
    reason = serializers.CharField()


class TargetViewSet(RecordViewSet, viewsets.ModelViewSet):
    """Quotas: a metric × member(s) × fiscal period × amount. Only amount and note change
    after creation; split, allocate, roll-up and standing act on one target."""

    serializer_class = TargetSerializer
    filterset_class = TargetFilter
    ordering_fields = ["id", "period_start", "amount"]
    visible = target_visible_to
    access = access_target

    def get_queryset(self):
        return with_members(super().get_queryset())

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        serializer.instance = services.target_create(by=self.request.user, **data)

    @extend_schema(request=TargetChangeSerializer, responses=TargetSerializer)
    def update(self, request, *args, **kwargs):
        target = access_target(request.user, kwargs["pk"], for_write=True)
        data = TargetChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        target = services.target_update(
            target=target,
            by=request.user,
            expected_version=values.pop("version", None),
            **values,
        )
        return Response(TargetSerializer(target).data)

    @extend_schema(request=TargetChangeSerializer, responses=TargetSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    def perform_destroy(self, instance):
        target = access_target(self.request.user, instance.pk, for_write=True)
        services.target_delete(target=target, by=self.request.user)

    @extend_schema(responses=StandingSerializer)
    @action(detail=True, methods=["get"])
    def standing(self, request, pk=None):
        """Actual, attainment %, gap, variance and run-rate projection of this target."""
        target = self.get_object()
        return Response(StandingSerializer(standings([target])[0]).data)

    @extend_schema(responses=RollupSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def rollup(self, request, pk=None):
        """Each set of targets below this one (its months, its team's members, its child
        territories) added up beside it, with the difference; nothing is changed."""
        found = target_rollups(request.user, self.get_object())
        return Response(RollupSerializer(found, many=True).data)

    @extend_schema(request=SplitSerializer, responses=TargetSerializer(many=True))
    @action(detail=True, methods=["post"])
    def split(self, request, pk=None):
        """Split a year or quarter target into month targets by a seasonality profile."""
        target = access_target(request.user, pk, for_write=True)
        data = SplitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        months = services.target_split_by_profile(
            by=request.user, target=target, profile=data.validated_data.get("profile")
        )
        return Response(TargetSerializer(months, many=True).data)

    @extend_schema(request=AllocateSerializer, responses=TargetSerializer(many=True))
    @action(detail=True, methods=["post"])
    def allocate(self, request, pk=None):
        """Allocate a team's target to its members: weights, equal or historical share."""
        target = access_target(request.user, pk, for_write=True)
        data = AllocateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        weights = data.validated_data.get("weights") or {}
        try:
            weights = {int(k): v for k, v in weights.items()}
        except ValueError:
            raise ValidationError({"weights": "Weights are keyed by user id."}) from None
        written = services.target_allocate_to_members(
            by=request.user, target=target, method=data.validated_data["method"], weights=weights
        )
        return Response(TargetSerializer(written, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("year", OpenApiTypes.INT, description="Fiscal year")],
        responses=GrowthFlagSerializer(many=True),
    )
    @action(detail=False, methods=["get"], url_path="growth-check", pagination_class=None)
    def growth_check(self, request):
        """Visible targets of a fiscal year lower than last year's, or (months) lower than
        the previous month seasonally adjusted."""
        year = _year(request.query_params.get("year"))
        period = fiscal_year(year)
        targets = list(
            self.get_queryset().filter(period_start__gte=period.start, period_end__lte=period.end)
        )
        return Response(GrowthFlagSerializer(growth_flags(targets), many=True).data)


def _year(text) -> int:
    if text in (None, ""):
        from pipewise.planning.periods import fiscal_year_of

        return fiscal_year_of(datetime.date.today())
    if not str(text).isdigit() or not 1900 < int(text) < 3000:
        raise ValidationError({"year": f"Not a fiscal year: {text!r}."})
    return int(text)


def _date(params, name: str, default: datetime.date) -> datetime.date:
    text = params.get(name)
    if not text:
        return default
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValidationError({name: f"Not a date (YYYY-MM-DD): {text!r}."}) from None


class AttainmentRowSerializer(serializers.Serializer):
    member = serializers.SerializerMethodField()
    member_id = serializers.SerializerMethodField()
    target = serializers.DecimalField(max_digits=18, decimal_places=2)
    actual = serializers.DecimalField(max_digits=18, decimal_places=2)
    attainment = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    gap = serializers.DecimalField(max_digits=18, decimal_places=2)
    variance = serializers.DecimalField(max_digits=18, decimal_places=2)
    projection = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)

    def get_member(self, row) -> str:
        return str(row.member) if row.member is not None else "Company"

    def get_member_id(self, row) -> int | None:
        return getattr(row.member, "pk", None)


class AttainmentPeriodSerializer(serializers.Serializer):
    period = serializers.CharField()
    start = serializers.DateField()
    target = serializers.DecimalField(max_digits=18, decimal_places=2)
    actual = serializers.DecimalField(max_digits=18, decimal_places=2)


class AttainmentSerializer(serializers.Serializer):
    metric = serializers.CharField()
    dimension = serializers.CharField(allow_null=True)
    kind = serializers.CharField()
    target = serializers.DecimalField(max_digits=18, decimal_places=2)
    actual = serializers.DecimalField(max_digits=18, decimal_places=2)
    variance = serializers.DecimalField(max_digits=18, decimal_places=2)
    attainment = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    rows = AttainmentRowSerializer(many=True)
    periods = serializers.SerializerMethodField()

    def get_periods(self, report) -> list[dict]:
        return AttainmentPeriodSerializer(
            [
                {"period": p.label, "start": p.start, "target": t, "actual": a}
                for p, t, a in report.by_period
            ],
            many=True,
        ).data


ATTAINMENT_PARAMETERS = [
    OpenApiParameter("metric", OpenApiTypes.STR, enum=Metric.values),
    OpenApiParameter("dimension", OpenApiTypes.STR, enum=[*Dimension.values, "company"]),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=PeriodKind.values),
    OpenApiParameter("from", OpenApiTypes.DATE),
    OpenApiParameter("to", OpenApiTypes.DATE),
]


class AttainmentViewSet(viewsets.ViewSet):
    """Attainment and variance of visible targets over a period range, per member."""

    @extend_schema(parameters=ATTAINMENT_PARAMETERS, responses=AttainmentSerializer)
    def list(self, request):
        """Targets added up per member of a dimension and per period, beside the actuals
        from the KPI registry: attainment %, gap, variance (actual − target), run rate."""
        report = attainment_from_query(request.user, request.query_params)
        return Response(AttainmentSerializer(report).data)


def attainment_from_query(user, params):
    """An attainment report from URL parameters (the API and the web page share it)."""
    metric = params.get("metric") or Metric.WON_REVENUE
    if metric not in Metric.values:
        raise ValidationError({"metric": f"Unknown metric {metric!r}."})
    dimension = params.get("dimension") or Dimension.USER
    if dimension not in [*Dimension.values, "company"]:
        raise ValidationError({"dimension": f"Unknown dimension {dimension!r}."})
    kind = params.get("kind") or PeriodKind.MONTH
    if kind not in PeriodKind.values:
        raise ValidationError({"kind": f"Unknown period kind {kind!r}."})
    year = fiscal_year(_year(params.get("year")))
    start = _date(params, "from", year.start)
    end = _date(params, "to", year.end)
    if start > end:
        raise ValidationError({"from": "'from' is after 'to'."})
    return attainment_report(
        user,
        metric=metric,
        start=start,
        end=end,
        kind=kind,
        dimension=None if dimension == "company" else dimension,
    )


class ProfileSerializer(serializers.ModelSerializer):
    weights = serializers.ListField(
        child=serializers.DecimalField(max_digits=5, decimal_places=2),
        help_text="12 weights in percent, January … December, adding up to 100.",
    )
    version = serializers.IntegerField(required=False)
    member_label = serializers.CharField(read_only=True)
    account = VisibleRelatedField(visible=account_visible_to, required=False, allow_null=True)
    channel = serializers.ChoiceField(
        choices=CHANNEL_CHOICES, required=False, allow_null=True, allow_blank=True
    )

    class Meta:
        model = SeasonalityProfile
        fields = [
            "id",
            "name",
            "source",
            "history_years",
            "user",
            "team",
            "territory",
            "product_line",
            "segment",
            "account",
            "channel",
            "member_label",
            "weights",
            "updated_at",
            "version",
        ]
        read_only_fields = ["source", "history_years", "updated_at"]


class DeriveSerializer(serializers.Serializer):
    years = serializers.IntegerField(min_value=1, max_value=10, default=2)
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False)
    territory = serializers.PrimaryKeyRelatedField(queryset=Territory.objects.all(), required=False)
    product_line = serializers.PrimaryKeyRelatedField(
        queryset=ProductLine.objects.all(), required=False
    )
    segment = serializers.PrimaryKeyRelatedField(queryset=Segment.objects.all(), required=False)
    account = VisibleRelatedField(visible=account_visible_to, required=False)
    channel = serializers.ChoiceField(choices=CHANNEL_CHOICES, required=False)


class DeriveAllSerializer(serializers.Serializer):
    dimension = serializers.ChoiceField(choices=Dimension.choices)
    years = serializers.IntegerField(min_value=1, max_value=10, default=2)


class DerivedForDimensionSerializer(serializers.Serializer):
    derived = ProfileSerializer(many=True)
    too_little_history = serializers.SerializerMethodField(
        help_text="Members with too few won deals: split by the company profile."
    )
    entered_kept = serializers.SerializerMethodField(
        help_text="Members whose entered profile was kept."
    )

    def get_too_little_history(self, result) -> list[str]:
        return [str(m) for m in result.too_little_history]

    def get_entered_kept(self, result) -> list[str]:
        return [str(m) for m in result.entered_kept]


class ShapeSerializer(serializers.Serializer):
    months = serializers.ListField(child=serializers.CharField())
    weights = serializers.ListField(child=serializers.DecimalField(max_digits=6, decimal_places=2))
    history = serializers.ListField(
        child=serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True),
        help_text="Last years' actual share of won revenue per month (percent).",
    )


class ProfileViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Seasonality profiles: 12 monthly weights summing to exactly 100 %, per member or the
    company's. Everyone reads them; admins, sales ops and managers change them."""

    serializer_class = ProfileSerializer
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return profile_visible_to(self.request.user).select_related(*MEMBER_RELATIONS)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        serializer.instance = services.profile_save(by=self.request.user, **data)

    def perform_update(self, serializer):
        profile = access_profile(self.request.user, serializer.instance.pk, for_write=True)
        data = dict(serializer.validated_data)
        members = {d: getattr(profile, d) for d in Dimension.values}
        serializer.instance = services.profile_save(
            by=self.request.user,
            profile=profile,
            expected_version=data.pop("version", None),
            name=data.get("name", profile.name),
            weights=data.get("weights", profile.weights),
            **members,
        )

    @extend_schema(request=DeriveSerializer, responses={201: ProfileSerializer})
    @action(detail=False, methods=["post"])
    def derive(self, request):
        """Derive the members' profile (or the company's) from won revenue of the last
        whole fiscal years; falls back to company history when theirs is too thin."""
        require_planner(request.user)
        data = DeriveSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        profile = services.profile_derive(by=request.user, **values)
        return Response(ProfileSerializer(profile).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DeriveAllSerializer, responses=DerivedForDimensionSerializer)
    @action(detail=False, methods=["post"], url_path="derive-all")
    def derive_all(self, request):
        """Derive a profile for every member of a dimension whose own history has enough
        won deals; the others are left to the company profile, entered profiles are kept."""
        data = DeriveAllSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.profiles_derive_for_dimension(by=request.user, **data.validated_data)
        return Response(DerivedForDimensionSerializer(result).data)

    @extend_schema(responses=ShapeSerializer)
    @action(detail=True, methods=["get"])
    def shape(self, request, pk=None):
        """The weights in fiscal order beside last years' actual monthly shape."""
        profile = self.get_object()
        return Response(ShapeSerializer(profile_shape(profile)).data)


class RampSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ramp
        fields = ["id", "user", "starts_on", "percentages"]


class RampViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """New hires' ramps (e.g. 25,50,75,100 % of a full quota over their first months)."""

    serializer_class = RampSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Ramp.objects.none()
        return ramps_visible_to(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.ramp_save(by=self.request.user, **serializer.validated_data)


class InitiativeSerializer(serializers.ModelSerializer):
    tasks = TaskSerializer(many=True, read_only=True)

    class Meta:
        model = Initiative
        fields = ["id", "title", "description", "expected_result", "position", "tasks"]
        read_only_fields = ["position"]


class PlanProgressSerializer(serializers.Serializer):
    tasks = serializers.IntegerField()
    tasks_done = serializers.IntegerField()
    todos = serializers.IntegerField()
    todos_done = serializers.IntegerField()
    percent = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    attainment = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)


class SalesPlanSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(required=False)
    target = VisibleRelatedField(visible=target_visible_to, required=False, allow_null=True)
    initiatives = InitiativeSerializer(many=True, read_only=True)

    class Meta:
        model = SalesPlan
        fields = [
            "id",
            "title",
            "owner",
            "fiscal_year",
            "target",
            "summary",
            "status",
            "reviewed_by",
            "reviewed_at",
            "review_note",
            "initiatives",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = [
            "owner",
            "status",
            "reviewed_by",
            "reviewed_at",
            "review_note",
            "created_at",
            "updated_at",
        ]


class ReviewSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False)


class TaskForPlanSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    due_at = serializers.DateTimeField(required=False, allow_null=True)
    todos = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="Each: text, planned_minutes, resources, measured_result.",
    )


class SalesPlanViewSet(RecordViewSet, viewsets.ModelViewSet):
    """Sales plans: how a rep will reach a target — initiatives, tasks and to-dos —
    submitted to and approved by their manager."""

    serializer_class = SalesPlanSerializer
    filterset_class = SalesPlanFilter
    ordering_fields = ["id", "fiscal_year"]
    visible = plan_visible_to
    access = access_plan
    create_service = services.plan_create
    update_service = services.plan_update
    record_argument = "plan"

    def get_queryset(self):
        return super().get_queryset().prefetch_related("initiatives__tasks")

    @extend_schema(request=None, responses=SalesPlanSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Send the plan to the owner's manager for review."""
        plan = access_plan(request.user, pk, for_write=True)
        plan = services.plan_submit(plan=plan, by=request.user)
        return Response(SalesPlanSerializer(plan, context=self.get_serializer_context()).data)

    @extend_schema(request=ReviewSerializer, responses=SalesPlanSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """Approve the submitted plan, or send it back with a note (managers above the owner)."""
        plan = get_object_or_404(plan_visible_to(request.user), pk=pk)
        data = ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        plan = services.plan_review(
            plan=plan,
            by=request.user,
            approve=values["approve"],
            note=values["note"],
            expected_version=values.get("version"),
        )
        return Response(SalesPlanSerializer(plan, context=self.get_serializer_context()).data)

    @extend_schema(request=InitiativeSerializer, responses={201: InitiativeSerializer})
    @action(detail=True, methods=["post"])
    def initiatives(self, request, pk=None):
        """Add an initiative to a draft plan."""
        plan = access_plan(request.user, pk, for_write=True)
        data = InitiativeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        initiative = services.initiative_add(plan=plan, by=request.user, **data.validated_data)
        return Response(InitiativeSerializer(initiative).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TaskForPlanSerializer, responses={201: TaskSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"initiatives/(?P<initiative_id>[0-9]+)/tasks",
    )
    def initiative_tasks(self, request, pk=None, initiative_id=None):
        """Break an initiative into a task with to-do items (time, resources, result)."""
        plan = access_plan(request.user, pk, for_write=True)
        initiative = get_object_or_404(plan.initiatives, pk=initiative_id)
        data = TaskForPlanSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task = services.initiative_task_add(
            initiative=initiative, by=request.user, **data.validated_data
        )
        return Response(
            TaskSerializer(task, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses=PlanProgressSerializer)
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        """Tasks and to-dos done, beside the attainment of the plan's target."""
        return Response(PlanProgressSerializer(plan_progress(self.get_object())).data)
