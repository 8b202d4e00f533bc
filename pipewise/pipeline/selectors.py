"""Reads about sales processes and opportunities."""

from __future__ import annotations

from django.db.models import DecimalField, ExpressionWrapper, F, QuerySet, Sum

from pipewise.pipeline.choices import StageKind
from pipewise.pipeline.models import Opportunity, Pipeline, Stage


def default_pipeline() -> Pipeline:
    return Pipeline.objects.get(is_default=True)


def outcome_stage(pipeline: Pipeline, kind: str) -> Stage:
    """The pipeline's Won (or Lost) stage."""
    return pipeline.stages.filter(kind=kind).order_by("order").first()


def first_open_stage(pipeline: Pipeline) -> Stage:
    return pipeline.stages.filter(kind=StageKind.OPEN).order_by("order").first()


def opportunity_list(queryset: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    """What every opportunity list needs, with a fixed number of queries.

    Account, stage and owner come by prefetch (one ``IN`` query each), not by
    join: with joins, SQLite's planner drives the query from the joined table
    (the visible owners, or all accounts) and sorts every matching deal, a
    cost that grows with the table. Unjoined, the page query walks the
    primary key (or the filter's index) and stops at the page size.
    """
    return queryset.prefetch_related("account", "stage", "owner")


def opportunity_totals(queryset: QuerySet[Opportunity]) -> dict:
    """Count, amount and probability-weighted amount of a (filtered) set of opportunities."""
    weighted = ExpressionWrapper(
        F("amount") * F("stage__probability") / 100,
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )
    # The aliases must differ from the field names: an aggregate named "amount" would
    # shadow the field that the weighted sum reads (FieldError "'amount' is an aggregate").
    totals = queryset.order_by().aggregate(total_amount=Sum("amount"), total_weighted=Sum(weighted))
    return {"amount": totals["total_amount"], "weighted": totals["total_weighted"]}
