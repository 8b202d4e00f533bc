"""Web forms of the process matrix (stage playbook, milestones, tools, follow-ups) and quotes."""

from __future__ import annotations

from django import forms

from pipewise.catalog.models import PriceList, PriceListItem
from pipewise.pipeline.choices import REQUIRABLE_FIELDS
from pipewise.pipeline.models import FollowUpTemplate, Milestone, Stage, StageTool


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
