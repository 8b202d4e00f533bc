"""Who sees and who edits a saved report.

A report is seen by its owner, by the members of the team it is shared with and
by the holders of the role it is shared with; administrators and sales ops see
every report. Only the owner (or an administrator / sales ops) changes or deletes
it. Seeing a report never widens the records: its rows are computed through the
entity's visibility for the person looking.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from pipewise.org.models import User
from pipewise.reports.models import SavedReport


def saved_report_visible_to(user: User) -> QuerySet[SavedReport]:
    reports = SavedReport.objects.all()
    if user.can_configure:
        return reports
    shared = Q(owner=user)
    shared |= Q(shared_with_role__in=sorted(user.role_keys))
    if user.team_id is not None:
        shared |= Q(shared_with_team_id=user.team_id)
    return reports.filter(shared)


def access_saved_report(user: User, pk, *, for_write: bool = False) -> SavedReport:
    """The report, if ``user`` may see it (and change it, with ``for_write``); else 404."""
    try:
        report = saved_report_visible_to(user).get(pk=pk)
    except (SavedReport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if for_write and not can_change_report(user, report):
        raise Http404
    return report


def can_change_report(user: User, report: SavedReport) -> bool:
    return report.owner_id == user.pk or user.can_configure
