"""API of the KPI registry: what each KPI means, and its value for a period, grouped.

``GET /api/v1/kpis/`` lists the definitions; ``GET /api/v1/kpis/{key}/`` computes
one for the signed-in user (their visible records), e.g.
``/api/v1/kpis/won_revenue/?from=2025-01-01&to=2025-03-31&group_by=owner&team=3``.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from pipewise.reports.choices import MONEY_UNITS, Dimension, Filter, Unit
from pipewise.reports.kpis import KpiResult, UnknownKpi, registry

NOT_A_DATE = "Not a date: {value!r}; use YYYY-MM-DD."
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


class KpiResultSerializer(serializers.Serializer):
    key = serializers.CharField()
    unit = serializers.ChoiceField(choices=Unit.choices)
    value = KpiValueField()
    groups = KpiGroupSerializer(many=True)

    def to_representation(self, result: KpiResult):
        return {
            "key": result.key,
            "unit": result.unit,
            "value": render_value(result.unit, result.value),
            "groups": [
                {"group": group.group, "value": render_value(result.unit, group.value)}
                for group in result.groups
            ],
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


def _date(params, name: str) -> datetime.date | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        day = parse_date(raw)
    except ValueError:
        day = None
    if day is None:
        raise ValidationError({name: NOT_A_DATE.format(value=raw)})
    return day


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
            start=_date(params, "from"),
            end=_date(params, "to"),
            group_by=params.get("group_by"),
            filters={name: params[name] for name in Filter.values if name in params},
            inputs={name: params[name] for name in inputs if name in params},
        )
        return Response(KpiResultSerializer(result).data)
