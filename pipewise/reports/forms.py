"""The report builder's form: a definition written in a few plain fields.

Filters are written as the list page's URL query (``status=won&owner=7``),
measures one per line (``count``, ``sum amount``, ``avg weighted``,
``kpi won_revenue``) and calculated fields one per line (``weighted = amount *
probability / 100``). The service checks the whole definition.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from django import forms

from pipewise.org.choices import Role
from pipewise.org.models import Team
from pipewise.reports.builder import ENTITIES
from pipewise.reports.choices import ChartType, ReportEntity, Schedule
from pipewise.reports.dashboards import PRESETS

MEASURE_LINE = (
    "Write one measure per line: count, sum FIELD, avg FIELD, min FIELD, max FIELD, kpi KEY."
)
CALCULATED_LINE = "Write one calculated field per line: name = expression."

DIMENSION_CHOICES = [("", "—")] + sorted(
    {(d, d.replace("_", " ")) for spec in ENTITIES.values() for d in spec.dimensions}
)


class SavedReportForm(forms.Form):
    name = forms.CharField(max_length=200)
    entity = forms.ChoiceField(choices=ReportEntity.choices)
    period = forms.ChoiceField(choices=PRESETS, initial="all")
    filters = forms.CharField(
        required=False,
        help_text="The list page's URL filters, e.g. status=won&source=website.",
    )
    group_1 = forms.ChoiceField(choices=DIMENSION_CHOICES, required=False, label="Group by")
    group_2 = forms.ChoiceField(
        choices=DIMENSION_CHOICES, required=False, label="Then by (pivot columns)"
    )
    measures = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), initial="count")
    calculated_fields = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="e.g. weighted = amount * probability / 100",
    )
    chart = forms.ChoiceField(choices=ChartType.choices, initial=ChartType.BAR)
    shared_with_team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"), required=False, label="Share with team"
    )
    shared_with_role = forms.ChoiceField(
        choices=[("", "—"), *Role.choices], required=False, label="Share with role"
    )
    schedule = forms.ChoiceField(choices=Schedule.choices, required=False, label="E-mail")

    def clean_filters(self):
        return dict(parse_qsl(self.cleaned_data["filters"].strip().lstrip("?")))

    def clean_measures(self):
        measures = []
        for line in self.cleaned_data["measures"].splitlines():
            parts = line.split()
            if not parts:
                continue
            if len(parts) > 2:
                raise forms.ValidationError(MEASURE_LINE)
            op = parts[0].lower()
            if op == "kpi":
                measures.append({"op": op, "kpi": parts[1] if len(parts) > 1 else ""})
            elif len(parts) == 2:
                measures.append({"op": op, "field": parts[1]})
            else:
                measures.append({"op": op})
        return measures

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
        groups = list(report.group_by) + ["", ""]
        return {
            "name": report.name,
            "entity": report.entity,
            "period": report.period,
            "filters": "&".join(f"{k}={v}" for k, v in report.filters.items()),
            "group_1": groups[0],
            "group_2": groups[1],
            "measures": "\n".join(
                " ".join(v for k, v in m.items() if k in ("op", "field", "kpi"))
                for m in report.measures
            ),
            "calculated_fields": "\n".join(
                f"{c['name']} = {c['expression']}" for c in report.calculated_fields
            ),
            "chart": report.chart,
            "shared_with_team": report.shared_with_team_id,
            "shared_with_role": report.shared_with_role,
            "schedule": report.schedule,
        }


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
