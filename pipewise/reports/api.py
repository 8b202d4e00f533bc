"""API of the KPI registry (what each KPI means, its value for a period, grouped) and of
saved reports (CRUD and results).

``GET /api/v1/kpis/`` lists the definitions; ``GET /api/v1/kpis/{key}/`` computes
one for the signed-in user (their visible records), e.g.
``/api/v1/kpis/won_revenue/?from=2025-01-01&to=2025-03-31&group_by=owner&team=3``.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from pipewise.org.choices import Role
from pipewise.org.models import Team
from pipewise.reports.builder import Definition, run_report
from pipewise.reports.choices import MONEY_UNITS, Dimension, Filter, Measure, ReportEntity, Unit
from pipewise.reports.kpis import KpiResult, UnknownKpi, registry
from pipewise.reports.models import SavedReport
from pipewise.reports.periods import parse_day
from pipewise.reports.permissions import access_saved_report, saved_report_visible_to
from pipewise.reports.services import (
    saved_report_create,
    saved_report_delete,
    saved_report_update,
)

UNKNOWN_PARAMETER = "Unknown parameter. Accepted: {accepted}."
PERIOD_PARAMETERS = ("from", "to")
# Parameters any client may add without meaning anything to a KPI.
IGNORED_PARAMETERS = frozenset({"format"})


def render_value(unit: str, value):
    """Money as a decimal string (like every amount in this API), counts as integers,
    the other units as JSON numbers; null stays null."""
    if value is None:
        return None
    if unit in MONEY_UNITS:
        return str(value)
    if unit == Unit.COUNT:
        return int(value)
    return float(value)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "format": "decimal", "example": "125000.00"},
            {"type": "number"},
        ],
        "nullable": True,
        "description": (
            "Money (units currency, currency_per_day) as a decimal string; counts as integers; "
            "other units as numbers (ratios as fractions: 0.25 = 25 %). null when the KPI is "
            "not defined for the data (e.g. a win rate with no closed deals)."
        ),
    }
)
class KpiValueField(serializers.Field):
    def to_representation(self, value):
        return value


@extend_schema_field(
    {
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
        "nullable": True,
        "description": (
            "The group's label (a username, team name, 'YYYY-MM' month …); a list of two labels "
            "when grouped by two dimensions; null for records without one (e.g. no team)."
        ),
    }
)
class GroupLabelField(serializers.Field):
    def to_representation(self, value):
        return value


class KpiGroupSerializer(serializers.Serializer):
    group = GroupLabelField()
    value = KpiValueField()


class KpiUndefinedSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the value is null, in a sentence for people.")
    fix_url = serializers.CharField(
        allow_null=True, help_text="The page where the missing input is entered, if any."
    )
    fix_label = serializers.CharField(help_text="That page's name (empty without a page).")


class KpiResultSerializer(serializers.Serializer):
    key = serializers.CharField()
    unit = serializers.ChoiceField(choices=Unit.choices)
    value = KpiValueField()
    groups = KpiGroupSerializer(many=True)
    undefined = KpiUndefinedSerializer(
        allow_null=True, help_text="Set when value is null: why, and where to fix it."
    )

    def to_representation(self, result: KpiResult):
        return {
            "key": result.key,
            "unit": result.unit,
            "value": render_value(result.unit, result.value),
            "groups": [
                {"group": group.group, "value": render_value(result.unit, group.value)}
                for group in result.groups
            ],
            "undefined": result.undefined.as_dict() if result.undefined else None,
        }


class KpiInputSerializer(serializers.Serializer):
    name = serializers.CharField()
    help = serializers.CharField()
    required = serializers.BooleanField()


class KpiDefinitionSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    definition = serializers.CharField()
    formula = serializers.CharField()
    unit = serializers.ChoiceField(choices=Unit.choices)
    period = serializers.CharField(help_text="What from/to select.")
    needs_period = serializers.BooleanField(help_text="Both from and to are required.")
    dimensions = serializers.ListField(child=serializers.ChoiceField(choices=Dimension.choices))
    filters = serializers.ListField(child=serializers.ChoiceField(choices=Filter.choices))
    inputs = KpiInputSerializer(many=True, help_text="Numbers the caller supplies (targets).")
    edge_cases = serializers.CharField()
    undefined_reason = serializers.CharField(help_text="What a null value is explained with.")
    company_level = serializers.BooleanField(
        help_text="Company figure: only admins, sales ops and executives may compute it."
    )


def _input_names() -> list[str]:
    return sorted({spec.name for kpi in registry for spec in kpi.inputs})


def _kpi_parameters() -> list[OpenApiParameter]:
    dimensions = ", ".join(Dimension.values)
    parameters = [
        OpenApiParameter(
            "from", OpenApiTypes.DATE, description="First day (YYYY-MM-DD); omit for all time."
        ),
        OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, inclusive (YYYY-MM-DD)."),
        OpenApiParameter(
            "group_by",
            OpenApiTypes.STR,
            description=(
                f"A dimension the KPI accepts (see its `dimensions`), or two separated by a "
                f"comma (e.g. owner,month): {dimensions}."
            ),
        ),
    ]
    parameters += [
        OpenApiParameter(name, OpenApiTypes.STR, description=f"Filter. {label}.")
        for name, label in Filter.choices
    ]
    parameters += [
        OpenApiParameter(
            name, OpenApiTypes.DECIMAL, description="Input of the KPIs that need it (see inputs)."
        )
        for name in _input_names()
    ]
    return parameters


class KpiViewSet(viewsets.ViewSet):
    """The KPI registry: every sales metric defined once, computed over what you may see."""

    lookup_field = "key"
    lookup_value_regex = "[a-z0-9_]+"

    @extend_schema(responses=KpiDefinitionSerializer(many=True))
    def list(self, request):
        """Every KPI: key, name, written definition, formula, unit, dimensions, filters."""
        definitions = [kpi.describe() for kpi in registry]
        return Response(KpiDefinitionSerializer(definitions, many=True).data)

    @extend_schema(parameters=_kpi_parameters(), responses=KpiResultSerializer)
    def retrieve(self, request, key=None):
        """One KPI over the records you may see, for a period, optionally grouped.

        Without from/to: all time. A dimension, filter or input the KPI does not
        accept answers 400 naming it; an unknown key 404.
        """
        try:
            kpi = registry.get(key)
        except UnknownKpi as exc:
            raise NotFound(str(exc)) from None
        params = request.query_params
        inputs = _input_names()
        accepted = [*PERIOD_PARAMETERS, "group_by", *Filter.values, *inputs]
        for name in params:
            if name not in accepted and name not in IGNORED_PARAMETERS:
                raise ValidationError(
                    {name: UNKNOWN_PARAMETER.format(accepted=", ".join(accepted))}
                )
        result = kpi.compute(
            user=request.user,
            start=parse_day(params, "from"),
            end=parse_day(params, "to"),
            group_by=params.get("group_by"),
            filters={name: params[name] for name in Filter.values if name in params},
            inputs={name: params[name] for name in inputs if name in params},
        )
        return Response(KpiResultSerializer(result).data)


# --- saved reports ----------------------------------------------------------------
class MeasureSerializer(serializers.Serializer):
    op = serializers.ChoiceField(choices=Measure.choices)
    field = serializers.CharField(required=False, help_text="For sum/avg/min/max: a number.")
    kpi = serializers.CharField(required=False, help_text="For op kpi: a KPI key.")


class CalculatedFieldSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=40)
    expression = serializers.CharField(
        max_length=300, help_text="Arithmetic over numbers: + - * / ( ), e.g. amount * 0.9"
    )


@extend_schema_field({"type": "string", "enum": ["", *Role.values]})
class RoleOrBlankField(serializers.ChoiceField):
    """A role or '' (described inline: the users API names the role choices already)."""


class SavedReportSerializer(serializers.ModelSerializer):
    """A saved report's definition. Checked as a whole by the service (field-level errors)."""

    owner = serializers.CharField(source="owner.username", read_only=True)
    entity = serializers.ChoiceField(choices=ReportEntity.choices)
    filters = serializers.DictField(
        child=serializers.CharField(), required=False, help_text="The entity list's URL filters."
    )
    group_by = serializers.ListField(child=serializers.CharField(), required=False, max_length=2)
    measures = MeasureSerializer(many=True)
    calculated_fields = CalculatedFieldSerializer(many=True, required=False)
    shared_with_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False
    )
    shared_with_role = RoleOrBlankField(
        choices=Role.choices,
        required=False,
        allow_blank=True,
        help_text="A role whose holders see the report (each their own records); '' for none.",
    )

    class Meta:
        model = SavedReport
        fields = [
            "id",
            "name",
            "owner",
            "entity",
            "filters",
            "period",
            "group_by",
            "measures",
            "calculated_fields",
            "chart",
            "shared_with_team",
            "shared_with_role",
            "schedule",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "owner", "created_at", "updated_at"]


class ReportResultSerializer(serializers.Serializer):
    columns = serializers.ListField(child=serializers.CharField())
    group_count = serializers.IntegerField(help_text="How many leading columns are groups.")
    rows = serializers.ListField(
        child=serializers.ListField(child=serializers.JSONField()),
        help_text="Group labels, then measure values (decimals as strings, null = undefined).",
    )


def result_json(result) -> dict:
    return {
        "columns": result.columns,
        "group_count": result.group_count,
        "rows": [[str(v) if isinstance(v, Decimal) else v for v in row] for row in result.rows],
    }


class SavedReportViewSet(viewsets.ViewSet):
    """Saved reports you own or that are shared with your team or role; their results are
    computed over the records you may see."""

    serializer_class = SavedReportSerializer
    queryset = SavedReport.objects.none()  # for the schema (ids); data via get_queryset

    def get_queryset(self):
        return saved_report_visible_to(self.request.user).select_related("owner")

    @extend_schema(responses=SavedReportSerializer(many=True))
    def list(self, request):
        reports = self.get_queryset().order_by("name", "id")
        return Response(SavedReportSerializer(reports, many=True).data)

    @extend_schema(request=SavedReportSerializer, responses={201: SavedReportSerializer})
    def create(self, request):
        serializer = SavedReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        report = saved_report_create(by=request.user, **_definition_data(data))
        return Response(SavedReportSerializer(report).data, status=201)

    @extend_schema(responses=SavedReportSerializer)
    def retrieve(self, request, pk=None):
        report = access_saved_report(request.user, pk)
        return Response(SavedReportSerializer(report).data)

    @extend_schema(request=SavedReportSerializer, responses=SavedReportSerializer)
    def update(self, request, pk=None):
        return self._change(request, pk, partial=False)

    @extend_schema(request=SavedReportSerializer, responses=SavedReportSerializer)
    def partial_update(self, request, pk=None):
        return self._change(request, pk, partial=True)

    def _change(self, request, pk, *, partial):
        report = access_saved_report(request.user, pk, for_write=True)
        serializer = SavedReportSerializer(report, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        changes = _definition_data(dict(serializer.validated_data))
        report = saved_report_update(report=report, by=request.user, **changes)
        return Response(SavedReportSerializer(report).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        report = access_saved_report(request.user, pk, for_write=True)
        saved_report_delete(report=report, by=request.user)
        return Response(status=204)

    @extend_schema(responses=ReportResultSerializer)
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        """The report's rows over the records you may see (same rows as page and export)."""
        report = access_saved_report(request.user, pk)
        result = run_report(Definition.of(report), viewer=request.user)
        return Response(result_json(result))


def _definition_data(data: dict) -> dict:
    for key in ("measures", "calculated_fields"):
        if key in data:
            data[key] = [dict(item) for item in data[key]]
    return data
