"""``GET /healthz``: 200 while the database answers, 503 when it does not."""

from __future__ import annotations

from django.db import OperationalError

from pipewise.core import views


def test_it_answers_200_when_the_database_is_up(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_it_needs_no_sign_in_and_only_answers_get(client, db):
    assert client.head("/healthz").status_code in (200, 405)
    assert client.post("/healthz").status_code == 405


def test_it_answers_503_when_the_database_is_down(client, db, monkeypatch):
    class Unreachable:
        def cursor(self):
            raise OperationalError("could not connect to server")

    monkeypatch.setattr(views, "connection", Unreachable())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert "could not connect" in response.json()["database"]
