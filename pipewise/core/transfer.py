"""Import and export of business records as spreadsheets (CSV and XLSX).

Sales operations move data in and out of Pipewise as spreadsheets: the first
load from an old CRM, a trade-show lead list, a periodic sync with the ERP, a
quarter's closed deals for finance. This module is the engine that every kind
of record shares; each app says what its kinds look like in its own
``transfer.py`` (``pipewise.leads.transfer`` for leads, and so on):

* **Columns.** A kind has canonical columns (``Column``); the export writes
  exactly these, and the import reads them back (round trip). ``--map SRC=DST``
  renames a file's column to a canonical one.
* **Cells.** An empty cell means "not given": a new record gets the default, an
  existing record keeps its value. Dates are ISO 8601. Parsers here turn cells
  into Python values or raise ``CellError`` with a message for the user.
* **References.** Records point at each other by ``external_id`` (or, for a
  record that has none, ``pipewise:<id>``, which is what the export writes);
  people by username or e-mail, territories by code, segments, teams and
  pipelines by name (``Reference`` subclasses).
* **All or nothing.** Pass 1 reads every row, checks cells, references, the
  kind's rules and the model's field rules, and spools the good rows to a
  temporary file (memory stays flat however long the file is). Pass 2 writes
  the rows in one transaction: through the app's services, or in bulk for kinds
  that must be fast (leads). Every problem becomes a ``Problem`` naming the row
  and column; if there is any, the transaction is rolled back and nothing is
  written. ``dry_run`` runs both passes and always rolls back.
* **Upsert.** A row whose key (``external_id``; ``username`` for users) matches
  a record updates it, else creates one, so importing a file twice does not
  duplicate anything; a row that changes nothing writes nothing.
* **Export** streams any queryset, so the web UI can export "the current
  filtered view" of what a user sees with the same code as the CLI
  (``export_records(kind, out, queryset=...)`` or ``user=...``). It reads
  plain values, not model instances: each column names the database path of
  its value (``Column.export``, by default the field or the reference's key),
  and the rows come from ``values_list(...).iterator()`` (a server-side cursor
  on PostgreSQL, so memory stays flat), see ``ExportPlan``. A kind whose values
  cannot be read that way (many-valued columns) exports instances instead
  (``TransferKind.exports_instances`` and ``to_row``).
"""

from __future__ import annotations

import codecs
import copy
import csv
import dataclasses
import datetime
import difflib
import io
import itertools
import operator
import pickle
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    ImproperlyConfigured,
    ValidationError,
)
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import IntegrityError, connections, models, transaction
from django.db.models import QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.functional import cached_property

from pipewise.core.money import to_money

BATCH_SIZE = 2000
EXPORT_CHUNK_SIZE = 5000  # rows fetched from the database cursor at a time
CSV_CHUNK_ROWS = 1000  # rows per piece of CSV text handed to the response or file
SYNTHETIC_PREFIX = "pipewise:"
FORMATS = ("csv", "xlsx")

# --- messages the user sees (tests reuse them) ------------------------------------------
UNKNOWN_COLUMN = "unknown column; the {kind} columns are: {columns}"
DUPLICATE_COLUMN = "appears twice in the header (columns {first} and {second})"
MISSING_KEY_COLUMN = "missing column: every row needs its {key} so that a second import updates"
UNNAMED_COLUMN = "a value in column {position}, which has no name in the header"
MAP_SYNTAX = "--map takes SRC=DST, e.g. --map 'E-mail=email'; got {given!r}"
MAP_UNKNOWN_TARGET = "--map {source}={target}: {target!r} is not a {kind} column"
MAP_UNKNOWN_SOURCE = "--map {source}={target}: the file has no column {source!r}"
REQUIRED = "required for a new {noun}"
KEY_REQUIRED = "required: the key that identifies the {noun}"
DUPLICATE_KEY = "{key!r} appears again (first in row {first}); each {noun} once per file"
DELETED_RECORD = "{key!r} is a deleted {noun}; restore it in Pipewise first"
UNKNOWN_RECORD = "no {noun} has the external_id {key!r}"
DELETED_REFERENCE = "{key!r} is a deleted {noun}"
UNKNOWN_USER = "no user has the username or e-mail {key!r}"
AMBIGUOUS_USER = "several users have the e-mail {key!r}; use the username"
UNKNOWN_NAMED = "no {noun} {key!r}; known: {known}"
EMPTY_FILE = "the file is empty: the first row must name the columns"
NOT_UTF8 = "the file is not UTF-8 text; save it as 'CSV UTF-8' (or as XLSX)"
NOT_XLSX = "the file cannot be read as an XLSX workbook: {error}"
DATABASE_REFUSED = "the database refused the row: {error}"
DATABASE_REFUSED_ROWS = "the database refused rows {first} to {last}: {error}"
NOT_A_NUMBER = "{value!r} is not a whole number"
NOT_AN_AMOUNT = "{value!r} is not an amount; write it like 1234.56 (no currency sign)"
NEGATIVE_AMOUNT = "{value!r}: an amount cannot be negative"
NOT_A_DATE = "{value!r} is not a date; use YYYY-MM-DD, e.g. 2025-03-31"
NOT_A_DATETIME = (
    "{value!r} is not a date and time; use ISO 8601, e.g. 2025-03-31T14:30:00+02:00 or 2025-03-31"
)
NOT_A_CHOICE = "{value!r} is not one of: {allowed}"
# --- messages for the developer of a kind (raised when an export starts) -------------------
EXPORT_PATH_UNKNOWN = (
    "the {kind} column {column!r} reads {path!r}, which {model} does not have: "
    "give the column an export path (Column(..., export='relation__field'))"
)
EXPORT_PATH_IS_RELATION = (
    "the {kind} column {column!r} reads the relation {path!r} (an id): give the column "
    "an export path to the related record's name, e.g. export='{path}__name'"
)
EXPORT_MANY = (
    "the {kind} column {column!r} holds several values: a kind with such columns sets "
    "exports_instances = True and writes its rows in to_row"
)

AMOUNT_PATTERN = re.compile(r"^[+-]?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?$")
THOUSANDS_PATTERN = re.compile(r"^[+-]?\d{1,3}(,\d{3})+$")


# --- problems ------------------------------------------------------------------------------
class CellError(ValueError):
    """A cell that cannot be read as what its column holds; the message is for the user."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an import: where (row, column) and what."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


class ImportFailed(Exception):
    """The file had problems; nothing was written. ``problems`` lists every one."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s); nothing was imported.")


# --- cell parsers ---------------------------------------------------------------------------
def text(value: Any) -> str:
    """A text cell, trimmed; numbers typed into a spreadsheet come back as written."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value).strip()


def lower_text(value: Any) -> str:
    return text(value).lower()


def integer(value: Any) -> int:
    """A whole number (e.g. employees, minutes); ``1,200`` is read as twelve hundred."""
    if isinstance(value, bool):
        raise CellError(NOT_A_NUMBER.format(value=value))
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal) and value == int(value):
        return int(value)
    raw = text(value)
    if THOUSANDS_PATTERN.match(raw):
        raw = raw.replace(",", "")
    try:
        return int(raw)
    except ValueError:
        try:
            number = Decimal(raw)
        except ArithmeticError:
            number = None
        if number is not None and number.is_finite() and number == number.to_integral_value():
            return int(number)
        raise CellError(NOT_A_NUMBER.format(value=value)) from None


def amount(value: Any) -> Decimal:
    """Money: digits with a dot for decimals; commas only as thousands separators (1,234.56).

    "1.234,56" is refused rather than guessed: a wrong guess would be off by a
    factor of a thousand.
    """
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        result = to_money(value)
    else:
        raw = text(value)
        if not AMOUNT_PATTERN.match(raw):
            raise CellError(NOT_AN_AMOUNT.format(value=raw))
        result = to_money(raw)
    if result < 0:
        raise CellError(NEGATIVE_AMOUNT.format(value=value))
    return result


def date(value: Any) -> datetime.date:
    """A calendar date, ISO 8601 (a spreadsheet date cell works too)."""
    if isinstance(value, datetime.datetime):
        if value.time() != datetime.time(0, 0):
            raise CellError(NOT_A_DATE.format(value=value.isoformat()))
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = text(value)
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        pass
    try:
        moment = datetime.datetime.fromisoformat(raw)
    except ValueError:
        raise CellError(NOT_A_DATE.format(value=raw)) from None
    if moment.time() != datetime.time(0, 0):
        raise CellError(NOT_A_DATE.format(value=raw))
    return moment.date()


def moment(value: Any) -> datetime.datetime:
    """A point in time, ISO 8601; without an offset it is in the company's time zone."""
    if isinstance(value, datetime.datetime):
        result = value
    elif isinstance(value, datetime.date):
        result = datetime.datetime.combine(value, datetime.time(0, 0))
    else:
        raw = text(value)
        try:
            result = datetime.datetime.fromisoformat(raw)
        except ValueError:
            raise CellError(NOT_A_DATETIME.format(value=raw)) from None
    if result.tzinfo is datetime.UTC:
        return result
    if timezone.is_naive(result):
        result = timezone.make_aware(result)
    return result.astimezone(datetime.UTC)


def choice(choices: type[models.TextChoices]) -> Callable[[Any], str]:
    """A parser for one of ``choices``: the key (``warm``) or the label (``Warm``), any case."""
    known: dict[str, str] = {}
    for key, label in choices.choices:
        known[str(key).lower()] = key
        known[str(label).lower()] = key
    allowed = ", ".join(choices.values)

    def parse(value: Any) -> str:
        raw = text(value)
        try:
            return known[raw.lower()]
        except KeyError:
            raise CellError(NOT_A_CHOICE.format(value=raw, allowed=allowed)) from None

    parse.allowed = allowed  # type: ignore[attr-defined]
    parse.values = frozenset(choices.values)  # type: ignore[attr-defined]
    return parse


def text_list(value: Any) -> list[str]:
    """Several values in one cell, separated by ``;`` (e.g. ``sdr; sales_manager``)."""
    return [part.strip() for part in text(value).split(";") if part.strip()]


# --- cell formatting for export ---------------------------------------------------------
def format_cell(value: Any) -> str:
    """How a value is written to a CSV cell; the import parsers read it back unchanged."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(str(item) for item in value)
    return str(value)


def xlsx_cell(value: Any) -> Any:
    """How a value is written to an XLSX cell: numbers stay numbers, the rest is text."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return value
    return format_cell(value)


# --- keys of records ----------------------------------------------------------------------
def record_key(record: models.Model | None) -> str:
    """The key a spreadsheet uses for a record: its external_id, else ``pipewise:<id>``."""
    if record is None:
        return ""
    return record.external_id or f"{SYNTHETIC_PREFIX}{record.pk}"


def find_by_keys(queryset: QuerySet, keys: Iterable[str]) -> dict[str, Any]:
    """Records of ``queryset`` named by ``keys``: by external_id, or ``pipewise:<id>``.

    A ``pipewise:<id>`` key matches the record with that id only if it has no
    external_id of its own (that is what the export wrote for it). Works on
    ``.values()`` querysets too (then the results are dicts with ``pk``).
    """
    keys = set(keys)
    if not keys:
        return {}

    def attribute(record, name):
        return record[name] if isinstance(record, dict) else getattr(record, name)

    found = {
        attribute(record, "external_id"): record for record in queryset.filter(external_id__in=keys)
    }
    synthetic: dict[int, str] = {}
    for key in keys - found.keys():
        number = key.removeprefix(SYNTHETIC_PREFIX)
        if key.startswith(SYNTHETIC_PREFIX) and number.isdigit():
            synthetic[int(number)] = key
    if synthetic:
        for record in queryset.filter(pk__in=synthetic, external_id__isnull=True):
            found[synthetic[attribute(record, "pk")]] = record
    return found


# --- references -----------------------------------------------------------------------------
class Reference:
    """How a column points at other records; resolves the keys of a batch of rows at once."""

    noun = "record"

    def prepare(self) -> None:
        """Load what is small enough to keep (people, territories) once per import."""

    def resolve(self, keys: set[str]) -> tuple[dict[str, int], dict[str, str]]:
        """Return ``(key → id, key → problem message)`` for ``keys``."""
        raise NotImplementedError

    def instances(self, ids: Iterable[int]) -> dict[int, models.Model]:
        """The records with ``ids`` (for writing through services)."""
        raise NotImplementedError

    def export_path(self, field_name: str) -> str:
        """The database path the export reads for a column that points through
        ``field_name`` (what ``resolve`` reads back: ``owner__username``)."""
        raise NotImplementedError


class RecordReference(Reference):
    """A business record named by external_id (a contact's ``account``, a deal's ``lead``)."""

    def __init__(self, model: type[models.Model], noun: str):
        self.model = model
        self.noun = noun

    def resolve(self, keys):
        found = find_by_keys(self.model._base_manager.only("pk", "external_id", "deleted_at"), keys)
        ids, problems = {}, {}
        for key in keys:
            record = found.get(key)
            if record is None:
                problems[key] = UNKNOWN_RECORD.format(noun=self.noun, key=key)
            elif record.deleted_at is not None:
                problems[key] = DELETED_REFERENCE.format(noun=self.noun, key=key)
            else:
                ids[key] = record.pk
        return ids, problems

    def instances(self, ids):
        return self.model._base_manager.in_bulk(list(ids))

    def export_path(self, field_name):
        return f"{field_name}{LOOKUP_SEP}external_id"  # a record key: see ``ExportPlan``


class UserReference(Reference):
    """A person, named by username or e-mail (owners, managers)."""

    noun = "user"

    def __init__(self):
        self.by_username: dict[str, int] | None = None

    def prepare(self):
        from django.contrib.auth import get_user_model

        self.model = get_user_model()
        self.by_username, self.by_lower, self.by_email = {}, {}, {}
        for pk, username, email in self.model.objects.values_list("pk", "username", "email"):
            self.by_username[username] = pk
            self.by_lower.setdefault(username.lower(), []).append(pk)
            if email:
                self.by_email.setdefault(email.strip().lower(), []).append(pk)

    def resolve(self, keys):
        if self.by_username is None:
            self.prepare()
        ids, problems = {}, {}
        for key in keys:
            lowered = key.lower()
            if key in self.by_username:
                ids[key] = self.by_username[key]
            elif len(self.by_lower.get(lowered, ())) == 1:
                ids[key] = self.by_lower[lowered][0]
            elif len(self.by_email.get(lowered, ())) == 1:
                ids[key] = self.by_email[lowered][0]
            elif lowered in self.by_email:
                problems[key] = AMBIGUOUS_USER.format(key=key)
            else:
                problems[key] = UNKNOWN_USER.format(key=key)
        return ids, problems

    def instances(self, ids):
        return self.model._base_manager.in_bulk(list(ids))

    def export_path(self, field_name):
        return f"{field_name}{LOOKUP_SEP}username"


class NamedReference(Reference):
    """A configuration record named by a code or name (territory code, segment name, team)."""

    def __init__(self, model: type[models.Model], attribute: str, noun: str):
        self.model, self.attribute, self.noun = model, attribute, noun
        self.records: dict[int, models.Model] | None = None

    def prepare(self):
        self.records = {record.pk: record for record in self.model._default_manager.all()}
        self.exact = {getattr(r, self.attribute): r.pk for r in self.records.values()}
        self.lowered: dict[str, list[int]] = {}
        for name, pk in self.exact.items():
            self.lowered.setdefault(name.lower(), []).append(pk)

    def resolve(self, keys):
        if self.records is None:
            self.prepare()
        ids, problems = {}, {}
        for key in keys:
            if key in self.exact:
                ids[key] = self.exact[key]
            elif len(self.lowered.get(key.lower(), ())) == 1:
                ids[key] = self.lowered[key.lower()][0]
            else:
                known = ", ".join(sorted(self.exact)[:20]) or "none yet"
                problems[key] = UNKNOWN_NAMED.format(noun=self.noun, key=key, known=known)
        return ids, problems

    def instances(self, ids):
        if self.records is None:
            self.prepare()
        return {pk: self.records[pk] for pk in ids if pk in self.records}

    def export_path(self, field_name):
        return f"{field_name}{LOOKUP_SEP}{self.attribute}"


# --- columns and kinds -----------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """One canonical column of a kind: how its cells are read and which field they feed.

    ``required``: a new record needs it (an existing one keeps its value).
    ``reference``: the cell names another record; after resolution the row
    holds that record's id (a list of ids when ``many``).
    ``field``: the model field fed (default: the column name; ``""`` for none).
    ``importer_default``: when empty, the person importing is used (owner).
    ``export``: the database path the export reads (``stage__name``, or the
    name of an annotation the kind's ``for_export`` adds); default: the
    reference's key (``owner__username``, ``account__external_id``), else the
    field (else the column's name).
    """

    name: str
    parse: Callable[[Any], Any] = text
    required: bool = False
    reference: Reference | None = None
    many: bool = False
    field: str | None = None
    importer_default: bool = False
    export: str | None = None

    @property
    def field_name(self) -> str:
        return self.name if self.field is None else self.field

    @property
    def export_path(self) -> str:
        if self.export is not None:
            return self.export
        if self.reference is not None:
            return self.reference.export_path(self.field_name or self.name)
        return self.field_name or self.name


@dataclass
class Row:
    """One data row of the file after its cells were read (``values``: given cells only)."""

    number: int
    values: dict[str, Any]
    existed: bool = False  # its key named a record when pass 1 checked it
    failed: bool = False
    bad: set[str] = field(default_factory=set)  # columns already reported

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)


@dataclass
class ImportResult:
    """What an import did (or, for a dry run, would do)."""

    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False


@dataclass
class ImportContext:
    """State of one import: who runs it, the problems found, the counts."""

    kind: TransferKind
    by: Any = None
    problems: list[Problem] = field(default_factory=list)
    result: ImportResult | None = None
    scratch: dict[str, Any] = field(default_factory=dict)

    def problem(self, row: Row | int, column: str, message: str) -> None:
        number = row if isinstance(row, int) else row.number
        if not isinstance(row, int):
            row.failed = True
            row.bad.add(column)
        self.problems.append(Problem(number, column, message))

    def validation_error(self, row: Row, exc: ValidationError) -> None:
        """Report a model/service ``ValidationError`` against the columns its fields came from."""
        kind = self.kind
        if not hasattr(exc, "error_dict"):
            for message in exc.messages:
                self.problem(row, kind.non_field_column, message)
            return
        for name, errors in exc.message_dict.items():
            column = kind.column_for_field(name)
            for message in errors:
                self.problem(row, column, message)


class TransferKind:
    """A kind of record that can be exported and imported (users, leads, ...).

    Subclasses (one per kind, in the app's ``transfer.py``) declare ``columns``
    (which also say where the export reads each value, ``Column.export_path``)
    and implement ``check_row`` (the kind's own rules on a row, pass 1) and
    ``write_batch`` (pass 2). A kind whose export needs model instances (a
    column of many values) sets ``exports_instances`` and implements ``to_row``.
    """

    name = ""  # the KIND of the command line, plural: "leads"
    noun = ""  # one record, for messages: "lead"
    model: type[models.Model]
    key_column = "external_id"
    columns: tuple[Column, ...] = ()
    non_field_column = "-"  # where errors that name no field are reported
    existing_fields_checked: tuple[str, ...] = ()  # what pass 1 loads of existing records; () = all
    order = 0  # import order in docs and help: people before the records they own
    exports_instances = False  # True: export rows come from ``to_row`` over model instances

    def __init__(self):
        # Each import gets its own references: they cache lookups for that import only.
        self.columns = tuple(
            dataclasses.replace(column, reference=copy.copy(column.reference))
            for column in type(self).columns
        )

    # --- columns ---------------------------------------------------------------------------
    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)

    def column_for_field(self, field_name: str) -> str:
        if field_name == NON_FIELD_ERRORS:
            return self.non_field_column
        for column in self.columns:
            if column.field_name == field_name:
                return column.name
        return field_name

    # --- export ----------------------------------------------------------------------------
    def queryset(self, user=None) -> QuerySet:
        """The records to export: all of them, or those ``user`` may see."""
        raise NotImplementedError

    def for_export(self, queryset: QuerySet) -> QuerySet:
        """``queryset`` in a stable order (see ``stable``), with what the export reads: the
        annotations columns name as their export path, or (``exports_instances``) what
        ``to_row`` reads joined in."""
        return stable(queryset)

    def to_row(self, record) -> list[Any]:
        """For ``exports_instances``: the record's values in column order (Python values;
        formatting is the writer's)."""
        raise NotImplementedError

    def export_values(self, queryset: QuerySet, *, cells: bool = False) -> Iterator[list]:
        """One row per record of ``queryset``, streamed: Python values in column order, or
        with ``cells`` values the CSV writer writes as ``format_cell`` would."""
        records = self.for_export(queryset)
        if not self.exports_instances:
            yield from ExportPlan.of(self, records).rows(records, cells=cells)
            return
        for record in records.iterator(chunk_size=BATCH_SIZE):
            row = self.to_row(record)
            yield [format_cell(value) for value in row] if cells else row

    # --- import ----------------------------------------------------------------------------
    def prepare(self, ctx: ImportContext) -> None:
        """Load small lookups once per import (references prepare themselves)."""
        for column in self.columns:
            if column.reference is not None:
                column.reference.prepare()

    def find_existing(self, keys: Iterable[str], fields: Sequence[str] = ()) -> dict:
        """The records the rows' keys name (deleted ones too: they are refused, not doubled).

        ``fields``: load only these (and the key), for checks that need little.
        """
        records = self.model._base_manager.all()
        if fields:
            records = records.only(self.key_column, "deleted_at", *fields)
        return find_by_keys(records, keys)

    def normalise_row(self, row: Row, ctx: ImportContext) -> None:
        """Bring given cells into the form the services store (e.g. a domain without www.)."""

    def check_row(self, row: Row, existing, ctx: ImportContext) -> None:
        """The kind's own rules for one row (pass 1); report with ``ctx.problem``."""

    def finish_check(self, ctx: ImportContext) -> None:
        """Rules that need every row seen (e.g. a manager defined further down)."""

    def write_batch(self, rows: list[Row], ctx: ImportContext) -> None:
        """Create or update the records of ``rows`` (pass 2, inside the transaction)."""
        raise NotImplementedError

    def finish_write(self, ctx: ImportContext) -> None:
        """Writes that need every row written first (pass 2, inside the transaction)."""

    # --- shared pieces of pass 1 ----------------------------------------------------------
    def check_batch(self, rows: list[Row], ctx: ImportContext) -> None:
        """Resolve references, find existing records, apply required/field/kind rules."""
        self._resolve_references(rows, ctx)
        keys = [row.values[self.key_column] for row in rows if self.key_column in row.values]
        existing = self.find_existing(keys, self.existing_fields_checked)
        for row in rows:
            record = existing.get(row.values.get(self.key_column))
            row.existed = record is not None
            if record is not None and getattr(record, "deleted_at", None) is not None:
                ctx.problem(
                    row,
                    self.key_column,
                    DELETED_RECORD.format(key=row.values[self.key_column], noun=self.noun),
                )
                continue
            if record is None:
                self._check_required(row, ctx)
            self.normalise_row(row, ctx)
            self.check_fields(row, ctx)
            self.check_row(row, record, ctx)

    def _resolve_references(self, rows: list[Row], ctx: ImportContext) -> None:
        for column in self.columns:
            if column.reference is None:
                continue
            keys: set[str] = set()
            for row in rows:
                value = row.values.get(column.name)
                if value is None:
                    continue
                keys.update(value if column.many else (value,))
            if not keys:
                continue
            ids, problems = column.reference.resolve(keys)
            for row in rows:
                value = row.values.get(column.name)
                if value is None:
                    continue
                if column.many:
                    row.values[column.name] = [ids[key] for key in value if key in ids]
                    for key in value:
                        if key in problems:
                            ctx.problem(row, column.name, problems[key])
                elif value in ids:
                    row.values[column.name] = ids[value]
                else:
                    ctx.problem(row, column.name, problems[value])
                    del row.values[column.name]  # later checks must not read the raw name

    def _check_required(self, row: Row, ctx: ImportContext) -> None:
        for column in self.columns:
            if not column.required or column.name in row.values or column.name in row.bad:
                continue
            if column.importer_default and ctx.by is not None:
                row.values[column.name] = ctx.by.pk
                continue
            ctx.problem(row, column.name, REQUIRED.format(noun=self.noun))

    def check_fields(self, row: Row, ctx: ImportContext) -> None:
        """The model's field rules (length, format, choices) on the given plain cells.

        The same checks ``full_clean`` makes field by field (``Field.clean``);
        relations were checked when their references were resolved. Rules the
        cell's parser already guarantees are not run twice (see
        ``field_checks``); a text field's validators run directly, and a plain
        text field's (its length, no NUL character) as one fast test. Only a
        cell that fails goes through ``Field.clean``, for the exact messages.
        100k-row files stay fast this way.
        """
        values, bad = row.values, row.bad
        for name, model_field, max_length, validators in self.field_checks:
            value = values.get(name)
            if value is None or name in bad:
                continue
            if max_length is not None and len(value) <= max_length and "\x00" not in value:
                continue
            if validators is not None:
                # A text cell: the field's validators are all ``Field.clean`` would run.
                try:
                    for validator in validators:
                        validator(value)
                    continue
                except ValidationError:
                    pass  # ``Field.clean`` below gives the messages, as a form would
            try:
                model_field.clean(value, None)
            except ValidationError as exc:
                for message in exc.messages:
                    ctx.problem(row, name, message)

    @cached_property
    def field_checks(self) -> list[tuple[str, models.Field, int | None, list | None]]:
        """Per plain column: its model field; for plain text the length to test fast; for
        any text field its validators (to run them without ``Field.clean``'s overhead).

        Left out: a choice column whose parser only returns the field's own
        choices, and a date or datetime column whose field has no validators
        (the parser already returned a date or datetime).
        """
        checks = []
        for column in self.columns:
            if column.reference is not None or not column.field_name:
                continue
            try:
                model_field = self.model._meta.get_field(column.field_name)
            except FieldDoesNotExist:
                continue
            validators = {type(v) for v in model_field.validators}
            parsed_values = getattr(column.parse, "values", None)
            if model_field.choices and parsed_values is not None:
                known = {str(key) for key, _ in model_field.flatchoices}
                longest = max((len(v) for v in parsed_values), default=0)
                if parsed_values <= known and longest <= (model_field.max_length or longest):
                    continue
            if isinstance(model_field, models.DateField) and not validators:
                if column.parse in (date, moment):
                    continue
            text_field = (
                isinstance(model_field, models.CharField)
                and not model_field.choices
                and column.parse in (text, lower_text)
            )
            plain_text = type(model_field) is models.CharField and validators <= {
                MaxLengthValidator,
                ProhibitNullCharactersValidator,
            }
            checks.append(
                (
                    column.name,
                    model_field,
                    model_field.max_length if text_field and plain_text else None,
                    list(model_field.validators) if text_field else None,
                )
            )
        return checks

    # --- shared pieces of pass 2 ----------------------------------------------------------
    def changes(self, record, row: Row, fields: Iterable[str]) -> dict[str, Any]:
        """The given values of ``fields`` that differ from ``record``'s (ids for relations)."""
        meta = self.model._meta
        changed = {}
        for column in self.columns:
            name = column.field_name
            if name not in fields or column.name not in row.values:
                continue
            value = row.values[column.name]
            if getattr(record, meta.get_field(name).attname) != value:
                changed[name] = value
        return changed

    def with_instances(self, values: dict[str, Any], batch: dict[str, dict]) -> dict[str, Any]:
        """``values`` (field → value) with relation ids replaced by the loaded records."""
        result = dict(values)
        for column in self.columns:
            if column.reference is not None and column.field_name in result:
                result[column.field_name] = batch[column.name][result[column.field_name]]
        return result

    def load_references(self, rows: list[Row]) -> dict[str, dict]:
        """Load, per reference column, the records a batch of rows points at (one query each)."""
        loaded = {}
        for column in self.columns:
            if column.reference is None or column.many:
                continue
            ids = {row.values[column.name] for row in rows if column.name in row.values}
            loaded[column.name] = column.reference.instances(ids) if ids else {}
        return loaded


class ServiceKind(TransferKind):
    """A kind whose rows are written one by one through the app's services.

    Each row runs in a savepoint: a service refusing a row (its own rules,
    e.g. "the contact must work at the account") becomes a problem for that row
    and the import goes on to find the others; the whole transaction is then
    rolled back.
    """

    updatable_fields: frozenset[str] = frozenset()

    def create(self, values: dict[str, Any], row: Row, ctx: ImportContext):
        raise NotImplementedError

    def update(self, record, changes: dict[str, Any], row: Row, ctx: ImportContext) -> bool:
        """Apply ``changes``; return whether anything was written."""
        raise NotImplementedError

    def field_values(self, row: Row) -> dict[str, Any]:
        return {
            column.field_name: row.values[column.name]
            for column in self.columns
            if column.field_name and column.name in row.values
        }

    def write_batch(self, rows, ctx):
        existing = self.find_existing(row.values[self.key_column] for row in rows)
        loaded = self.load_references(rows)
        result = ctx.result
        for row in rows:
            record = existing.get(row.values[self.key_column])
            try:
                with transaction.atomic():
                    if record is None:
                        values = self.with_instances(self.field_values(row), loaded)
                        self.create(values, row, ctx)
                        result.created += 1
                    else:
                        changes = self.changes(record, row, self.updatable_fields)
                        changes = self.with_instances(changes, loaded)
                        if self.update(record, changes, row, ctx):
                            result.updated += 1
                        else:
                            result.unchanged += 1
            except ValidationError as exc:
                ctx.validation_error(row, exc)
            except IntegrityError as exc:
                ctx.problem(row, self.non_field_column, DATABASE_REFUSED.format(error=exc))


def stable(queryset: QuerySet) -> QuerySet:
    """The caller's order (e.g. the sorting of the web view being exported), else by id."""
    return queryset if queryset.ordered else queryset.order_by("pk")


# --- the export's row path: values, not instances --------------------------------------------
# Values the csv module writes exactly as ``format_cell`` does (text, numbers, dates, None as
# ""): these columns need no formatting of their own. A datetime is written in the company's
# time zone; any other type goes through ``format_cell``.
_WRITTEN_AS_IS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.DecimalField,
    models.FloatField,
    models.BooleanField,
    models.UUIDField,
)


@dataclass(frozen=True)
class ExportPlan:
    """How the export reads a kind's columns from the database without model instances.

    ``paths``: what ``values_list`` selects, one per column in column order, then
    the ids record keys fall back to. A column whose path ends in ``external_id``
    holds a record key (``record_key``): the external_id, else ``pipewise:<id>``,
    read from the same path with ``pk`` in its place (``account__pk`` is the
    deal's own ``account_id``, no join); ``keys`` pairs each such column's
    position with its id's. ``moments`` are the positions of datetimes: they
    are read as text and parsed here (``datetime.fromisoformat``, in C), which
    on PostgreSQL is several times faster than the driver's timestamptz loader
    that Django installs; CSV cells write them in the company's time zone.
    ``formatted``: positions of values of any other type that ``format_cell``
    writes differently from the csv module (CSV cells go through it).
    """

    paths: tuple[str, ...]
    keys: tuple[tuple[int, int], ...]
    moments: tuple[int, ...]
    formatted: tuple[int, ...]

    @classmethod
    def of(cls, kind: TransferKind, queryset: QuerySet) -> ExportPlan:
        """The plan for ``kind``'s columns over ``queryset`` (its annotations may be paths).

        Raises ``ImproperlyConfigured`` naming the column whose path does not lead to a
        value (an unknown field, a bare relation, a column of many values).
        """
        paths, ids, keys, moments, formatted = [], [], [], [], []
        annotations = queryset.query.annotations
        for position, column in enumerate(kind.columns):
            if column.many and column.export is None:
                raise ImproperlyConfigured(EXPORT_MANY.format(kind=kind.name, column=column.name))
            path = column.export_path
            paths.append(path)
            if path in annotations:
                output = annotations[path].output_field
            else:
                output = _path_field(kind, column, path)
            head, _, last = path.rpartition(LOOKUP_SEP)
            if last == "external_id":
                keys.append((position, len(kind.columns) + len(ids)))
                ids.append(f"{head}{LOOKUP_SEP}pk" if head else "pk")
            elif isinstance(output, models.DateTimeField):
                moments.append(position)
            elif not isinstance(output, _WRITTEN_AS_IS + (models.DateField,)):
                formatted.append(position)
        return cls(tuple(paths + ids), tuple(keys), tuple(moments), tuple(formatted))

    def rows(self, queryset: QuerySet, *, cells: bool = False) -> Iterator[list]:
        """The rows of ``queryset``: Python values, or (``cells``) CSV-ready values."""
        width = len(self.paths) - len(self.keys)
        keys, moments = self.keys, self.moments
        formatted = self.formatted if cells else ()
        zone = timezone.get_current_timezone()  # when the rows are read, as ``format_cell``
        stored_in = connections[queryset.db].timezone  # of a datetime stored without offset
        selected = [
            Cast(path, models.TextField()) if position in moments else path
            for position, path in enumerate(self.paths)
        ]
        values_list = queryset.prefetch_related(None).values_list(*selected)
        for values in values_list.iterator(chunk_size=EXPORT_CHUNK_SIZE):
            row = list(values[:width] if keys else values)
            for position, id_position in keys:
                if not row[position]:
                    pk = values[id_position]
                    row[position] = "" if pk is None else f"{SYNTHETIC_PREFIX}{pk}"
            for position in moments:
                value = row[position]
                if value is not None:
                    value = datetime.datetime.fromisoformat(value)
                    if value.tzinfo is None:  # SQLite
                        value = timezone.make_aware(value, stored_in)
                    row[position] = value.astimezone(zone).isoformat() if cells else value
            for position in formatted:
                row[position] = format_cell(row[position])
            yield row


def _path_field(kind: TransferKind, column: Column, path: str) -> models.Field:
    """The model field at the end of ``path`` (through relations) from ``kind.model``."""
    model = kind.model
    parts = path.split(LOOKUP_SEP)
    try:
        for part in parts[:-1]:
            model = model._meta.get_field(part).related_model
            if model is None:
                raise FieldDoesNotExist(part)
        output = model._meta.pk if parts[-1] == "pk" else model._meta.get_field(parts[-1])
    except FieldDoesNotExist:
        message = EXPORT_PATH_UNKNOWN.format(
            kind=kind.name, column=column.name, path=path, model=kind.model.__name__
        )
        raise ImproperlyConfigured(message) from None
    if output.is_relation:
        message = EXPORT_PATH_IS_RELATION.format(kind=kind.name, column=column.name, path=path)
        raise ImproperlyConfigured(message)
    return output


# --- the bulk path: raw INSERT/UPDATE of many rows -------------------------------------------
class BulkWriter:
    """Many rows of one table written with ``executemany``, for kinds that must be fast.

    Django's ``bulk_create`` builds every row's SQL value by value; for a
    100k-row file that costs more than the database's own work. This writer
    takes plain dicts (attribute name → value), fills the model's defaults,
    adapts dates, datetimes and decimals exactly as the database backend does,
    and sends each batch at once (``COPY`` on PostgreSQL, one prepared
    ``executemany`` elsewhere). It makes no model instances and
    sends no signals: the caller has applied the model's rules
    (``TransferKind.check_fields`` plus the app's normalisers) and writes the
    history rows itself (``insert_history``).
    """

    def __init__(self, model: type[models.Model]):
        from django.db import connection

        self.model = model
        self.connection = connection
        meta = model._meta
        self.pk = meta.pk.attname
        # The history columns of a historical model last: ``insert_history`` appends them.
        self.fields = sorted(
            (f for f in meta.concrete_fields if not f.primary_key),
            key=lambda f: f.attname.startswith("history_"),
        )
        self.attnames = [f.attname for f in self.fields]
        self.tracked = [name for name in self.attnames if not name.startswith("history_")]
        self.values_of = operator.itemgetter(*self.attnames)
        self.adapters = [
            (position, adapter)
            for position, adapter in enumerate(self._adapter(f) for f in self.fields)
            if adapter is not None
        ]
        self.defaults = {}
        self.computed = []  # (attname, callable default), evaluated per row
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.computed.append((f.attname, timezone.now))
            elif f.has_default() and callable(f.default):
                self.computed.append((f.attname, f.default))
            else:
                self.defaults[f.attname] = f.get_default()
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        table = quote(meta.db_table)
        self.insert_sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        self.copy_sql = f"COPY {table} ({columns}) FROM STDIN"
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in self.fields)
        self.update_sql = f"UPDATE {table} SET {assignments} WHERE {quote(meta.pk.column)} = %s"

    def _adapter(self, model_field: models.Field):
        ops = self.connection.ops
        if isinstance(model_field, models.DateTimeField):
            if self.connection.vendor == "sqlite" and str(self.connection.timezone) == "UTC":
                return _sqlite_utc_datetime
            return ops.adapt_datetimefield_value
        if isinstance(model_field, models.DateField):
            return ops.adapt_datefield_value
        if isinstance(model_field, models.DecimalField):
            digits, places = model_field.max_digits, model_field.decimal_places
            return lambda value: ops.adapt_decimalfield_value(value, digits, places)
        return None

    def complete(self, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` with every column the row does not give set to the model's default."""
        row = {**self.defaults, **values}
        for attname, default in self.computed:
            if attname not in values:
                row[attname] = default()
        return row

    def _tuple(self, row: dict[str, Any]) -> list[Any]:
        values = list(self.values_of(row))
        for position, adapter in self.adapters:
            value = values[position]
            if value is not None:
                values[position] = adapter(value)
        return values

    def insert(self, rows: list[dict[str, Any]]) -> None:
        """INSERT complete rows (see ``complete``); the database assigns their ids."""
        if rows:
            self._send([self._tuple(row) for row in rows])

    def _send(self, tuples: list[list[Any]]) -> None:
        """One batch of new rows: ``COPY`` on PostgreSQL, a prepared INSERT elsewhere."""
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                # The driver's COPY, with its errors turned into Django's (IntegrityError, ...).
                with (
                    self.connection.wrap_database_errors,
                    cursor.cursor.copy(self.copy_sql) as copy,
                ):
                    for values in tuples:
                        copy.write_row(values)
            else:
                cursor.executemany(self.insert_sql, tuples)

    def update(self, rows: list[dict[str, Any]]) -> None:
        """UPDATE whole rows (every column) by their ``pk``."""
        if rows:
            with self.connection.cursor() as cursor:
                cursor.executemany(
                    self.update_sql, [[*self._tuple(row), row[self.pk]] for row in rows]
                )

    def insert_history(self, rows: list[dict[str, Any]], *, change: str, by=None) -> None:
        """INSERT django-simple-history rows (this writer's model is the historical one) for
        ``rows`` of the tracked model: ``+`` created, ``~`` changed, by ``by``."""
        if not rows:
            return
        stamp = {
            "history_date": timezone.now(),
            "history_type": change,
            "history_user_id": by.pk if by is not None else None,
            "history_change_reason": None,
        }
        extras = [stamp[name] for name in self.attnames[len(self.tracked) :]]
        tracked = operator.itemgetter(*self.tracked)
        tuples = []
        for row in rows:
            values = [*tracked(row), *extras]
            for position, adapter in self.adapters:
                value = values[position]
                if value is not None:
                    values[position] = adapter(value)
            tuples.append(values)
        self._send(tuples)


_datetime_texts: dict[datetime.datetime, str] = {}


def _sqlite_utc_datetime(value: datetime.datetime) -> str:
    """What Django's SQLite backend stores for an aware datetime (naive UTC text), but fast:
    a lead's ``created_at`` is written to the lead, its history and its status row."""
    text = _datetime_texts.get(value)
    if text is None:
        if len(_datetime_texts) > 10_000:
            _datetime_texts.clear()
        if value.tzinfo is datetime.UTC:
            text = value.isoformat(" ")[:-6]  # "2025-01-02 03:04:05[.ffffff]" less "+00:00"
        else:
            text = str(timezone.make_naive(value, datetime.UTC))
        _datetime_texts[value] = text
    return text


# --- registry -------------------------------------------------------------------------------
_KINDS: dict[str, type[TransferKind]] = {}


def register(kind_class: type[TransferKind]) -> type[TransferKind]:
    """Class decorator: make a kind available to ``pipewise import`` and ``export``."""
    _KINDS[kind_class.name] = kind_class
    return kind_class


def kind_names() -> list[str]:
    """The registered kinds, in import order (each app's ``transfer`` module registers)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("transfer")
    return [name for name, _ in sorted(_KINDS.items(), key=lambda item: item[1].order)]


def get_kind(name: str) -> TransferKind:
    """A fresh instance of the kind called ``name`` (one per import or export)."""
    kind_names()
    return _KINDS[name]()


# --- reading files ---------------------------------------------------------------------------
@dataclass
class Sheet:
    """A spreadsheet being read: its header, its data rows (numbered as a user sees them)."""

    header: list[Any]
    rows: Iterator[tuple[int, Sequence[Any]]]
    total: int | None  # data rows, estimated (for the progress bar)


def detect_format(path: str | Path, fmt: str | None = None) -> str:
    if fmt:
        return fmt
    return "xlsx" if str(path).lower().endswith((".xlsx", ".xlsm")) else "csv"


@contextmanager
def open_sheet(path: str | Path, fmt: str | None = None) -> Iterator[Sheet]:
    """Open a CSV (UTF-8, delimiter , ; or tab) or XLSX file (first sheet) for reading.

    Raises ``ImportFailed`` for a file that cannot be read at all.
    """
    if detect_format(path, fmt) == "xlsx":
        with _open_xlsx(path) as sheet:
            yield sheet
    else:
        with _open_csv(path) as sheet:
            yield sheet


@contextmanager
def _open_csv(path):
    lines = 0  # counted for the progress bar, while checking the encoding
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as raw:
        for chunk in iter(lambda: raw.read(1 << 20), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                line = lines + chunk[: exc.start].count(b"\n") + 1
                raise ImportFailed([Problem(line, "-", NOT_UTF8)]) from None
            lines += chunk.count(b"\n")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        first = handle.readline()
        if not first.strip():
            raise ImportFailed([Problem(1, "-", EMPTY_FILE)])
        delimiter = max((",", ";", "\t"), key=first.count)
        handle.seek(0)
        if handle.read(1) != "\ufeff":
            handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader)

        def rows():
            for number, cells in enumerate(reader, start=2):
                if cells:
                    yield number, cells

        yield Sheet(header=header, rows=rows(), total=max(lines - 1, 0))


@contextmanager
def _open_xlsx(path):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a bad file
        raise ImportFailed([Problem(1, "-", NOT_XLSX.format(error=exc))]) from None
    try:
        worksheet = workbook.worksheets[0]
        cells = worksheet.iter_rows(values_only=True)
        header = next(cells, None)
        if header is None or not any(value not in (None, "") for value in header):
            raise ImportFailed([Problem(1, "-", EMPTY_FILE)])
        total = worksheet.max_row - 1 if worksheet.max_row else None

        def rows():
            for number, values in enumerate(cells, start=2):
                if any(value is not None and value != "" for value in values):
                    yield number, values

        yield Sheet(header=list(header), rows=rows(), total=total)
    finally:
        workbook.close()


# --- header and column mapping -------------------------------------------------------------
def canonical_name(value: Any) -> str:
    """``"First Name"`` → ``"first_name"``: how header cells are matched to columns."""
    return re.sub(r"[\s\-]+", "_", text(value).lower()) if value is not None else ""


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """``["E-mail=email"]`` → ``{"E-mail": "email"}``; raises ``ValueError`` for bad syntax."""
    mapping = {}
    for pair in pairs:
        source, sep, target = pair.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise ValueError(MAP_SYNTAX.format(given=pair))
        mapping[source.strip()] = target.strip()
    return mapping


def map_header(
    header: Sequence[Any], kind: TransferKind, mapping: dict[str, str], problems: list[Problem]
) -> list[Column | None]:
    """The column each position of the file feeds (``None``: a column without a name)."""
    known = {column.name: column for column in kind.columns}
    raw_names = [text(value) if value is not None else "" for value in header]
    targets: dict[int, str] = {}
    for source, target in mapping.items():
        target_name = canonical_name(target)
        if target_name not in known:
            problems.append(
                Problem(
                    1,
                    source,
                    MAP_UNKNOWN_TARGET.format(source=source, target=target, kind=kind.name),
                )
            )
            continue
        positions = [i for i, name in enumerate(raw_names) if name == source] or [
            i for i, name in enumerate(raw_names) if canonical_name(name) == canonical_name(source)
        ]
        if not positions:
            problems.append(
                Problem(1, source, MAP_UNKNOWN_SOURCE.format(source=source, target=target))
            )
        for position in positions:
            targets[position] = target_name
    layout: list[Column | None] = []
    seen: dict[str, int] = {}
    for position, raw in enumerate(raw_names):
        if not raw:
            layout.append(None)
            continue
        name = targets.get(position, canonical_name(raw))
        column = known.get(name)
        if column is None:
            hint = difflib.get_close_matches(name, list(known), n=1)
            message = UNKNOWN_COLUMN.format(kind=kind.name, columns=", ".join(known))
            if hint:
                message = f"{message} (did you mean {hint[0]!r}?)"
            problems.append(Problem(1, raw, message))
        elif name in seen:
            problems.append(
                Problem(1, name, DUPLICATE_COLUMN.format(first=seen[name] + 1, second=position + 1))
            )
            column = None
        else:
            seen[name] = position
        layout.append(column)
    if kind.key_column not in seen:
        problems.append(Problem(1, kind.key_column, MISSING_KEY_COLUMN.format(key=kind.key_column)))
    return layout


# --- the spool: checked rows on disk between the passes --------------------------------------
class Spool:
    """Checked rows, pickled batch by batch to a temporary file, read back for writing."""

    def __init__(self):
        self.file = tempfile.TemporaryFile()
        self.batches = 0
        self.rows = 0

    def add(self, rows: list[Row]) -> None:
        if rows:
            plain = [(row.number, row.values, row.existed) for row in rows]
            pickle.dump(plain, self.file, protocol=pickle.HIGHEST_PROTOCOL)
            self.batches += 1
            self.rows += len(rows)

    def __iter__(self) -> Iterator[list[Row]]:
        self.file.seek(0)
        for _ in range(self.batches):
            yield [Row(*fields) for fields in pickle.load(self.file)]

    def close(self) -> None:
        self.file.close()


class _Rollback(Exception):
    pass


def _progress(progress, description: str, total: int | None):
    if progress is None:
        return nullcontext(None)
    from tqdm import tqdm

    return tqdm(
        desc=description,
        total=total,
        unit=" rows",
        file=progress,
        mininterval=0.5,
        dynamic_ncols=True,
    )


# --- import -----------------------------------------------------------------------------------
def import_file(
    kind: TransferKind,
    path: str | Path,
    *,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    by=None,
    fmt: str | None = None,
    progress: Any = None,
) -> ImportResult:
    """Import a spreadsheet of ``kind``: check every row, then write all of them or none.

    ``by``: the person importing (history rows, default owner); ``None`` for the
    operator's CLI. ``progress``: a file to draw progress bars on (stderr).
    Raises ``ImportFailed`` listing every problem; nothing is written then.
    """
    ctx = ImportContext(kind=kind, by=by, result=ImportResult(kind=kind.name, dry_run=dry_run))
    with open_sheet(path, fmt) as sheet:
        layout = map_header(sheet.header, kind, mapping or {}, ctx.problems)
        if ctx.problems:
            raise ImportFailed(_in_reading_order(ctx.problems, kind))
        kind.prepare(ctx)
        spool = Spool()
        try:
            with _progress(progress, f"checking {kind.name}", sheet.total) as bar:
                _check_rows(kind, sheet, layout, ctx, spool, bar)
            kind.finish_check(ctx)
            if not ctx.problems or isinstance(kind, ServiceKind):
                _write_rows(kind, spool, ctx, dry_run, progress)
        finally:
            spool.close()
    if ctx.problems:
        raise ImportFailed(_in_reading_order(ctx.problems, kind))
    return ctx.result


def _in_reading_order(problems: list[Problem], kind: TransferKind) -> list[Problem]:
    """Row by row, and within a row in the order of the kind's columns."""
    position = {name: index for index, name in enumerate(kind.column_names)}
    return sorted(problems, key=lambda p: (p.row, position.get(p.column, len(position)), p.message))


def _check_rows(kind, sheet, layout, ctx, spool, bar):
    """Pass 1: read cells, refuse duplicates, check batches; spool the rows that passed."""
    key = kind.key_column
    seen: dict[str, int] = {}
    positions = [(i, column) for i, column in enumerate(layout) if column is not None]
    unnamed = {i for i, column in enumerate(layout) if column is None}
    width = len(layout)
    # (position, column name, parser); None: a text column, the trimmed string is the value
    plan = [(i, c.name, None if c.parse is text else c.parse) for i, c in positions]
    batch: list[Row] = []
    for number, cells in sheet.rows:
        ctx.result.rows += 1
        values: dict[str, Any] = {}
        row = Row(number, values)
        count = len(cells)
        for position, name, parse in plan:
            if position >= count:
                break
            raw = cells[position]
            if raw.__class__ is str:
                raw = raw.strip()
                if not raw:
                    continue
                if parse is None:
                    values[name] = raw
                    continue
            elif raw is None:
                continue
            try:
                values[name] = (parse or text)(raw)
            except CellError as exc:
                ctx.problem(row, name, str(exc))
        if unnamed or len(cells) > width:
            for position in range(len(cells)):
                if (position in unnamed or position >= width) and text(cells[position] or ""):
                    ctx.problem(
                        row, f"#{position + 1}", UNNAMED_COLUMN.format(position=position + 1)
                    )
        row_key = values.get(key)
        if not row_key:
            ctx.problem(row, key, KEY_REQUIRED.format(noun=kind.noun))
        elif row_key in seen:
            ctx.problem(
                row, key, DUPLICATE_KEY.format(key=row_key, first=seen[row_key], noun=kind.noun)
            )
        else:
            seen[row_key] = number
        batch.append(row)
        if len(batch) >= BATCH_SIZE:
            _check_batch(kind, batch, ctx, spool, bar)
            batch = []
    _check_batch(kind, batch, ctx, spool, bar)


def _check_batch(kind, batch, ctx, spool, bar):
    if batch:
        # Rows with a bad cell are checked too, so that one run lists every problem.
        kind.check_batch(batch, ctx)
    spool.add([row for row in batch if not row.failed])
    if bar is not None:
        bar.update(len(batch))


def _write_rows(kind, spool, ctx, dry_run, progress):
    """Pass 2: write every spooled row in one transaction; roll back on any problem or dry run."""
    label = f"{'trying' if dry_run else 'writing'} {kind.name}"
    try:
        with transaction.atomic():
            with _progress(progress, label, spool.rows) as bar:
                for rows in spool:
                    try:
                        with transaction.atomic():
                            kind.write_batch(rows, ctx)
                    except IntegrityError as exc:  # e.g. a key taken by someone meanwhile
                        first, last = rows[0].number, rows[-1].number
                        message = DATABASE_REFUSED_ROWS.format(first=first, last=last, error=exc)
                        ctx.problem(first, "-", message)
                    if bar is not None:
                        bar.update(len(rows))
            kind.finish_write(ctx)
            if ctx.problems or dry_run:
                raise _Rollback
    except _Rollback:
        pass


# --- export -----------------------------------------------------------------------------------
def export_rows(
    kind: TransferKind, *, queryset: QuerySet | None = None, user=None, cells: bool = False
) -> Iterator[list]:
    """The header, then one row per record; streamed, memory does not grow with the rows.

    ``queryset``: what to export (e.g. the web UI's filtered view, already
    restricted to what the user sees); default: everything ``user`` may see,
    or everything when ``user`` is None (the operator's CLI). Rows hold Python
    values (``xlsx_cell`` and ``format_cell`` write them), or with ``cells``
    values a ``csv.writer`` writes as ``format_cell`` would.
    """
    records = queryset if queryset is not None else kind.queryset(user)
    yield kind.column_names
    yield from kind.export_values(records, cells=cells)


def export_csv(
    kind: TransferKind,
    *,
    queryset: QuerySet | None = None,
    user=None,
    rows_per_chunk: int | None = None,
) -> Iterator[tuple[str, int]]:
    """The CSV export as pieces of text, each with how many records it holds: the
    header alone, then ``rows_per_chunk`` (default ``CSV_CHUNK_ROWS``) records at a time
    (what a streamed response or a file is written with: one write per chunk, not per
    row)."""
    rows_per_chunk = rows_per_chunk or CSV_CHUNK_ROWS
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    rows = export_rows(kind, queryset=queryset, user=user, cells=True)
    writer.writerow(next(rows))
    yield _drain(buffer), 0
    while batch := list(itertools.islice(rows, rows_per_chunk)):
        writer.writerows(batch)
        yield _drain(buffer), len(batch)


def _drain(buffer: io.StringIO) -> str:
    """What ``buffer`` holds, leaving it empty."""
    value = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return value


def export_records(
    kind: TransferKind,
    out,
    *,
    fmt: str = "csv",
    queryset: QuerySet | None = None,
    user=None,
    progress: Any = None,
) -> int:
    """Write ``kind``'s records to ``out`` (a text stream for CSV, a path or binary stream for
    XLSX); return how many records were written."""
    records = queryset if queryset is not None else kind.queryset(user)
    total = records.count() if progress is not None else None
    count = 0
    with _progress(progress, f"exporting {kind.name}", total) as bar:
        if fmt == "xlsx":
            from openpyxl import Workbook

            rows = export_rows(kind, queryset=records)
            workbook = Workbook(write_only=True)
            worksheet = workbook.create_sheet(kind.name)
            worksheet.append(next(rows))
            for row in rows:
                worksheet.append([xlsx_cell(value) for value in row])
                count += 1
                if bar is not None and count % 500 == 0:
                    bar.update(500)
            workbook.save(out)
            if bar is not None:
                bar.update(count % 500)
        else:
            for chunk, records_in_chunk in export_csv(kind, queryset=records):
                out.write(chunk)
                count += records_in_chunk
                if bar is not None:
                    bar.update(records_in_chunk)
    return count


def export_text(kind: TransferKind, **options) -> str:
    """The CSV export as a string (tests, small web downloads)."""
    buffer = io.StringIO()
    export_records(kind, buffer, **options)
    return buffer.getvalue()
