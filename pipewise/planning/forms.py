"""Forms of the planning pages (thin: they hand cleaned values to the services)."""

from __future__ import annotations

from django import forms
from django.urls import reverse_lazy

from pipewise.planning.choices import (
    CHANNEL_CHOICES,
    AllocationMethod,
    Dimension,
    Metric,
    PeriodKind,
)
from pipewise.planning.models import MONTH_FIELDS
from pipewise.web.forms import LookupSelect, VersionedForm

MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


class GridChoiceForm(forms.Form):
    """Which grid to show: metric, fiscal year, dimension."""

    metric = forms.ChoiceField(choices=Metric.choices, required=False)
    year = forms.IntegerField(min_value=1901, max_value=2999, required=False)
    dimension = forms.ChoiceField(choices=Dimension.choices, required=False)


class AttainmentForm(forms.Form):
    metric = forms.ChoiceField(choices=Metric.choices, required=False)
    dimension = forms.ChoiceField(
        choices=[*Dimension.choices, ("company", "Company")], required=False
    )
    kind = forms.ChoiceField(choices=PeriodKind.choices, required=False)
    year = forms.IntegerField(min_value=1901, max_value=2999, required=False)


class MemberFieldsForm(forms.Form):
    """The dimension members a target or profile is for: any combination, none = the
    company. Accounts are picked by typing (a type-ahead over the visible accounts),
    never from a list of all of them."""

    user = forms.ModelChoiceField(queryset=None, required=False, label="Person")
    team = forms.ModelChoiceField(queryset=None, required=False)
    territory = forms.ModelChoiceField(queryset=None, required=False)
    product_line = forms.ModelChoiceField(queryset=None, required=False)
    segment = forms.ModelChoiceField(queryset=None, required=False)
    account = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Customer account",
        widget=LookupSelect(lookup_url=reverse_lazy("customers:account_lookup")),
    )
    channel = forms.ChoiceField(
        choices=[("", "---------"), *CHANNEL_CHOICES],
        required=False,
        help_text="The deals' source (until there is a channels app).",
    )

    def __init__(self, *args, people, accounts, **kwargs):
        from pipewise.org.models import ProductLine, Segment, Team, Territory

        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people
        self.fields["team"].queryset = Team.objects.order_by("name")
        self.fields["territory"].queryset = Territory.objects.order_by("name")
        self.fields["product_line"].queryset = ProductLine.objects.order_by("name")
        self.fields["segment"].queryset = Segment.objects.order_by("name")
        self.fields["account"].queryset = accounts

    def members(self) -> dict:
        """Each dimension's chosen member, None where none was chosen."""
        return {d: self.cleaned_data.get(d) or None for d in Dimension.values}


class TargetForm(MemberFieldsForm):
    """A new target for one member (or combination) in one period."""

    metric = forms.ChoiceField(choices=Metric.choices)
    period_kind = forms.ChoiceField(choices=PeriodKind.choices)
    period_start = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), help_text="First day of the period."
    )
    amount = forms.DecimalField(max_digits=16, decimal_places=2, min_value=0)
    note = forms.CharField(max_length=300, required=False)


class TargetAmountForm(VersionedForm):
    amount = forms.DecimalField(max_digits=16, decimal_places=2, min_value=0)
    note = forms.CharField(max_length=300, required=False)


class AllocateForm(forms.Form):
    method = forms.ChoiceField(choices=AllocationMethod.choices)

    def __init__(self, *args, members=(), ramps=(), **kwargs):
        """``ramps``: the members' ramps (``selectors.MemberRamp``), named beside their weight."""
        super().__init__(*args, **kwargs)
        self.members = list(members)
        ramping = {r.person.pk: r.ramp for r in ramps}
        for person in self.members:
            ramp = ramping.get(person.pk)
            self.fields[f"weight_{person.pk}"] = forms.DecimalField(
                label=str(person),
                min_value=0,
                max_digits=12,
                decimal_places=4,
                required=False,
                help_text=f"Ramping: {ramp.summary}" if ramp else "",
            )

    def weights(self) -> dict[int, object]:
        return {
            p.pk: self.cleaned_data[f"weight_{p.pk}"]
            for p in self.members
            if self.cleaned_data.get(f"weight_{p.pk}") is not None
        }


class WeightFields:
    """Twelve weights in percent, January … December, as form fields."""

    def add_weight_fields(self) -> None:
        for field, label in zip(MONTH_FIELDS, MONTH_NAMES, strict=True):
            self.fields[field] = forms.DecimalField(
                label=label, min_value=0, max_value=100, decimal_places=2, max_digits=5
            )

    def weights(self) -> list:
        return [self.cleaned_data[f] for f in MONTH_FIELDS]

    def weight_fields(self) -> list[tuple]:
        """(bound field, month name) for the 12 weights, as the templates lay them out."""
        return [(self[f], label) for f, label in zip(MONTH_FIELDS, MONTH_NAMES, strict=True)]

    @staticmethod
    def initial_weights(profile) -> dict:
        """A profile's weights as the initial values of the 12 fields."""
        return dict(zip(MONTH_FIELDS, profile.weights, strict=True))


class ProfileForm(WeightFields, VersionedForm):
    """A profile's name and 12 weights in percent, January … December."""

    name = forms.CharField(max_length=120)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_weight_fields()


class ProfileNewForm(WeightFields, MemberFieldsForm):
    """A new entered profile: whose (none chosen = the company's), a name, 12 weights."""

    name = forms.CharField(max_length=120)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_weight_fields()


class ProfileMembersForm(MemberFieldsForm):
    """Whose profile to derive from won revenue (none chosen = the company's), and from
    how many years."""

    years = forms.IntegerField(min_value=1, max_value=10, initial=2, required=False)


class DeriveAllForm(forms.Form):
    """Derive the profiles of every member of one dimension."""

    dimension = forms.ChoiceField(choices=Dimension.choices)
    years = forms.IntegerField(min_value=1, max_value=10, initial=2)


class PlanForm(VersionedForm):
    title = forms.CharField(max_length=200)
    fiscal_year = forms.IntegerField(min_value=1901, max_value=2999)
    target = forms.ModelChoiceField(queryset=None, required=False)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = targets


class InitiativeForm(forms.Form):
    title = forms.CharField(max_length=200)
    expected_result = forms.CharField(max_length=300, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class PlanTaskForm(forms.Form):
    title = forms.CharField(max_length=200)
    due_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    todo = forms.CharField(max_length=300, required=False, label="First to-do item")
    planned_minutes = forms.IntegerField(min_value=0, required=False)
    resources = forms.CharField(max_length=300, required=False)
    measured_result = forms.CharField(max_length=300, required=False)

    def todos(self) -> list[dict]:
        if not self.cleaned_data.get("todo"):
            return []
        return [
            {
                "text": self.cleaned_data["todo"],
                "planned_minutes": self.cleaned_data.get("planned_minutes"),
                "resources": self.cleaned_data.get("resources") or "",
                "measured_result": self.cleaned_data.get("measured_result") or "",
            }
        ]


class ReviewForm(forms.Form):
    approve = forms.TypedChoiceField(
        choices=[("1", "Approve"), ("0", "Send back")], coerce=lambda v: v == "1"
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ImportForm(forms.Form):
    file = forms.FileField(help_text="An .xlsx file in the layout of the export.")


class RampForm(forms.Form):
    """A new hire's ramp: the share of a full quota for each of their first months."""

    user = forms.ModelChoiceField(queryset=None, label="Person")
    starts_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), help_text="First day of a month."
    )
    percentages = forms.CharField(max_length=120, initial="25,50,75,100")

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people
