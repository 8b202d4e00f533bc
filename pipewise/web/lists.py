"""Keyset pagination and column sort for every web list.

A page is fetched with ``ORDER BY <column>, id LIMIT n+1`` and a cursor
(``?after=`` / ``?before=``) holding the last row's sort value and id, so the cost
of a page does not depend on the size of the table: no ``OFFSET``, no ``COUNT(*)``.
Rows whose sort value is NULL (no score, no due date) come after the others in
either direction: the empty ones last.
"""

from __future__ import annotations

import base64
import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, Q, QuerySet

PAGE_SIZE = 50

COUNT_CAP = 10_000
"""A list counts its rows up to this many, then says "10,000+" (no COUNT over the table)."""


@dataclass
class KeysetPage:
    """One page of a list, with the links to its neighbours."""

    rows: list
    sort: str
    sort_options: dict[str, str]
    next_cursor: str | None = None
    prev_cursor: str | None = None
    params: dict = field(default_factory=dict)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.prev_cursor)


def _encode(sort: str, value, pk: int) -> str:
    if isinstance(value, datetime.datetime | datetime.date | Decimal):
        value = str(value) if isinstance(value, Decimal) else value.isoformat()
    raw = json.dumps([sort, value, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str, sort: str):
    try:
        padded = token + "=" * (-len(token) % 4)
        token_sort, value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        pk = int(pk)
    except (ValueError, TypeError):
        return None
    if token_sort != sort:
        return None
    return value, pk


def _is_nullable(model, path: str) -> bool:
    parts = path.split("__")
    nullable = False
    for part in parts:
        try:
            model_field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return True
        nullable = nullable or model_field.null
        if model_field.is_relation and model_field.related_model is not None:
            model = model_field.related_model
    return nullable


def _after(path: str, value, pk: int, ascending: bool, nullable: bool, nulls_first: bool) -> Q:
    """Rows strictly after (value, pk) in the order (path, id), both ascending or descending,
    with the rows whose value is NULL before (``nulls_first``) or after all the others."""
    if path == "id":
        return Q(id__gt=pk) if ascending else Q(id__lt=pk)
    id_after = Q(id__gt=pk) if ascending else Q(id__lt=pk)
    if value is None:
        condition = Q(**{f"{path}__isnull": True}) & id_after
        return condition | Q(**{f"{path}__isnull": False}) if nulls_first else condition
    beyond = f"{path}__gt" if ascending else f"{path}__lt"
    condition = Q(**{beyond: value}) | (Q(**{path: value}) & id_after)
    return condition | Q(**{f"{path}__isnull": True}) if nullable and not nulls_first else condition


def _ordering(path: str, ascending: bool, nullable: bool, nulls_first: bool) -> list:
    if path == "id":
        return [F("id").asc() if ascending else F("id").desc()]
    nulls = {"nulls_first": True} if nulls_first else {"nulls_last": True}
    nulls = nulls if nullable else {}
    column = F(path).asc(**nulls) if ascending else F(path).desc(**nulls)
    return [column, F("id").asc() if ascending else F("id").desc()]


def _value(row, path: str):
    for part in path.split("__"):
        row = getattr(row, part, None) if row is not None else None
    if hasattr(row, "pk"):
        row = row.pk
    return row


def keyset_page(
    request,
    queryset: QuerySet,
    *,
    sort_options: dict[str, tuple[str, str]],
    default_sort: str = "-id",
    size: int = PAGE_SIZE,
) -> KeysetPage:
    """The page of ``queryset`` that the request's ``sort``/``after``/``before`` ask for.

    ``sort_options`` maps a URL key to (column label, ORM path); ``?sort=-key``
    sorts descending.
    """
    sort = request.GET.get("sort") or default_sort
    key = sort.removeprefix("-")
    if key not in sort_options and key != "id":
        sort, key = default_sort, default_sort.removeprefix("-")
    path = "id" if key == "id" else sort_options[key][1]
    ascending = not sort.startswith("-")
    nullable = _is_nullable(queryset.model, path)

    after = _decode(request.GET.get("after", ""), sort) if request.GET.get("after") else None
    before = _decode(request.GET.get("before", ""), sort) if request.GET.get("before") else None
    if before is not None:
        # Walking back: the page order reversed, so the empty values come first.
        rows = list(
            queryset.filter(
                _after(path, before[0], before[1], not ascending, nullable, True)
            ).order_by(*_ordering(path, not ascending, nullable, True))[: size + 1]
        )
        has_prev = len(rows) > size
        rows = list(reversed(rows[:size]))
        has_next = True
    else:
        page = queryset
        if after is not None:
            page = page.filter(_after(path, after[0], after[1], ascending, nullable, False))
        rows = list(page.order_by(*_ordering(path, ascending, nullable, False))[: size + 1])
        has_next = len(rows) > size
        rows = rows[:size]
        has_prev = after is not None
    result = KeysetPage(
        rows=rows, sort=sort, sort_options={k: v[0] for k, v in sort_options.items()}
    )
    if rows and has_next:
        result.next_cursor = _encode(sort, _value(rows[-1], path), rows[-1].pk)
    if rows and has_prev:
        result.prev_cursor = _encode(sort, _value(rows[0], path), rows[0].pk)
    return result


def list_count(page: KeysetPage, queryset: QuerySet, cap: int = COUNT_CAP) -> int:
    """How many rows the list holds: the page's own when it is the only page (no query),
    else a ``capped_count``."""
    if not page.has_other_pages:
        return len(page.rows)
    return capped_count(queryset, cap)


def capped_count(queryset: QuerySet, cap: int = COUNT_CAP) -> int:
    """How many rows the (filtered) list holds, up to ``cap + 1``: one ``COUNT`` over a
    ``LIMIT``-ed subquery, which stops reading the index after ``cap + 1`` rows."""
    return queryset.order_by()[: cap + 1].count()


def count_label(count: int, noun: str, cap: int = COUNT_CAP) -> str:
    """ "1 open lead", "2,345 open leads", "10,000+ open leads" (a ``capped_count``)."""
    word = noun if count == 1 else f"{noun}s"
    return f"{cap:,}+ {word}" if count > cap else f"{count:,} {word}"
