"""The demo's three sales processes with their matrix, and what the history says about them.

``processes_build`` sets up the process matrix: the customer's eight-step
process (consultative selling, the default), a short transactional process and
a long enterprise process, each stage with its goal, expected duration, exit
criteria (required fields, milestones), tools, talk track and follow-ups.

``process_results_generate`` runs after the deals are written (in bulk, around
the services) and adds what the services would have written alongside: the
milestones each deal reached (ticked by its owner while in the stage), the
discount approvals its quotes needed, and the order of each won deal. Deals
that already have them (an earlier load, before ``--append``) are left alone.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Max

from pipewise.catalog.models import PriceList
from pipewise.org.models import OrganisationSettings, User
from pipewise.pipeline.choices import (
    AssigneeRule,
    CriteriaMode,
    DiscountApprovalStatus,
    OrderStatus,
    StageKind,
)
from pipewise.pipeline.models import (
    DiscountApproval,
    FollowUpTemplate,
    LineItem,
    Milestone,
    Opportunity,
    OpportunityMilestone,
    Order,
    OrderLine,
    Pipeline,
    Stage,
    StageChange,
    StageTool,
)
from pipewise.pipeline.selectors import default_pipeline

PLAYBOOK_URL = "https://intranet.example.com/sales/playbook/"
BATCH = 5000

# name → goal, expected days, required fields, milestones, talk track, tools, follow-ups
# (a follow-up: title, days after entering, assignee rule)
CONSULTATIVE = {
    "Prospecting": (
        "Find companies with the problem we solve and a reason to act this year.",
        10,
        [],
        ["Ideal customer profile checked"],
        "Open with the result a peer company got; ask how they handle it today.",
        [("Ideal customer profile", "icp.pdf")],
        [("Research the account and its people", 2, AssigneeRule.OWNER)],
    ),
    "Qualifying": (
        "Confirm need, budget, authority and timing (or drop the deal early).",
        14,
        ["contact"],
        ["Budget confirmed", "Decision maker identified"],
        "BANT: what happens if nothing changes? who signs? what budget line? by when?",
        [("Qualification questions", "bant.pdf")],
        [("Discovery call with the primary contact", 3, AssigneeRule.OWNER)],
    ),
    "Gathering information": (
        "Understand the customer's process, systems and numbers well enough to propose.",
        15,
        ["contact"],
        ["Current process mapped"],
        "Ask for the numbers: volumes, people, error rates, cost of delay.",
        [],
        [],
    ),
    "Approach": (
        "Agree with the decision maker what a good solution must achieve.",
        12,
        [],
        ["Decision maker met"],
        "Restate their goals in their words; agree the success criteria in writing.",
        [("Meeting agenda template", "approach-agenda.docx")],
        [("Send the agreed success criteria", 1, AssigneeRule.OWNER)],
    ),
    "Presentation": (
        "Show how we meet the success criteria; price it.",
        14,
        ["amount", "line_items"],
        ["Demo held", "Proposal sent"],
        "Demo their process, not our menu. Close the meeting on next steps.",
        [("Standard deck", "deck.pptx"), ("ROI calculator", "roi.xlsx")],
        [("Manager reviews the proposal", 2, AssigneeRule.OWNER_MANAGER)],
    ),
    "Needs research": (
        "Resolve every open question and objection before the final offer.",
        15,
        [],
        ["Technical fit confirmed"],
        "List the objections; answer each with a reference or a proof.",
        [],
        [],
    ),
    "Closing": (
        "Negotiate and sign.",
        14,
        ["close_date"],
        ["Verbal agreement", "Contract signed"],
        "Trade, don't give: every concession gets one back (term, volume, reference).",
        [("Contract template", "contract.docx")],
        [("Prepare the order and handover", 5, AssigneeRule.CUSTOMER_SUCCESS)],
    ),
    "Follow-up & after-sales": (
        "Hand over to delivery and customer success; make the customer a reference.",
        20,
        [],
        ["Kick-off held"],
        "Check the first weeks went as promised; ask for the reference.",
        [],
        [("Kick-off with customer success", 3, AssigneeRule.CUSTOMER_SUCCESS)],
    ),
}

TRANSACTIONAL = (
    "Transactional sales",
    "Small, fast deals from inbound demand: qualify, quote, close within weeks.",
    CriteriaMode.WARN,
    [
        ("Qualify", 20, "open", "Check fit and the buyer can order.", 5, [], ["Fit confirmed"]),
        ("Quote", 60, "open", "Send the price list quote.", 7, ["line_items"], ["Quote sent"]),
        ("Close", 85, "open", "Get the order signed.", 7, ["close_date"], ["Order signed"]),
        ("Won", 100, "won", "", None, [], []),
        ("Lost", 0, "lost", "", None, [], []),
    ],
)

ENTERPRISE = (
    "Enterprise sales",
    "Large multi-stakeholder deals: exit criteria block the move until they are met.",
    CriteriaMode.BLOCK,
    [
        ("Discovery", 5, "open", "Map the organisation and the business case.", 30, ["contact"],
         ["Executive sponsor identified"]),
        ("Business case", 15, "open", "Quantify value with the sponsor.", 30, [],
         ["Business case agreed"]),
        ("Solution design", 30, "open", "Design with IT and operations.", 45, [],
         ["Technical validation passed"]),
        ("Proposal", 50, "open", "Formal proposal and pricing.", 30, ["amount", "line_items"],
         ["Proposal presented"]),
        ("Procurement", 70, "open", "Legal, security and procurement review.", 45, [],
         ["Security review passed", "Legal terms agreed"]),
        ("Signature", 90, "open", "Executive signature.", 20, ["close_date"],
         ["Contract signed"]),
        ("Won", 100, "won", "", None, [], []),
        ("Lost", 0, "lost", "", None, [], []),
    ],
)  # fmt: skip


def _matrix(stage: Stage, goal, days, required, milestones, talk, tools, follow_ups) -> None:
    stage.goal, stage.expected_days, stage.required_fields, stage.talk_track = (
        goal,
        days,
        required,
        talk,
    )
    stage.save(update_fields=["goal", "expected_days", "required_fields", "talk_track"])
    for order, name in enumerate(milestones, start=1):
        Milestone.objects.get_or_create(stage=stage, name=name, defaults={"order": order})
    for title, file_name in tools:
        StageTool.objects.get_or_create(
            stage=stage, title=title, defaults={"url": PLAYBOOK_URL + file_name}
        )
    for title, days_after, rule in follow_ups:
        FollowUpTemplate.objects.get_or_create(
            stage=stage, title=title, defaults={"due_in_days": days_after, "assignee_rule": rule}
        )


def processes_build() -> list[Pipeline]:
    """The three demo processes (consultative = the default, transactional, enterprise)."""
    consultative = default_pipeline()
    for stage in consultative.stages.filter(kind=StageKind.OPEN):
        if stage.name in CONSULTATIVE:
            _matrix(stage, *CONSULTATIVE[stage.name])
    built = [consultative]
    for name, description, mode, stages in (TRANSACTIONAL, ENTERPRISE):
        pipeline, _ = Pipeline.objects.get_or_create(
            name=name, defaults={"description": description, "criteria_mode": mode}
        )
        for order, (stage_name, probability, kind, goal, days, required, milestones) in enumerate(
            stages, start=1
        ):
            stage, _ = Stage.objects.get_or_create(
                pipeline=pipeline,
                name=stage_name,
                defaults={"order": order, "probability": probability, "kind": kind},
            )
            if kind == StageKind.OPEN:
                talk = f"{goal} Agree the next step before the meeting ends."
                _matrix(stage, goal, days, required, milestones, talk, [], [])
        built.append(pipeline)
    return built


def _moment(start: datetime.datetime, end: datetime.datetime, share: float) -> datetime.datetime:
    return start + (end - start) * share


def process_results_generate(*, pipelines: list[Pipeline], now: datetime.datetime) -> dict:
    """Milestones reached, discount approvals and orders for the demo deals (deterministic)."""
    counts = {
        "milestones reached": _milestones_generate(pipelines, now),
        "discount approvals": 0,
        "orders": 0,
    }
    counts["discount approvals"] = _approvals_generate(pipelines, now)
    counts["orders"] = _orders_generate(pipelines, now)
    return counts


def _milestones_generate(pipelines, now) -> int:
    """A stage's milestones are reached while the deal is in it; left forward = all reached.

    A deal lost from a stage reached its first milestone there; an open deal has
    reached the first milestone of its current stage once it has been there a day
    (every other deal, by id), so the checklists and the report have both.
    """
    by_stage: dict[int, list[int]] = defaultdict(list)
    for milestone in Milestone.objects.filter(stage__pipeline__in=pipelines).order_by(
        "stage_id", "order", "id"
    ):
        by_stage[milestone.stage_id].append(milestone.pk)
    kinds = dict(Stage.objects.filter(pipeline__in=pipelines).values_list("pk", "kind"))
    rows = (
        StageChange.objects.filter(opportunity__pipeline__in=pipelines)
        .exclude(opportunity__in=OpportunityMilestone.objects.values("opportunity_id"))
        .order_by("opportunity_id", "changed_at", "id")
        .values_list("opportunity_id", "to_stage_id", "changed_at", "opportunity__owner_id")
        .iterator(chunk_size=BATCH)
    )
    pending: list[OpportunityMilestone] = []
    written = 0
    previous = None
    for row in rows:
        if previous is not None and previous[0] == row[0]:
            ticks = by_stage.get(previous[1], [])
            if kinds[row[1]] == StageKind.LOST:
                ticks = ticks[:1]
            for index, milestone_id in enumerate(ticks):
                at = _moment(previous[2], row[2], (index + 1) / (len(ticks) + 1))
                pending.append(_tick(row[0], milestone_id, at, row[3]))
        elif previous is not None:
            written += _open_tick(previous, by_stage, kinds, now, pending)
        previous = row
        if len(pending) >= BATCH:
            written += _flush(pending)
    if previous is not None:
        written += _open_tick(previous, by_stage, kinds, now, pending)
    return written + _flush(pending)


def _tick(opportunity_id, milestone_id, at, owner_id) -> OpportunityMilestone:
    return OpportunityMilestone(
        opportunity_id=opportunity_id,
        milestone_id=milestone_id,
        reached_at=at,
        reached_by_id=owner_id,
    )


def _open_tick(last, by_stage, kinds, now, pending) -> int:
    """The deal's last row: if it is open, maybe tick its current stage's first milestone."""
    opportunity_id, stage_id, entered, owner_id = last
    ticks = by_stage.get(stage_id, [])
    reached = entered + datetime.timedelta(days=1)
    if kinds[stage_id] == StageKind.OPEN and ticks and opportunity_id % 2 == 0 and reached < now:
        pending.append(_tick(opportunity_id, ticks[0], reached, owner_id))
    return 0


def _flush(pending: list) -> int:
    count = len(pending)
    if pending:
        OpportunityMilestone.objects.bulk_create(pending, batch_size=BATCH)
        pending.clear()
    return count


def _discounted(pipelines) -> dict[int, Decimal]:
    """Largest discount per deal, for deals above the default price list's threshold."""
    price_list = PriceList.objects.filter(is_default=True, active=True).first()
    if price_list is None:
        return {}
    return dict(
        LineItem.objects.filter(opportunity__pipeline__in=pipelines)
        .exclude(opportunity__in=DiscountApproval.objects.values("opportunity_id"))
        .values("opportunity_id")
        .annotate(top=Max("discount_percent"))
        .filter(top__gt=price_list.approval_threshold_percent)
        .values_list("opportunity_id", "top")
    )


def _approvals_generate(pipelines, now) -> int:
    """Won deals with a large discount had it approved by the owner's manager; open ones wait."""
    price_list = PriceList.objects.filter(is_default=True, active=True).first()
    discounted = _discounted(pipelines)
    if not discounted:
        return 0
    managers = dict(User.objects.values_list("pk", "manager_id"))
    approvals = []
    deals = Opportunity.objects.filter(pk__in=list(discounted)).values_list(
        "pk", "owner_id", "status", "stage_entered_at", "closed_at"
    )
    for pk, owner_id, status, entered, closed_at in deals.order_by("pk"):
        if status == StageKind.LOST:
            continue
        requested = entered if status == StageKind.OPEN else closed_at - datetime.timedelta(days=3)
        approved = status == StageKind.WON or pk % 3 == 0
        approvals.append(
            DiscountApproval(
                opportunity_id=pk,
                discount_percent=discounted[pk],
                threshold_percent=price_list.approval_threshold_percent,
                status=DiscountApprovalStatus.APPROVED
                if approved
                else DiscountApprovalStatus.PENDING,
                requested_by_id=owner_id,
                requested_at=requested,
                request_comment="Multi-year commitment" if approved else "Competitor offer",
                decided_by_id=managers.get(owner_id) if approved else None,
                decided_at=requested + datetime.timedelta(days=1) if approved else None,
            )
        )
    DiscountApproval.objects.bulk_create(approvals, batch_size=BATCH)
    return len(approvals)


def _order_status(age: datetime.timedelta) -> str:
    if age > datetime.timedelta(days=30):
        return OrderStatus.INVOICED
    if age > datetime.timedelta(days=7):
        return OrderStatus.DELIVERED
    return OrderStatus.CONFIRMED


def _orders_generate(pipelines, now) -> int:
    """Each won deal became an order: its line items, or its amount when it has none."""
    currency = OrganisationSettings.current().currency
    price_list = PriceList.objects.filter(is_default=True, active=True).first()
    if price_list is not None:
        currency = price_list.currency
    won = list(
        Opportunity.objects.filter(pipeline__in=pipelines, status=StageKind.WON, order__isnull=True)
        .order_by("pk")
        .values_list("pk", "amount", "closed_at", "owner_id")
    )
    written = 0
    for start in range(0, len(won), BATCH):
        chunk = won[start : start + BATCH]
        lines: dict[int, list[LineItem]] = defaultdict(list)
        for line in LineItem.objects.filter(opportunity_id__in=[w[0] for w in chunk]).order_by(
            "id"
        ):
            lines[line.opportunity_id].append(line)
        orders = []
        for pk, amount, closed_at, owner_id in chunk:
            items = lines.get(pk, [])
            net = sum((i.total for i in items), Decimal("0.00")) if items else amount
            gross = (
                sum(
                    ((i.quantity * i.unit_price).quantize(Decimal("0.01")) for i in items),
                    Decimal("0.00"),
                )
                if items
                else amount
            )
            orders.append(
                Order(
                    opportunity_id=pk,
                    status=_order_status(now - closed_at),
                    amount=net,
                    gross_amount=gross,
                    currency=currency,
                    created_at=closed_at,
                    created_by_id=owner_id,
                    status_changed_at=closed_at,
                )
            )
        created = Order.objects.bulk_create(orders, batch_size=BATCH)
        by_deal = {order.opportunity_id: order for order in created}
        OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order_id=by_deal[deal].pk,
                    product_id=i.product_id,
                    quantity=i.quantity,
                    unit_price=i.unit_price,
                    discount_percent=i.discount_percent,
                    total=i.total,
                )
                for deal, items in lines.items()
                for i in items
            ],
            batch_size=BATCH,
        )
        written += len(created)
    return written
