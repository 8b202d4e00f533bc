"""Web forms of sales processes (a process and its stages on one form), the process matrix
(stage playbook, milestones, tools, follow-ups) and quotes."""

from __future__ import annotations

from django import forms

from pipewise.catalog.models import PriceList, PriceListItem
from pipewise.pipeline.choices import REQUIRABLE_FIELDS, CriteriaMode, StageKind
from pipewise.pipeline.models import FollowUpTemplate, Milestone, Pipeline, Stage, StageTool


class ProcessForm(forms.ModelForm):
    """A sales process's own settings; its stages come in ``StageRowFormSet``."""

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


class StageRowForm(forms.Form):
    """One row of the stages table: a stage that exists (``id``) or a new one."""

    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    order = forms.IntegerField(min_value=1, label="Order")
    name = forms.CharField(max_length=120, required=False, label="Name")
    probability = forms.IntegerField(min_value=0, max_value=100, label="Probability %")
    kind = forms.ChoiceField(choices=StageKind.choices, label="Kind")
    expected_days = forms.IntegerField(min_value=0, required=False, label="Expected days")

    def has_changed(self):
        """A row added on the page and left without a name is no stage: it is skipped."""
        named = self.data.get(self.add_prefix("name"), "").strip()
        return bool(named or self.data.get(self.add_prefix("id"))) and super().has_changed()

    def clean(self):
        data = super().clean()
        if data.get("id") and not data.get("name") and not data.get("DELETE"):
            self.add_error("name", "Name the stage, or tick Remove.")
        return data


StageRowFormSet = forms.formset_factory(StageRowForm, extra=0, can_delete=True)


def stage_rows(formset) -> list[dict]:
    """The stages the form asks for, in the order of their order numbers (then row order).

    Removed rows and new rows left without a name are left out.
    """
    rows = [
        form.cleaned_data
        for form in formset.forms
        if form.cleaned_data.get("name") and not form.cleaned_data.get("DELETE")
    ]
    rows.sort(key=lambda row: row["order"])
    return [
        {name: row[name] for name in ("id", "name", "probability", "kind", "expected_days")}
        for row in rows
    ]


class StagePlaybookForm(forms.ModelForm):
    """A stage's goal, exit criteria (required fields), talk track and expected duration."""

    required_fields = forms.MultipleChoiceField(
        choices=list(REQUIRABLE_FIELDS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        label="Required fields (exit criteria)",
    )

    class Meta:
        model = Stage
        fields = ["goal", "expected_days", "required_fields", "talk_track"]
        widgets = {
            "goal": forms.Textarea(attrs={"rows": 2}),
            "talk_track": forms.Textarea(attrs={"rows": 5}),
        }
        labels = {"expected_days": "Expected duration (days)"}


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["order", "name"]


class StageToolForm(forms.ModelForm):
    url = forms.URLField(required=False, assume_scheme="https", label="Link")

    class Meta:
        model = StageTool
        fields = ["title", "url", "file"]


class FollowUpTemplateForm(forms.ModelForm):
    class Meta:
        model = FollowUpTemplate
        fields = ["title", "description", "due_in_days", "assignee_rule"]
        widgets = {"description": forms.TextInput()}


MilestoneFormSet = forms.inlineformset_factory(
    Stage, Milestone, form=MilestoneForm, extra=2, can_delete=True
)
StageToolFormSet = forms.inlineformset_factory(
    Stage, StageTool, form=StageToolForm, extra=1, can_delete=True
)
FollowUpFormSet = forms.inlineformset_factory(
    Stage, FollowUpTemplate, form=FollowUpTemplateForm, extra=1, can_delete=True
)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    comment = forms.CharField(required=False, max_length=2000)


class PriceListForm(forms.ModelForm):
    class Meta:
        model = PriceList
        fields = ["name", "currency", "approval_threshold_percent", "is_default", "active"]
        labels = {"approval_threshold_percent": "Approval above discount %"}


class PriceListItemForm(forms.ModelForm):
    class Meta:
        model = PriceListItem
        fields = ["product", "unit_price"]


PriceListItemFormSet = forms.inlineformset_factory(
    PriceList, PriceListItem, form=PriceListItemForm, extra=2, can_delete=True
)
