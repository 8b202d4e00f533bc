"""Writes of the reports app: the sales cost of a period, saved reports."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q

from pipewise.org.models import User
from pipewise.org.permissions import require_configure
from pipewise.reports.builder import Definition, check_definition, run_report
from pipewise.reports.choices import Schedule
from pipewise.reports.exports import cell_text, result_csv
from pipewise.reports.models import ReportDelivery, SalesCost, SavedReport
from pipewise.reports.periods import Period
from pipewise.reports.permissions import can_change_report

PERIOD_REVERSED = "The period ends before it starts."


@transaction.atomic
def sales_cost_record(
    *,
    by: User,
    period_start: datetime.date,
    period_end: datetime.date,
    amount: Decimal,
    note: str = "",
) -> SalesCost:
    """Enter what selling cost in a period (admins and sales ops), for the efficiency KPIs."""
    require_configure(by)
    if period_end < period_start:
        raise ValidationError({"period_end": PERIOD_REVERSED})
    cost = SalesCost(period_start=period_start, period_end=period_end, amount=amount, note=note)
    cost.full_clean()
    cost.save()
    return cost


# --- saved reports ---------------------------------------------------------------
NOT_YOURS = "Only the report's owner (or an administrator) can change it."
SHARE_TEAM_OR_ROLE = "Share with a team or with a role, not both."


def _apply_definition(report: SavedReport, definition: Definition) -> None:
    report.entity = definition.entity
    report.filters = dict(definition.filters)
    report.period = definition.period
    report.group_by = list(definition.group_by)
    report.measures = [dict(m) for m in definition.measures]
    report.calculated_fields = [dict(c) for c in definition.calculated_fields]


DEFINITION_FIELDS = ("entity", "filters", "period", "group_by", "measures", "calculated_fields")
SETTING_FIELDS = ("name", "chart", "shared_with_team", "shared_with_role", "schedule")


@transaction.atomic
def saved_report_create(*, by: User, name: str, entity: str, **fields) -> SavedReport:
    """Save a report built by ``by`` (who owns it): its definition is checked first, and
    nothing is written when any part is wrong."""
    definition = check_definition(
        entity=entity, **{k: fields[k] for k in DEFINITION_FIELDS[1:] if k in fields}
    )
    return _write(SavedReport(owner=by, name=name), definition, fields)


@transaction.atomic
def saved_report_update(*, report: SavedReport, by: User, **changes) -> SavedReport:
    """Change a saved report (its owner or an administrator); the definition is checked
    as a whole, as on creation."""
    if not can_change_report(by, report):
        raise PermissionDenied(NOT_YOURS)
    report = SavedReport.objects.select_for_update().get(pk=report.pk)
    current = {k: getattr(report, k) for k in DEFINITION_FIELDS}
    current.update({k: v for k, v in changes.items() if k in DEFINITION_FIELDS})
    return _write(report, check_definition(**current), changes)


@transaction.atomic
def saved_report_delete(*, report: SavedReport, by: User) -> None:
    """Delete a saved report and its delivery log (its owner or an administrator)."""
    if not can_change_report(by, report):
        raise PermissionDenied(NOT_YOURS)
    report.delete()


def _write(report: SavedReport, definition: Definition, settings: dict) -> SavedReport:
    """Store a checked definition and the settings given (name, chart, sharing, schedule)."""
    _apply_definition(report, definition)
    for key in SETTING_FIELDS:
        if key in settings:
            setattr(report, key, settings[key])
    if report.shared_with_team_id and report.shared_with_role:
        raise ValidationError({"shared_with_role": SHARE_TEAM_OR_ROLE})
    report.full_clean()
    report.save()
    return report


# --- scheduled delivery -----------------------------------------------------------
def report_recipients(report: SavedReport) -> list[User]:
    """Who gets a scheduled report: its owner and the people it is shared with (active,
    with an e-mail address). Each gets the rows they may see."""
    people = Q(pk=report.owner_id)
    if report.shared_with_team_id:
        people |= Q(team_id=report.shared_with_team_id)
    if report.shared_with_role:
        people |= Q(user_roles__role=report.shared_with_role)
    return list(
        User.objects.filter(people, is_active=True).exclude(email="").distinct().order_by("pk")
    )


def scheduled_period(schedule: str, today: datetime.date) -> Period:
    """The period a scheduled report covers when sent on ``today``: the last full week
    (Monday to Sunday) or the last full month."""
    if schedule == Schedule.WEEKLY:
        monday = today - datetime.timedelta(days=today.weekday())
        return Period(monday - datetime.timedelta(days=7), monday - datetime.timedelta(days=1))
    first = today.replace(day=1)
    last = first - datetime.timedelta(days=1)
    return Period(last.replace(day=1), last)


def saved_report_deliver(*, report: SavedReport, recipient: User, period: Period) -> bool:
    """Mail ``report`` for ``period`` to ``recipient``, computed as that person (their
    visibility), once: the delivery row is written and the mail sent in one transaction,
    under a unique key, so a second run (a restart, another worker) sends nothing.
    Returns whether this call sent it."""
    try:
        with transaction.atomic():
            delivery, created = ReportDelivery.objects.get_or_create(
                report=report,
                recipient=recipient,
                period_start=period.start,
                defaults={"period_end": period.end},
            )
            if not created:
                return False
            result = run_report(Definition.of(report), viewer=recipient, period=period)
            delivery.rows = len(result.rows)
            delivery.save(update_fields=["rows"])
            _mail(report, recipient, period, result)
    except IntegrityError:  # another worker inserted the same delivery first
        return False
    return True


def _mail(report, recipient, period, result) -> None:
    subject = f"{report.name}: {period.start:%d %b %Y} – {period.end:%d %b %Y}"
    lines = [
        subject,
        "",
        "\t".join(result.columns),
        *("\t".join(cell_text(v) for v in row) for row in result.rows),
        "",
        "Computed over the records you may see in Pipewise.",
    ]
    message = EmailMessage(subject=subject, body="\n".join(lines), to=[recipient.email])
    slug = re.sub(r"[^a-z0-9]+", "-", report.name.lower()).strip("-") or "report"
    message.attach(f"{slug}-{period.start}.csv", result_csv(result), "text/csv")
    message.send()


def scheduled_reports_send(*, today: datetime.date) -> int:
    """Send every scheduled report for the period that ended last (week or month) to each
    recipient who has not had it yet; returns how many mails were sent."""
    sent = 0
    due = SavedReport.objects.exclude(schedule=Schedule.NONE).select_related("owner")
    for report in due.order_by("pk"):
        period = scheduled_period(report.schedule, today)
        for recipient in report_recipients(report):
            sent += saved_report_deliver(report=report, recipient=recipient, period=period)
    return sent
