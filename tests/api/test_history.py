"""GET .../{id}/history/: who changed which field of a record, and when (newest first)."""

from __future__ import annotations

import pytest

from tests.api.support import ENTITIES

# entity: (field, its value in the book's ``ae`` record, a new value). Activities are not
# here: the Activity model keeps no change history yet.
CHANGES = {
    "accounts": ("name", "Alpen Maschinenbau GmbH", "Alpen Maschinenbau AG"),
    "contacts": ("last_name", "Huber", "Huber-Meier"),
    "leads": ("rating", "warm", "hot"),
    "opportunities": ("amount", "120000.00", "95000.00"),
    "tasks": ("title", "Send proposal", "Send the final proposal"),
}


@pytest.mark.parametrize("entity", CHANGES)
def test_it_tells_who_changed_which_field_from_what_to_what(api, people, book, entity):
    endpoint = ENTITIES[entity]
    record = book[entity]["ae"]
    field, old, new = CHANGES[entity]
    response = api.as_user(people.manager).patch(endpoint.url(record.pk), {field: new})
    assert response.status_code == 200, response.content

    response = api.as_user(people.ae).get(endpoint.url(record.pk, "history"))
    assert response.status_code == 200
    newest, *_, oldest = response.json()
    assert (newest["type"], newest["by"], newest["changes"]) == (
        "changed",
        "manager",
        {field: [old, new]},
    )
    assert (oldest["type"], oldest["by"], oldest["changes"]) == ("created", "ae", {})
    assert newest["at"] >= oldest["at"]


def test_it_keeps_deletion_and_restoration_in_the_history(api, people, book):
    endpoint = ENTITIES["opportunities"]
    deal = book["opportunities"]["ae"]
    assert api.as_user(people.ae).delete(endpoint.url(deal.pk)).status_code == 204
    assert api.as_user(people.ops).post(endpoint.url(deal.pk, "restore")).status_code == 200

    entries = api.as_user(people.ae).get(endpoint.url(deal.pk, "history")).json()
    assert [(e["type"], e["by"], list(e["changes"])) for e in entries[:2]] == [
        ("changed", "ops", ["deleted_at"]),
        ("changed", "ae", ["deleted_at"]),
    ]
    restored, deleted = entries[0]["changes"]["deleted_at"], entries[1]["changes"]["deleted_at"]
    assert restored[1] is None and deleted[0] is None and deleted[1] is not None


def test_it_records_stage_moves_in_the_history_as_well(api, people, book):
    deal = book["opportunities"]["ae"]
    client = api.as_user(people.ae)
    assert (
        client.post(
            f"{ENTITIES['opportunities'].url(deal.pk, 'win')}", {"confirm": True}
        ).status_code
        == 200
    )
    latest = client.get(ENTITIES["opportunities"].url(deal.pk, "history")).json()[0]
    assert latest["by"] == "ae"
    assert {"stage", "status", "closed_at", "forecast_category"} <= set(latest["changes"])
    assert latest["changes"]["status"] == ["open", "won"]
