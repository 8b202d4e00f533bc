"""Web forms for opportunities, their line items and stage moves, and sales-process settings."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator
from django.urls import reverse_lazy

from pipewise.catalog.models import Product
from pipewise.customers.permissions import account_visible_to, contact_visible_to
from pipewise.org.models import User
from pipewise.pipeline.choices import LOST_REASONS, CriteriaMode, StageKind
from pipewise.pipeline.models import Opportunity, Pipeline, Stage
from pipewise.web.forms import LookupSelect

OPPORTUNITY_FORM_FIELDS = [
    "name",
    "account",
    "contact",
    "owner",
    "amount",
    "close_date",
    "forecast_category",
    "source",
    "competitor",
]


class OpportunityForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Opportunity
        fields = [*OPPORTUNITY_FORM_FIELDS, "pipeline"]
        widgets = {"close_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = account_visible_to(user)
        self.fields["account"].widget = LookupSelect(
            lookup_url=reverse_lazy("customers:account_lookup")
        )
        self.fields["contact"].queryset = contact_visible_to(user)
        self.fields["contact"].widget = LookupSelect(
            lookup_url=reverse_lazy("customers:contact_lookup")
        )
        self.fields["owner"].queryset = User.objects.filter(is_active=True).order_by(
            "first_name", "last_name"
        )
        self.fields["owner"].required = False
        self.fields["pipeline"].queryset = Pipeline.objects.filter(active=True)
        self.fields["pipeline"].required = False
        self.fields["pipeline"].empty_label = "Default sales process"
        self.fields["pipeline"].label = "Sales process"
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            del self.fields["pipeline"]
            self.fields["owner"].required = True
            if self.instance.line_items.exists():
                self.fields["amount"].disabled = True
                self.fields["amount"].help_text = "The sum of the line items."
        else:
            self.fields["owner"].help_text = "Leave empty to own it yourself."

    def values(self) -> dict:
        names = list(OPPORTUNITY_FORM_FIELDS)
        if "pipeline" in self.fields:
            names.append("pipeline")
        if self.fields["amount"].disabled:
            names.remove("amount")
        values = {name: self.cleaned_data.get(name) for name in names}
        if values.get("owner") is None:
            values.pop("owner")
        if "pipeline" in values and values["pipeline"] is None:
            values.pop("pipeline")
        return values


class MoveForm(forms.Form):
    """A stage move from the board or the stage path; Lost needs a reason."""

    stage = forms.ModelChoiceField(queryset=Stage.objects.all())
    version = forms.IntegerField(required=False)
    lost_reason = forms.CharField(max_length=200, required=False)
    competitor = forms.CharField(max_length=120, required=False)


class CloseForm(forms.Form):
    """Win or lose a deal from its page: the confirmation step's choices (Lost needs a reason)."""

    version = forms.IntegerField(required=False)
    confirm = forms.BooleanField(required=False)
    close_open_tasks = forms.BooleanField(required=False)
    lost_reason = forms.CharField(max_length=200, required=False)
    competitor = forms.CharField(max_length=120, required=False)


class ReopenForm(forms.Form):
    """Undo a win or a loss: back into an open stage (default: the one it closed from)."""

    version = forms.IntegerField(required=False)
    stage = forms.ModelChoiceField(
        queryset=Stage.objects.filter(kind=StageKind.OPEN), required=False
    )


class LineItemForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.filter(active=True))
    quantity = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0, initial=1)
    unit_price = forms.DecimalField(
        max_digits=16,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text="Empty: list price.",
    )
    discount_percent = forms.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, initial=0, label="Discount %"
    )


LineItemFormSet = forms.formset_factory(LineItemForm, extra=1, can_delete=True)


class PipelineForm(forms.ModelForm):
    class Meta:
        model = Pipeline
        fields = ["name", "description", "is_default", "active", "criteria_mode"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        labels = {
            "is_default": "Default process for new deals",
            "criteria_mode": "Unmet exit criteria",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criteria_mode"].required = False

    def clean_criteria_mode(self):
        """Left out (older clients, scripts): the process keeps warning only."""
        return (
            self.cleaned_data.get("criteria_mode")
            or self.instance.criteria_mode
            or CriteriaMode.WARN
        )


class StageForm(forms.ModelForm):
    class Meta:
        model = Stage
        fields = ["order", "name", "probability", "kind", "expected_days"]
        labels = {"probability": "Probability %", "expected_days": "Expected days"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["probability"].validators.append(MaxValueValidator(100))
        self.fields["probability"].widget.attrs["max"] = 100


StageFormSet = forms.modelformset_factory(Stage, form=StageForm, extra=1, can_delete=False)

LOST_REASON_CHOICES = [(r, r) for r in LOST_REASONS]
