"""``pipewise token create|revoke USERNAME`` and ``Authorization: Token KEY``."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from pipewise.customers.services import account_create
from pipewise.org.services import user_save


@pytest.fixture
def seller(db):
    user = user_save(username="seller", roles=["account_executive"])
    account_create(by=user, name="Alpen Maschinenbau GmbH")
    other = user_save(username="other", roles=["account_executive"])
    account_create(by=other, name="Pacific Tools Inc")
    return user


def token(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# Session authentication comes first in the settings, so DRF answers 403 (not 401) to
# a request whose credentials are missing or wrong; either way nothing is shown.
REFUSED = (401, 403)


def refused(response, detail="Invalid token.") -> bool:
    return response.status_code in REFUSED and response.json() == {"detail": detail}


def get(path, key=None):
    client = APIClient()
    if key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(path)


def test_it_prints_a_new_token_alone_on_the_last_line(seller):
    out, err = token("create", "seller")
    key = out.splitlines()[-1]
    assert key == Token.objects.get(user=seller).key
    assert re.fullmatch(r"[0-9a-f]{40}", key)
    assert "Authorization: Token" in err


def test_it_signs_in_with_the_token_and_shows_only_what_the_user_sees(seller):
    key = token("create", "seller")[0].splitlines()[-1]
    response = get("/api/v1/accounts/", key)
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Alpen Maschinenbau GmbH"]


def test_it_replaces_the_old_token_when_creating_a_new_one(seller):
    old = token("create", "seller")[0].splitlines()[-1]
    new = token("create", "seller")[0].splitlines()[-1]
    assert new != old
    assert refused(get("/api/v1/accounts/", old))
    assert get("/api/v1/accounts/", new).status_code == 200


def test_it_revokes_a_token(seller):
    key = token("create", "seller")[0].splitlines()[-1]
    out, _ = token("revoke", "seller")
    assert "revoked" in out
    assert not Token.objects.filter(user=seller).exists()
    assert refused(get("/api/v1/accounts/", key))


@pytest.mark.parametrize(
    ("key", "detail"),
    [
        (None, "Authentication credentials were not provided."),
        ("0" * 40, "Invalid token."),
        ("", "Invalid token header. No credentials provided."),
    ],
)
def test_it_refuses_requests_without_a_valid_token(seller, key, detail):
    assert refused(get("/api/v1/accounts/", key), detail)


def test_it_refuses_a_token_of_a_deactivated_user(seller):
    key = token("create", "seller")[0].splitlines()[-1]
    seller.is_active = False
    seller.save(update_fields=["is_active"])
    assert refused(get("/api/v1/accounts/", key), "User inactive or deleted.")


@pytest.mark.parametrize(("username", "message"), [("nobody", "No user"), ("gone", "deactivated")])
def test_it_refuses_to_issue_a_token_to_an_unknown_or_deactivated_user(db, username, message):
    gone = user_save(username="gone", roles=["sdr"])
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    with pytest.raises(CommandError, match=message):
        token("create", username)
    assert not Token.objects.exists()
