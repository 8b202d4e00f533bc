"""What the API tests share besides fixtures: the entity endpoints and a database snapshot."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db.models import Count, Sum

from pipewise.activities.models import Activity, Task
from pipewise.customers.models import Account, Contact
from pipewise.leads.models import Lead
from pipewise.pipeline.models import Opportunity

API = "/api/v1"


@dataclass(frozen=True)
class Entity:
    """A business-record endpoint of the API and the model behind it."""

    path: str
    model: type
    keys: tuple[str, ...]

    def url(self, pk=None, action: str | None = None) -> str:
        url = f"{API}/{self.path}/"
        if pk is not None:
            url += f"{pk}/"
        if action:
            url += f"{action}/"
        return url

    def __str__(self):
        return self.path


ENTITIES = {
    "accounts": Entity("accounts", Account, ("ae", "other", "de")),
    "contacts": Entity("contacts", Contact, ("ae", "other", "de")),
    "leads": Entity("leads", Lead, ("ae", "other", "sdr")),
    "opportunities": Entity("opportunities", Opportunity, ("ae", "other", "mgr")),
    "activities": Entity("activities", Activity, ("ae", "other", "sdr")),
    "tasks": Entity("tasks", Task, ("ae", "other", "sdr")),
}


def database_state() -> dict[str, tuple]:
    """Rows (and the sum of versions) of every Pipewise table, history tables included.

    Two equal states before and after a refused request prove it wrote nothing.
    """
    state = {}
    for model in apps.get_models():
        if not model.__module__.startswith("pipewise."):
            continue
        totals = {"rows": Count("pk")}
        if any(f.name == "version" for f in model._meta.concrete_fields):
            totals["versions"] = Sum("version")
        state[model._meta.label] = tuple(model._base_manager.aggregate(**totals).values())
    return state
