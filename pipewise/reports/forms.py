"""The report builder's form: a definition picked, not typed.

The measures are picked from what the kind of record offers (a count, each number
summed, averaged, lowest or highest, the KPIs over these records), the filters row
by row as field → operator → value (each value with the widget its field needs:
choices as selects, people by name, stages in process order, dates as dates,
accounts by type-ahead), the groupings by label. What the form hands the services
is the stored definition (``filters``: FilterSet name → value; ``measures``:
``{"op", "field"|"kpi"}``), which ``builder.check_definition`` checks as a whole, as
it does for the API. Calculated fields are still written, one per line
(``weighted = amount * probability / 100``).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django import forms
from django.db import models
from django.urls import reverse, reverse_lazy

from pipewise.customers.models import Account, Contact
from pipewise.customers.permissions import account_visible_to, contact_visible_to
from pipewise.leads.models import Lead
from pipewise.leads.permissions import lead_visible_to
from pipewise.org.choices import Role
from pipewise.org.models import Team, User
from pipewise.pipeline.models import Opportunity, Pipeline, Stage
from pipewise.pipeline.permissions import opportunity_visible_to
from pipewise.reports.builder import (
    ENTITIES,
    FilterKind,
    FilterOption,
    dimension_choices,
    filter_options,
    measure_choices,
    measure_key,
    measure_of_key,
)
from pipewise.reports.choices import MAX_MEASURES, ChartType, ReportEntity, Schedule
from pipewise.reports.dashboards import PRESETS
from pipewise.web.forms import LookupSelect

CALCULATED_LINE = "Write one calculated field per line: name = expression."
FILTER_VALUE_NEEDED = "Pick a value for the filter on {field}."
FILTER_REPEATED = "The filter “{field} {operator}” is given twice; keep one."
MEASURE_NEEDED = "Pick at least one measure."
# Filter rows a form reads (a report rarely has more than a handful).
MAX_FILTER_ROWS = 12
FILTER_FIELD = re.compile(r"^filter_field_(\d+)$")
LOOKUPS = {
    Account: reverse_lazy("customers:account_lookup"),
    Contact: reverse_lazy("customers:contact_lookup"),
    Lead: reverse_lazy("leads:lookup"),
    Opportunity: reverse_lazy("pipeline:lookup"),
}
DEFAULT_ENTITY = ReportEntity.OPPORTUNITIES


class PersonChoiceField(forms.ModelChoiceField):
    """A person, shown by name (the username only when no name is set)."""

    def label_from_instance(self, obj):
        return str(obj)


def people():
    return User.objects.order_by("first_name", "last_name", "username")


def stage_choices() -> list:
    """Stages grouped by sales process, each process in its own order (default first)."""
    groups: dict[str, list] = {}
    stages = Stage.objects.select_related("pipeline").order_by(
        "-pipeline__is_default", "pipeline__name", "order"
    )
    for stage in stages:
        groups.setdefault(stage.pipeline.name, []).append((str(stage.pk), stage.name))
    return [("", "—"), *groups.items()]


# A record a filter names is picked among the records the reader may see, so a report
# cannot be saved (and described) with the name of an account or deal hidden from them.
VISIBLE_RECORDS = {
    Account: account_visible_to,
    Contact: contact_visible_to,
    Lead: lead_visible_to,
    Opportunity: opportunity_visible_to,
}


def value_field(option: FilterOption, user: User | None) -> forms.Field:
    """The form field a filter's value is picked with; ``user`` is who picks."""
    if option.kind == FilterKind.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *option.choices])
    if option.kind == FilterKind.PERSON:
        return PersonChoiceField(queryset=people(), empty_label="—")
    if option.kind == FilterKind.STAGE:
        return forms.ChoiceField(choices=stage_choices())
    if option.kind == FilterKind.RECORD:
        visible = VISIBLE_RECORDS.get(option.related)
        if visible is not None and user is not None:
            queryset = visible(user)
        else:
            queryset = option.related.objects.none() if visible else option.related.objects.all()
        widget = LookupSelect(lookup_url=LOOKUPS.get(option.related, ""))
        return forms.ModelChoiceField(queryset=queryset, widget=widget, empty_label="—")
    if option.kind == FilterKind.OBJECT:
        queryset = option.related.objects.all()
        if option.related is Pipeline:
            queryset = queryset.order_by("-is_default", "name")
        return forms.ModelChoiceField(queryset=queryset, empty_label="—")
    if option.kind == FilterKind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    if option.kind == FilterKind.NUMBER:
        return forms.DecimalField()
    if option.kind == FilterKind.BOOLEAN:
        return forms.ChoiceField(choices=[("true", "Yes"), ("false", "No")])
    return forms.CharField(max_length=200)


def filter_text(value) -> str:
    """A picked value as the FilterSet reads it from a URL."""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _initial_value(option: FilterOption, text: str) -> str:
    # A stored date-time filter (created_after=2026-01-01T00:00) shows as its date.
    return text[:10] if option.kind == FilterKind.DATE else text


class SavedReportForm(forms.Form):
    """A report over one kind of record (``entity``): the pickers offer what it has."""

    name = forms.CharField(max_length=200)
    entity = forms.ChoiceField(choices=ReportEntity.choices, label="Report on")
    period = forms.ChoiceField(choices=PRESETS, initial="all")
    group_1 = forms.ChoiceField(required=False, label="Group by")
    group_2 = forms.ChoiceField(required=False, label="Then by (the columns of a pivot)")
    calculated_fields = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="One per line, e.g. weighted = amount * probability / 100. "
        "They appear among the measures once saved.",
    )
    chart = forms.ChoiceField(choices=ChartType.choices, initial=ChartType.BAR)
    shared_with_team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"),
        required=False,
        label="Share with team",
        empty_label="—",
    )
    shared_with_role = forms.ChoiceField(
        choices=[("", "—"), *Role.choices], required=False, label="Share with role"
    )
    schedule = forms.ChoiceField(choices=Schedule.choices, required=False, label="E-mail")

    def __init__(
        self,
        data=None,
        *,
        entity: str | None = None,
        user: User | None = None,
        initial=None,
        **kwargs,
    ):
        self.user = user
        initial = dict(initial or {})
        super().__init__(data, initial=initial, **kwargs)
        picked = (data or {}).get("entity") or entity or initial.get("entity")
        self.entity_key = picked if picked in ENTITIES else DEFAULT_ENTITY
        self.initial.setdefault("entity", self.entity_key)
        self.spec = ENTITIES[self.entity_key]
        self.entity_label = ReportEntity(self.entity_key).label
        groups = [("", "—"), *dimension_choices(self.spec)]
        self.fields["group_1"].choices = groups
        self.fields["group_2"].choices = groups
        self.options = filter_options(self.spec)
        self.field_choices = list(dict.fromkeys((o.field, o.field_label) for o in self.options))
        calculated = self._calculated_names(data, initial)
        measures = [("", "—"), *measure_choices(self.spec, calculated)]
        for index in range(MAX_MEASURES):
            self.fields[f"measure_{index}"] = forms.ChoiceField(
                choices=measures, required=False, label=f"Measure {index + 1}"
            )
        self.fields["measure_0"].initial = "count"
        self.filter_rows: list[int] = []
        if self.options and data is not None:
            indexes = {int(m.group(1)) for k in data if (m := FILTER_FIELD.match(k))}
            for index in sorted(indexes)[:MAX_FILTER_ROWS]:
                self.add_filter_row(index, data.get(f"filter_field_{index}", ""))
        elif self.options:  # (line items have no filters: no rows)
            rows = initial.get("filter_rows") or [("", "", "")]
            for index, (field_name, operator, value) in enumerate(rows):
                self.add_filter_row(index, field_name, operator, value)

    @staticmethod
    def _calculated_names(data, initial) -> list[str]:
        text = (data or {}).get("calculated_fields") if data is not None else None
        if text is None:
            text = initial.get("calculated_fields", "")
        names = []
        for line in str(text or "").splitlines():
            name, equals, _ = line.partition("=")
            if equals and name.strip().isidentifier():
                names.append(name.strip())
        return names

    # --- filter rows -----------------------------------------------------------------
    def add_filter_row(self, index: int, field_name: str, operator: str = "", value="") -> None:
        """Row ``index``: a field picker, the operators of the field picked, its value."""
        options = [o for o in self.options if o.field == field_name]
        self.fields[f"filter_field_{index}"] = forms.ChoiceField(
            choices=[("", "— pick a field —"), *self.field_choices],
            required=False,
            label=f"Filter {index + 1}: field",
            widget=forms.Select(
                attrs={
                    "hx-get": reverse("reports:filter_row"),
                    "hx-trigger": "change",
                    "hx-target": "closest [data-filter-row]",
                    "hx-swap": "outerHTML",
                    "hx-vals": f'{{"entity": "{self.entity_key}", "row": "{index}"}}',
                    "data-filter-field": "",
                }
            ),
        )
        self.fields[f"filter_op_{index}"] = forms.ChoiceField(
            choices=[(o.name, o.operator) for o in options] or [("", "—")],
            required=False,
            label=f"Filter {index + 1}: operator",
        )
        if options:
            field = value_field(options[0], self.user)
            field.required = False
        else:
            field = forms.CharField(required=False, disabled=True)
        field.label = f"Filter {index + 1}: value"
        self.fields[f"filter_value_{index}"] = field
        if field_name:
            self.initial[f"filter_field_{index}"] = field_name
        if operator:
            self.initial[f"filter_op_{index}"] = operator
        if value and options:
            self.initial[f"filter_value_{index}"] = _initial_value(options[0], value)
        self.filter_rows.append(index)

    def filter_row(self, index: int) -> dict:
        return {
            "index": index,
            "field": self[f"filter_field_{index}"],
            "operator": self[f"filter_op_{index}"],
            "value": self[f"filter_value_{index}"],
        }

    def filter_row_list(self) -> list[dict]:
        return [self.filter_row(index) for index in self.filter_rows]

    def measure_list(self) -> list:
        return [self[f"measure_{index}"] for index in range(MAX_MEASURES)]

    # --- cleaning --------------------------------------------------------------------
    def clean_calculated_fields(self):
        fields = []
        for line in self.cleaned_data["calculated_fields"].splitlines():
            if not line.strip():
                continue
            name, equals, expression = line.partition("=")
            if not equals:
                raise forms.ValidationError(CALCULATED_LINE)
            fields.append({"name": name.strip(), "expression": expression.strip()})
        return fields

    def clean(self):
        data = super().clean()
        data["measures"] = [
            measure_of_key(data[f"measure_{i}"])
            for i in range(MAX_MEASURES)
            if data.get(f"measure_{i}")
        ]
        if not data["measures"]:
            self.add_error("measure_0", MEASURE_NEEDED)
        by_name = {o.name: o for o in self.options}
        filters = {}
        for index in self.filter_rows:
            option = by_name.get(data.get(f"filter_op_{index}") or "")
            if not data.get(f"filter_field_{index}") or option is None:
                continue
            value = data.get(f"filter_value_{index}")
            if value in (None, ""):
                self.add_error(
                    f"filter_value_{index}", FILTER_VALUE_NEEDED.format(field=option.field_label)
                )
            elif option.name in filters:
                message = FILTER_REPEATED.format(field=option.field_label, operator=option.operator)
                self.add_error(f"filter_op_{index}", message)
            else:
                filters[option.name] = filter_text(value)
        data["filters"] = filters
        return data

    def definition(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "entity": data["entity"],
            "period": data["period"],
            "filters": data["filters"],
            "group_by": [g for g in (data["group_1"], data["group_2"]) if g],
            "measures": data["measures"],
            "calculated_fields": data["calculated_fields"],
            "chart": data["chart"],
            "shared_with_team": data["shared_with_team"],
            "shared_with_role": data["shared_with_role"],
            "schedule": data["schedule"] or "",
        }

    @classmethod
    def initial_of(cls, report) -> dict:
        """A saved report's definition as the pickers show it."""
        groups = list(report.group_by) + ["", ""]
        by_name = {o.name: o for o in filter_options(ENTITIES[report.entity])}
        initial = {
            "name": report.name,
            "entity": report.entity,
            "period": report.period,
            "group_1": groups[0],
            "group_2": groups[1],
            "calculated_fields": "\n".join(
                f"{c['name']} = {c['expression']}" for c in report.calculated_fields
            ),
            "chart": report.chart,
            "shared_with_team": report.shared_with_team_id,
            "shared_with_role": report.shared_with_role,
            "schedule": report.schedule,
            "filter_rows": [
                (by_name[name].field, name, str(value))
                for name, value in (report.filters or {}).items()
                if name in by_name
            ]
            or [("", "", "")],
        }
        for index, measure in enumerate(report.measures[:MAX_MEASURES]):
            initial[f"measure_{index}"] = measure_key(measure)
        return initial


class SalesCostForm(forms.Form):
    """One period's sales cost, as sales ops enter it (the service checks the rest)."""

    period_start = forms.DateField(
        label="From", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    period_end = forms.DateField(
        label="To",
        help_text="Last day of the period (inclusive).",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    amount = forms.DecimalField(
        max_digits=16,
        decimal_places=2,
        min_value=0,
        help_text="Sales and marketing cost of the period: salaries, commissions, travel, ads.",
    )
    note = forms.CharField(max_length=200, required=False)
