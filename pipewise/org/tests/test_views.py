"""Settings pages for users and roles, teams and territories."""

from __future__ import annotations

from django.test import Client

from pipewise.org.models import Team, Territory, User


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_settings_are_for_admins_and_sales_ops(people):
    for name in ("ae", "manager", "executive", "marketing"):
        assert signed_in(getattr(people, name)).get("/settings/users/").status_code == 403
    assert signed_in(people.ops).get("/settings/users/").status_code == 200
    assert signed_in(people.admin).get("/settings/territories/").status_code == 200


def test_the_admin_creates_a_user_with_roles(people):
    response = signed_in(people.admin).post("/settings/users/new/", {
        "username": "newbie", "first_name": "New", "last_name": "Rep",
        "email": "newbie@example.com", "roles": ["sdr"], "manager": people.manager.pk,
        "territories": [people.bavaria.pk], "password": "a-long-enough-password"})
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert user.role_keys == {"sdr"} and user.manager == people.manager
    assert user.check_password("a-long-enough-password")


def test_only_admins_change_users(people):
    assert signed_in(people.ops).get("/settings/users/new/").status_code == 403


def test_a_reporting_loop_is_refused_with_a_message(people):
    response = signed_in(people.admin).post(f"/settings/users/{people.manager.pk}/", {
        "username": "manager", "roles": ["sales_manager"], "manager": people.ae.pk})
    assert response.status_code == 200
    assert "a reporting line cannot loop" in response.content.decode()


def test_teams_and_territories(people):
    client = signed_in(people.ops)
    client.post("/settings/teams/new/", {"name": "Enterprise South",
                                         "manager": people.manager.pk})
    assert Team.objects.filter(name="Enterprise South", manager=people.manager).exists()
    assert "Enterprise South" in client.get("/settings/teams/").content.decode()
    wrong = client.post("/settings/territories/new/", {"name": "Munich", "code": "DE-BY-M",
                                                        "level": "area",
                                                        "parent": people.emea.pk})
    assert "belongs under a country" in wrong.content.decode()
    client.post("/settings/territories/new/", {"name": "Hesse", "code": "DE-HE",
                                               "level": "area", "parent": people.germany.pk})
    assert Territory.objects.get(code="DE-HE").parent == people.germany
    tree = client.get("/settings/territories/").content.decode()
    assert tree.index(">EMEA</a>") < tree.index(">Germany</a>") < tree.index(">Hesse</a>")
