"""What sellers log: activities (calls, e-mails, meetings, demos, notes), tasks and to-dos.

The words follow the sales process: a prospecting call, a discovery workshop,
a product demo, a proposal, a negotiation call, a kick-off; SDRs make call
attempts, send sequence e-mails and hand qualified leads over in a meeting;
customer success holds onboarding check-ins. ``WorkLog`` turns a moment
(business-day time) and a context (deal, account, contact, lead) into rows for
the ``BulkWriter``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pipewise.activities.choices import ActivityOutcome, ActivityType, TaskPriority, TaskStatus
from pipewise.activities.models import Activity, Task, TodoItem
from pipewise.demo.chance import Weighted, pick
from pipewise.demo.clock import OVERDUE_AT_MOST, DemoCalendar
from pipewise.demo.writer import BulkWriter

CALL, EMAIL, MEETING = ActivityType.CALL, ActivityType.EMAIL, ActivityType.MEETING
DEMO, NOTE = ActivityType.DEMO, ActivityType.NOTE

# What gets done in each open stage of the default process (by stage position).
STAGE_ACTIVITIES: tuple[tuple[tuple[str, str], ...], ...] = (
    ((CALL, "Intro call with {contact}"), (EMAIL, "Intro e-mail: {theme}"),
     (CALL, "Prospecting call")),
    ((CALL, "Qualification call: budget, authority, need, timing"),
     (EMAIL, "Follow-up on budget and timeline"), (CALL, "Call with {contact}")),
    ((MEETING, "Discovery workshop at {account}"), (EMAIL, "Questionnaire on the current process"),
     (CALL, "Clarify data sources with IT")),
    ((MEETING, "Stakeholder meeting with {contact}"), (CALL, "Call with our champion"),
     (EMAIL, "Shared customer references")),
    ((DEMO, "Product demo: {theme}"), (MEETING, "Presentation to the buying committee"),
     (DEMO, "Follow-up demo for the sales team")),
    ((MEETING, "Requirements deep-dive"), (EMAIL, "Sent solution outline"),
     (NOTE, "Requirements summary")),
    ((EMAIL, "Sent proposal v{n}"), (CALL, "Negotiation call on terms"),
     (MEETING, "Contract review with procurement")),
    ((MEETING, "Kick-off planning with {contact}"), (NOTE, "Handover notes for customer success"),
     (CALL, "Reference check call")),
)  # fmt: skip
WON_ACTIVITIES = ((MEETING, "Onboarding kick-off"), (CALL, "30-day check-in with {contact}"),
                  (MEETING, "Quarterly business review"))  # fmt: skip
SDR_ACTIVITIES = ((CALL, "Call attempt {n}"), (EMAIL, "Sequence e-mail {n}: {theme}"),
                  (CALL, "Connect call"), (EMAIL, "Shared a case study"))  # fmt: skip
SDR_QUALIFYING = (CALL, "Qualification call with {contact}")
SDR_HAND_OFF = (MEETING, "Hand-off meeting: {contact} meets the account executive")

OUTCOMES: dict[str, Weighted[str]] = {
    CALL: Weighted(
        (ActivityOutcome.CONNECTED, ActivityOutcome.LEFT_MESSAGE, ActivityOutcome.NO_ANSWER),
        (55, 25, 20),
    ),
    MEETING: Weighted(
        (ActivityOutcome.POSITIVE, ActivityOutcome.NEUTRAL, ActivityOutcome.NEGATIVE), (50, 35, 15)
    ),
    DEMO: Weighted(
        (ActivityOutcome.POSITIVE, ActivityOutcome.NEUTRAL, ActivityOutcome.NEGATIVE), (55, 35, 10)
    ),
    EMAIL: Weighted((ActivityOutcome.COMPLETED, ""), (30, 70)),
    NOTE: Weighted(("",), (1,)),
}
DURATIONS = {CALL: (5, 40), MEETING: (30, 90), DEMO: (45, 90)}
NOTES = (
    "Budget confirmed for this fiscal year.",
    "Wants to see the forecasting view with their own data.",
    "IT asked about single sign-on and data residency.",
    "Decision expected after the board meeting.",
    "Currently on spreadsheets; pain is the weekly forecast call.",
    "Procurement needs three quotes.",
    "Champion is moving teams; find a second sponsor.",
    "Asked for a discount for a three-year term.",
)


@dataclass(frozen=True)
class TodoSpec:
    text: str
    planned_minutes: int
    resources: str
    result: str


@dataclass(frozen=True)
class TaskSpec:
    title: str
    priority: str
    todos: tuple[TodoSpec, ...]


def _todo(text, minutes, resources="", result="Done"):
    return TodoSpec(text, minutes, resources, result)


PREP = _todo("Review account history and open deals", 15, "Pipewise account page", "Reviewed")
AGENDA = _todo("Send agenda to attendees", 10, "E-mail template", "Sent")
UPDATE = _todo("Update the deal: amount, close date, next step", 5, "", "Updated")
NEXT_STEPS: tuple[TaskSpec, ...] = (
    TaskSpec("Book a discovery call with {contact}", TaskPriority.NORMAL,
             (PREP, _todo("Find two more contacts at {account}", 20, "LinkedIn", "2 found"))),
    TaskSpec("Confirm budget and decision process", TaskPriority.NORMAL,
             (_todo("Ask for the budget owner", 10, "", "CFO named"), UPDATE)),
    TaskSpec("Collect requirements from {account}", TaskPriority.NORMAL,
             (AGENDA, _todo("Send the requirements questionnaire", 15, "Questionnaire",
                            "Returned"))),
    TaskSpec("Map the stakeholders at {account}", TaskPriority.NORMAL,
             (PREP, _todo("Draw the buying committee", 30, "Org chart", "5 people mapped"))),
    TaskSpec("Prepare the demo for {account}", TaskPriority.HIGH,
             (_todo("Set up a demo workspace with their data", 90, "Demo sandbox", "Ready"),
              AGENDA, _todo("Dry run with a sales engineer", 45, "Sales engineer", "Done"))),
    TaskSpec("Write the solution outline", TaskPriority.HIGH,
             (_todo("Draft the solution outline", 120, "Proposal template", "Sent"),
              _todo("Review with the manager", 20, "", "Approved"))),
    TaskSpec("Send the final proposal to {contact}", TaskPriority.URGENT,
             (_todo("Draft pricing", 60, "Pricing calculator", "Priced"),
              _todo("Get discount approval", 15, "Deal desk", "Approved"),
              _todo("Legal review of the terms", 30, "Legal", "Cleared"))),
    TaskSpec("Schedule the kick-off with {contact}", TaskPriority.HIGH,
             (AGENDA, _todo("Introduce the customer success manager", 10, "", "Introduced"))),
)  # fmt: skip
LEAD_TASKS = (
    TaskSpec("First contact: {contact}", TaskPriority.HIGH,
             (_todo("Research {company}", 10, "Website, LinkedIn", "Researched"),
              _todo("Call and leave a voicemail", 5, "Call script", "Left voicemail"))),
    TaskSpec("Follow up with {contact}", TaskPriority.NORMAL,
             (_todo("Send the follow-up e-mail", 5, "Sequence step 2", "Sent"),)),
    TaskSpec("Qualify {company}", TaskPriority.NORMAL,
             (_todo("Check company size and budget", 15, "Industry directory", "Checked"),
              _todo("Book a qualification call", 5, "", "Booked"))),
)  # fmt: skip
CUSTOMER_TASKS = (
    TaskSpec("Onboarding check-in with {account}", TaskPriority.NORMAL,
             (_todo("Check adoption numbers", 20, "Usage report", "72 % weekly active"),
              _todo("Collect feedback (NPS)", 10, "Survey", "NPS 8"))),
    TaskSpec("Prepare the renewal for {account}", TaskPriority.HIGH,
             (PREP, _todo("Draft the renewal quote", 30, "Pricing calculator", "Sent"))),
)  # fmt: skip


@dataclass
class Links:
    """The records a piece of work is about."""

    opportunity_id: int | None = None
    account_id: int | None = None
    contact_id: int | None = None
    lead_id: int | None = None


class WorkLog:
    """Builds activities and tasks at business-day times and hands them to the writer."""

    def __init__(self, rng: random.Random, calendar: DemoCalendar, writer: BulkWriter):
        self.rng = rng
        self.calendar = calendar
        self.writer = writer

    def activity(
        self, kind: str, subject: str, t: float, owner_id: int, links: Links, mood: str = ""
    ) -> int:
        """Log one activity; ``mood="negative"`` makes a bad outcome likely (a lost deal)."""
        rng = self.rng
        outcome = OUTCOMES[kind].draw(rng)
        if mood == "negative" and kind in (MEETING, DEMO, CALL) and rng.random() < 0.6:
            outcome = ActivityOutcome.NEGATIVE if kind != CALL else ActivityOutcome.NO_ANSWER
        duration = None
        if kind in DURATIONS:
            low, high = DURATIONS[kind]
            duration = rng.randint(low, high) // 5 * 5 or 5
        notes = pick(rng, NOTES) if kind in (MEETING, NOTE, DEMO) and rng.random() < 0.4 else ""
        when = self.calendar.at(t)
        return self.writer.add(
            Activity,
            type=kind,
            subject=subject[:200],
            notes=notes,
            outcome=outcome,
            occurred_at=when,
            duration_minutes=duration,
            owner_id=owner_id,
            opportunity_id=links.opportunity_id,
            account_id=links.account_id,
            contact_id=links.contact_id,
            lead_id=links.lead_id,
            created_at=when,
        )

    def task(
        self,
        spec: TaskSpec,
        words: dict[str, str],
        *,
        due: float | None,
        assignee_id: int,
        created_by_id: int,
        links: Links,
        status: str,
        completed: float | None = None,
        due_today: bool = False,
    ) -> int:
        """Give someone a task due at business-day time ``due`` (or later today), with to-dos.

        Open work is never more than ``OVERDUE_AT_MOST`` business days late: an older due
        time moves into the last three weeks. A done task has ``completed`` (business-day
        time); its to-dos are ticked with the result measured. An in-progress task has its
        first to-dos ticked.
        """
        rng = self.rng
        still_open = status in (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)
        if still_open and due is not None and due < -OVERDUE_AT_MOST:
            due = -rng.uniform(0.5, OVERDUE_AT_MOST)  # a few days to three weeks late
        if due_today:
            due_at = self.calendar.today_at(pick(rng, (11, 14, 16, 17)))
            created = -rng.uniform(0.2, 5)
        else:
            due_at = self.calendar.at(due)
            created = min(due - rng.uniform(0.5, 8), -0.05)
        priority = spec.priority
        if rng.random() < 0.15:
            priority = pick(rng, TaskPriority.values)
        task_id = self.writer.add(
            Task,
            title=spec.title.format(**words)[:200],
            due_at=due_at,
            priority=priority,
            status=status,
            assignee_id=assignee_id,
            created_by_id=created_by_id,
            completed_at=self.calendar.at(completed) if completed is not None else None,
            opportunity_id=links.opportunity_id,
            account_id=links.account_id,
            contact_id=links.contact_id,
            lead_id=links.lead_id,
            created_at=self.calendar.at(created),
        )
        ticked = len(spec.todos) if status == TaskStatus.DONE else 0
        if status == TaskStatus.IN_PROGRESS:
            ticked = rng.randint(1, max(1, len(spec.todos) - 1))
        for position, todo in enumerate(spec.todos):
            done = position < ticked
            self.writer.add(
                TodoItem,
                task_id=task_id,
                text=todo.text.format(**words)[:300],
                planned_minutes=todo.planned_minutes,
                resources=todo.resources,
                measured_result=todo.result if done else "",
                done=done,
                position=position,
            )
        return task_id
