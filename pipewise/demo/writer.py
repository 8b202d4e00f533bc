"""Fast batched writes of generated records: rows by model, parents before children.

Generators ``add(Model, field=value, ...)`` one row at a time and get its
primary key back at once: keys are reserved ahead (from the table's sequence on
PostgreSQL; on SQLite, above the current maximum, which is safe because the
demo holds SQLite's write lock for its whole transaction). So a stage change
can name its opportunity before either is written. ``flush`` inserts every
pending kind in dependency order with one ``executemany`` per table and keeps
nothing, so memory stays flat however big the demo is.

Why not ``Model(...)`` + ``bulk_create``: building a model instance and
compiling it into SQL costs about 80 µs a row, two minutes for the 1.5 million
rows of a 100 000-deal demo, before SQLite does any work. Here a row costs a
few microseconds. What stays from the ORM: column names, field defaults and
the backend's own value adapters come from the model's ``_meta``, and an
unknown or missing field is an error. What goes: ``save()``, validation and
history rows; the generators produce records the services would have accepted,
and the demo tests check that they do (``full_clean`` and the constraints).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from operator import itemgetter

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.utils import timezone

from pipewise.activities.models import Activity, Task, TodoItem
from pipewise.customers.models import Account, Contact
from pipewise.leads.models import Lead, LeadStatusChange
from pipewise.pipeline.models import LineItem, Opportunity, StageChange

# Parents before children.
WRITE_ORDER: tuple[type[models.Model], ...] = (
    Account,
    Contact,
    Lead,
    LeadStatusChange,
    Opportunity,
    StageChange,
    LineItem,
    Activity,
    Task,
    TodoItem,
)
IDS_PER_RESERVATION = 5000


@contextmanager
def indexes_deferred(progress=None, connection=None) -> Iterator[None]:
    """On SQLite, build the secondary indexes of the demo's empty tables after the load.

    Keeping seven B-trees of a million-row table in order while rows arrive
    costs about twice as much as sorting them once at the end. Only empty
    tables are touched (a fresh load), only indexes SQLite can recreate from
    their stored SQL, and only inside the caller's transaction: if the load
    fails, the rollback puts the indexes back as they were. Other databases
    are left alone. ``progress`` (see ``demo_generate``) shows the rebuild.
    """
    connection = connection or connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "sqlite":
        yield
        return
    quote = connection.ops.quote_name
    dropped: list[str] = []
    with connection.cursor() as cursor:
        for model in WRITE_ORDER:
            table = model._meta.db_table
            cursor.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1")
            if cursor.fetchone():
                continue
            cursor.execute(
                "SELECT name, sql FROM sqlite_master"
                " WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL ORDER BY name",
                [table],
            )
            for name, sql in cursor.fetchall():
                cursor.execute(f"DROP INDEX {quote(name)}")
                dropped.append(sql)
    yield
    bar = progress("indexes", len(dropped), "indexes") if progress and dropped else None
    with connection.cursor() as cursor:
        for sql in dropped:
            cursor.execute(sql)
            if bar:
                bar.update(1)
    if bar:
        bar.close()


class _Table:
    """Pending rows of one model, in the column order fixed by its first row."""

    def __init__(self, writer: BulkWriter, model: type[models.Model]):
        self.writer = writer
        self.model = model
        self.names: tuple[str, ...] | None = None
        self.values_of = None
        self.rows: list[list] = []
        self.sql = ""
        self.defaults: list = []
        self.adapters: list[tuple[int, object]] = []

    def _prepare(self, names: tuple[str, ...]) -> None:
        """Fix the columns: the given fields, then every other field at its default."""
        meta, ops, conn = self.model._meta, self.writer.connection.ops, self.writer.connection
        given = [meta.get_field(name) for name in names]
        unknown = [name for name, f in zip(names, given, strict=True) if f.attname != name]
        if unknown:
            raise ValueError(f"{meta.label}: pass foreign keys as *_id: {unknown}")
        rest = [f for f in meta.concrete_fields if f.attname not in names and not f.primary_key]
        now = self.writer.now
        for f in rest:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            elif f.has_default() or f.null or f.blank:
                value = f.get_default()
            else:
                raise ValueError(f"{meta.label}: no value for required field {f.attname!r}")
            self.defaults.append(f.get_db_prep_save(value, conn))
        fields = [*given, *rest]
        for index, f in enumerate(given):
            if isinstance(f, models.DateTimeField):
                self.adapters.append((index, self.writer.adapt_datetime))
            elif isinstance(f, models.DateField):
                self.adapters.append((index, ops.adapt_datefield_value))
        self.names = names
        self.values_of = itemgetter(*names[1:])
        columns = ", ".join(ops.quote_name(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        self.sql = f"INSERT INTO {ops.quote_name(meta.db_table)} ({columns}) VALUES ({marks})"

    def add(self, pk: int, values: dict) -> None:
        if self.names is None:
            self._prepare(("id", *values))
        if len(values) + 1 != len(self.names):
            raise ValueError(f"{self.model._meta.label}: other fields than {self.names}")
        row = [pk, *self.values_of(values), *self.defaults]
        for index, adapt in self.adapters:
            value = row[index]
            if value is not None:
                row[index] = adapt(value)
        self.rows.append(row)


class BulkWriter:
    """Collects generated rows and writes them in batches, counting what it wrote."""

    def __init__(self, flush_every: int = 20_000, connection=None):
        self.connection = connection or connections[DEFAULT_DB_ALIAS]
        self.flush_every = flush_every
        self.now = timezone.now()
        self.tables = {model: _Table(self, model) for model in WRITE_ORDER}
        self.written: Counter[type[models.Model]] = Counter()
        self._pending = 0
        self._free_ids: dict[type[models.Model], list[int]] = {m: [] for m in WRITE_ORDER}
        self._next_id: dict[type[models.Model], int] = {}
        self.adapt_datetime = self._datetime_adapter()

    def add(self, model: type[models.Model], **values) -> int:
        """Queue one row (foreign keys as ``*_id``); return its primary key."""
        free = self._free_ids[model]
        if not free:
            free.extend(reversed(self._reserve_ids(model, IDS_PER_RESERVATION)))
        pk = free.pop()
        self.tables[model].add(pk, values)
        self._pending += 1
        return pk

    def _datetime_adapter(self):
        """The backend's datetime adapter; on SQLite a faster twin giving the same text.

        Django's SQLite adapter makes an aware datetime naive in the connection's
        time zone and writes ``str()`` of it; this does exactly that, skipping
        the conversion when the value already is in that zone (the demo
        calendar's are, in UTC) and the checks that cost a third of the time.
        """
        ops = self.connection.ops
        if self.connection.vendor != "sqlite" or not settings.USE_TZ:
            return ops.adapt_datetimefield_value
        zone = self.connection.timezone
        last = [None, None]  # the last value adapted and its text: a record's created_at is
        # often the same moment as its occurred_at or changed_at

        def adapt(value):
            if value is not last[0]:
                same_zone = value.tzinfo is zone or value.utcoffset() == zone.utcoffset(value)
                naive = value if same_zone else value.astimezone(zone)
                last[0], last[1] = value, str(naive.replace(tzinfo=None))
            return last[1]

        return adapt

    @property
    def full(self) -> bool:
        """Whether enough is pending that the caller should flush at its next safe point."""
        return self._pending >= self.flush_every

    def flush(self) -> None:
        """Insert everything pending, parents first, one ``executemany`` per table."""
        with self.connection.cursor() as cursor:
            for model in WRITE_ORDER:
                table = self.tables[model]
                if table.rows:
                    cursor.executemany(table.sql, table.rows)
                    self.written[model] += len(table.rows)
                    table.rows = []
        self._pending = 0

    def _reserve_ids(self, model: type[models.Model], count: int) -> list[int]:
        """Primary keys nobody else will use. Precondition: inside the demo's transaction."""
        table = self.connection.ops.quote_name(model._meta.db_table)
        column = model._meta.pk.column
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [model._meta.db_table, column, count],
                )
                return sorted(row[0] for row in cursor.fetchall())
            if model not in self._next_id:
                cursor.execute(f"SELECT MAX({self.connection.ops.quote_name(column)}) FROM {table}")
                self._next_id[model] = (cursor.fetchone()[0] or 0) + 1
        start = self._next_id[model]
        self._next_id[model] = start + count
        return list(range(start, start + count))
