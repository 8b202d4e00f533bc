"""Web forms for leads: details, status, conversion and bulk changes (services do the writes)."""

from __future__ import annotations

from django import forms

from pipewise.leads.choices import MANUAL_TRANSITIONS, LeadStatus, Rating
from pipewise.leads.models import Lead
from pipewise.org.models import Territory, User
from pipewise.pipeline.selectors import pipelines_in_use

LEAD_FORM_FIELDS = [
    "first_name",
    "last_name",
    "title",
    "company",
    "email",
    "phone",
    "industry",
    "country",
    "territory",
    "source",
    "campaign",
    "rating",
    "owner",
]


def active_people():
    return User.objects.filter(is_active=True).order_by("first_name", "last_name")


class LeadForm(forms.ModelForm):
    """Create or edit a lead; carries the version it was read at."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Lead
        fields = LEAD_FORM_FIELDS
        labels = {"country": "Country (ISO code)"}
        widgets = {"country": forms.TextInput(attrs={"maxlength": 2, "placeholder": "DE"})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = active_people()
        self.fields["owner"].required = False
        self.fields["owner"].help_text = "Leave empty to keep it yourself."
        self.fields["territory"].queryset = Territory.objects.order_by("name")
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["owner"].required = True
            self.fields["owner"].help_text = ""

    def values(self) -> dict:
        values = {name: self.cleaned_data.get(name) for name in LEAD_FORM_FIELDS}
        values["country"] = (values.get("country") or "").upper()
        if values.get("owner") is None:
            values.pop("owner")
        return values


class LeadStatusForm(forms.Form):
    """Work, qualify, disqualify (with a reason) or reopen a lead."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    status = forms.ChoiceField(choices=[])
    reason = forms.CharField(
        max_length=200, required=False, label="Reason (required to disqualify)"
    )

    def __init__(self, *args, lead: Lead, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = MANUAL_TRANSITIONS.get(LeadStatus(lead.status), set())
        self.fields["status"].choices = [c for c in LeadStatus.choices if c[0] in allowed]
        self.fields["version"].initial = lead.version


class LeadConvertForm(forms.Form):
    """Turn a lead into an account, a contact and (optionally) a deal, linking duplicates."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    account = forms.ModelChoiceField(queryset=None, required=False, widget=forms.HiddenInput)
    contact = forms.ModelChoiceField(queryset=None, required=False, widget=forms.HiddenInput)
    create_opportunity = forms.BooleanField(
        required=False, initial=True, label="Create an opportunity"
    )
    opportunity_name = forms.CharField(max_length=200, required=False)
    amount = forms.DecimalField(max_digits=16, decimal_places=2, min_value=0, required=False)
    close_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    pipeline = forms.ModelChoiceField(
        queryset=pipelines_in_use(), required=False, empty_label="Default"
    )
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="Lead's owner")

    def __init__(self, *args, lead: Lead, accounts, contacts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts
        self.fields["contact"].queryset = contacts
        self.fields["owner"].queryset = active_people()
        self.fields["version"].initial = lead.version
        self.fields["opportunity_name"].initial = (
            f"{lead.company.strip()} — new business" if lead.company.strip() else ""
        )

    def values(self) -> dict:
        data = self.cleaned_data
        values = {
            "account": data.get("account"),
            "contact": data.get("contact"),
            "create_opportunity": data.get("create_opportunity", False),
            "opportunity_name": data.get("opportunity_name") or "",
            "amount": data.get("amount"),
            "close_date": data.get("close_date"),
            "pipeline": data.get("pipeline"),
            "owner": data.get("owner"),
        }
        return values


class LeadBulkForm(forms.Form):
    """Assign many leads to one person, or re-rate them, at once."""

    ACTIONS = [("assign", "Assign to"), ("rate", "Re-rate as")]

    action = forms.ChoiceField(choices=ACTIONS)
    leads = forms.ModelMultipleChoiceField(queryset=None)
    owner = forms.ModelChoiceField(queryset=None, required=False)
    rating = forms.ChoiceField(choices=[("", "—"), *Rating.choices], required=False)

    def __init__(self, *args, visible, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leads"].queryset = visible
        self.fields["owner"].queryset = active_people()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "assign" and not cleaned.get("owner"):
            self.add_error("owner", "Choose who gets the selected leads.")
        if cleaned.get("action") == "rate" and not cleaned.get("rating"):
            self.add_error("rating", "Choose the new rating.")
        return cleaned
