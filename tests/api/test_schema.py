"""The OpenAPI document at /api/schema/ and the browsable docs at /api/docs/."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

RECORD_ACTIONS = {
    "accounts": {},
    "contacts": {},
    "leads": {"convert": "post", "duplicates": "get", "status": "post"},
    "opportunities": {
        "move": "post",
        "win": "post",
        "lose": "post",
        "reopen": "post",
        "stage-history": "get",
    },
    "activities": {},
    "tasks": {"complete": "post"},
}
CONFIGURATION = [
    "users",
    "teams",
    "territories",
    "segments",
    "product-lines",
    "products",
    "pipelines",
    "stages",
]


def expected_operations() -> set[tuple[str, str]]:
    operations = set()
    for name in [*RECORD_ACTIONS, *CONFIGURATION]:
        operations |= {(f"/api/v1/{name}/", "get"), (f"/api/v1/{name}/", "post")}
        detail = f"/api/v1/{name}/{{id}}/"
        operations |= {(detail, "get"), (detail, "put"), (detail, "patch")}
        if name != "users":  # people are deactivated, not deleted
            operations.add((detail, "delete"))
    for name, actions in RECORD_ACTIONS.items():
        actions = {"history": "get", "restore": "post", **actions}
        operations |= {(f"/api/v1/{name}/{{id}}/{a}/", m) for a, m in actions.items()}
    return operations


@pytest.fixture
def schema(client, db) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_it_publishes_a_valid_openapi_3_document(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on any violation of the OpenAPI 3 JSON schema


def test_it_documents_every_endpoint_and_action(schema):
    documented = {(path, method) for path, item in schema["paths"].items() for method in item}
    assert expected_operations() <= documented
    assert ("/api/v1/users/{id}/", "delete") not in documented


def test_it_documents_token_and_session_authentication(schema):
    schemes = schema["components"]["securitySchemes"]
    assert {"tokenAuth", "cookieAuth"} <= set(schemes)
    assert schemes["tokenAuth"]["type"] == "apiKey"


def test_it_generates_the_schema_without_warnings(tmp_path):
    # --fail-on-warn raises when drf-spectacular had to guess a type or a serializer.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "s.yaml")
    assert "/api/v1/opportunities/{id}/win/" in (tmp_path / "s.yaml").read_text()


def test_it_serves_the_docs_from_our_own_static_files_only(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"https?://|[\"'(]//", html), "the docs page names an external host"
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not shipped"
