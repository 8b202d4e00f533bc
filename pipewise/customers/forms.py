"""Web forms for accounts and contacts (the services do the writing)."""

from __future__ import annotations

from django import forms
from django.urls import reverse_lazy

from pipewise.customers.models import Account, Contact
from pipewise.customers.permissions import account_visible_to
from pipewise.org.models import Segment, Territory, User
from pipewise.web.forms import LookupSelect

ACCOUNT_FORM_FIELDS = [
    "name",
    "domain",
    "type",
    "industry",
    "employees",
    "annual_revenue",
    "street",
    "city",
    "postcode",
    "country",
    "territory",
    "segment",
    "owner",
]
CONTACT_FORM_FIELDS = [
    "account",
    "first_name",
    "last_name",
    "title",
    "email",
    "phone",
    "buying_role",
    "owner",
]


def _people():
    return User.objects.filter(is_active=True).order_by("first_name", "last_name")


class AccountForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Account
        fields = ACCOUNT_FORM_FIELDS
        labels = {"country": "Country (ISO code)", "employees": "Employees"}
        widgets = {"country": forms.TextInput(attrs={"maxlength": 2, "placeholder": "DE"})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()
        self.fields["owner"].required = False
        self.fields["territory"].queryset = Territory.objects.order_by("name")
        self.fields["segment"].queryset = Segment.objects.order_by("name")
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["owner"].required = True
        else:
            self.fields["owner"].help_text = "Leave empty to own it yourself."

    def values(self) -> dict:
        values = {name: self.cleaned_data.get(name) for name in ACCOUNT_FORM_FIELDS}
        if values.get("owner") is None:
            values.pop("owner")
        return values


class ContactForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Contact
        fields = CONTACT_FORM_FIELDS

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = account_visible_to(user)
        self.fields["account"].widget = LookupSelect(
            lookup_url=reverse_lazy("customers:account_lookup")
        )
        self.fields["owner"].queryset = _people()
        self.fields["owner"].required = False
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["owner"].required = True
        else:
            self.fields["owner"].help_text = "Leave empty to own it yourself."

    def values(self) -> dict:
        values = {name: self.cleaned_data.get(name) for name in CONTACT_FORM_FIELDS}
        if values.get("owner") is None:
            values.pop("owner")
        return values
