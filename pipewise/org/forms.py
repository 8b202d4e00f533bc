"""Settings forms: people and their roles, teams, territories (org services do the writing)."""

from __future__ import annotations

from django import forms

from pipewise.org.choices import Role, TerritoryLevel
from pipewise.org.models import Team, Territory, User


class UserForm(forms.Form):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    title = forms.CharField(max_length=120, required=False, label="Job title")
    roles = forms.MultipleChoiceField(
        choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    manager = forms.ModelChoiceField(queryset=None, required=False, label="Reports to")
    team = forms.ModelChoiceField(queryset=None, required=False)
    territories = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="Leave empty to keep the current password.",
    )

    def __init__(self, *args, user: User | None = None, **kwargs):
        if user is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "username": user.username,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email": user.email,
                "title": user.title,
                "roles": sorted(user.role_keys),
                "manager": user.manager_id,
                "team": user.team_id,
                "territories": list(user.territories.values_list("pk", flat=True)),
            }
        super().__init__(*args, **kwargs)
        people = User.objects.filter(is_active=True).order_by("first_name", "last_name")
        if user is not None:
            people = people.exclude(pk=user.pk)
        self.fields["manager"].queryset = people
        self.fields["team"].queryset = Team.objects.order_by("name")
        self.fields["territories"].queryset = Territory.objects.order_by("name")
        if user is None:
            self.fields["password"].help_text = "Empty: the person cannot log in until one is set."

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "username": data["username"],
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "email": data["email"],
            "title": data["title"],
            "roles": data["roles"],
            "manager": data["manager"],
            "team": data["team"],
            "territories": list(data["territories"]),
            "password": data["password"] or None,
        }


class TeamForm(forms.Form):
    name = forms.CharField(max_length=120)
    manager = forms.ModelChoiceField(queryset=None, required=False)
    territory = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = User.objects.filter(is_active=True).order_by(
            "first_name"
        )
        self.fields["territory"].queryset = Territory.objects.order_by("name")


class TerritoryForm(forms.Form):
    name = forms.CharField(max_length=120)
    code = forms.CharField(max_length=40, help_text="Short key used by imports, e.g. DE-BY.")
    level = forms.ChoiceField(choices=TerritoryLevel.choices)
    parent = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, *args, territory: Territory | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Territory.objects.exclude(level=TerritoryLevel.AREA).order_by("name")
        if territory is not None:
            parents = parents.exclude(pk=territory.pk)
        self.fields["parent"].queryset = parents
