"""Exports of a list's filtered view: XLSX has a row limit, CSV streams any size."""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.test import Client

from pipewise.web import export


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_refuses_an_xlsx_beyond_the_limit_and_keeps_the_filters(sales, people, monkeypatch):
    monkeypatch.setattr(export, "XLSX_ROW_LIMIT", 1)
    client = signed_in(people.admin)  # sees both of the book's deals
    response = client.get("/opportunities/", {"export": "xlsx", "status": "open"})
    assert response.status_code == 302
    assert response["Location"] == "/opportunities/?status=open"
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == [export.XLSX_TOO_BIG.format(limit=1)]


def test_it_still_writes_an_xlsx_at_the_limit(sales, people, monkeypatch):
    monkeypatch.setattr(export, "XLSX_ROW_LIMIT", 2)
    response = signed_in(people.admin).get("/opportunities/", {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_csv_has_no_row_limit(sales, people, monkeypatch):
    monkeypatch.setattr(export, "XLSX_ROW_LIMIT", 1)
    response = signed_in(people.admin).get("/opportunities/", {"export": "csv"})
    body = b"".join(response.streaming_content).decode()
    assert response.status_code == 200 and len(body.strip().splitlines()) == 3  # header + 2
