"""Build a benchmark dataset: a sales org, accounts, and N opportunities, fast.

The org and accounts go through the services; the opportunities are inserted
with raw ``executemany`` in chunks, because a benchmark of 1M rows should not
take an hour to prepare. Rows satisfy every DB constraint (lost deals have a
reason, closed deals a close time).
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

ACCOUNTS = 5000
MANAGERS = 5
REPS_PER_MANAGER = 8


def build(size: int, *, seed: int = 7, progress=print) -> None:
    """Create the org (if missing) and top the opportunities up to ``size`` rows."""
    from pipewise.customers.models import Account
    from pipewise.org.models import User
    from pipewise.pipeline.models import Opportunity
    from pipewise.pipeline.selectors import default_pipeline

    if not User.objects.filter(username="bench-admin").exists():
        _org_and_accounts(seed)
    have = Opportunity.all_objects.count()
    if have >= size:
        _totals_ready(progress)
        return
    rng = random.Random(seed + have)
    pipeline = default_pipeline()
    stages = list(pipeline.stages.order_by("order"))
    reps = list(User.objects.filter(username__startswith="bench-rep").values_list("id", flat=True))
    account_ids = list(Account.objects.values_list("id", flat=True))
    now = timezone.now()
    table = Opportunity._meta.db_table
    columns = [
        "name",
        "account_id",
        "owner_id",
        "pipeline_id",
        "stage_id",
        "status",
        "amount",
        "close_date",
        "forecast_category",
        "source",
        "lost_reason",
        "competitor",
        "stage_entered_at",
        "closed_at",
        "created_at",
        "updated_at",
        "version",
    ]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join(['%s'] * len(columns))})"
    chunk = 10000
    for start in range(have, size, chunk):
        rows = []
        for n in range(start, min(size, start + chunk)):
            stage = stages[rng.randrange(len(stages))]
            created = now - datetime.timedelta(days=rng.randrange(730), minutes=n % 1440)
            closed = stage.kind != "open"
            closed_at = created + datetime.timedelta(days=rng.randrange(1, 120)) if closed else None
            rows.append(
                (
                    f"Deal {n}",
                    rng.choice(account_ids),
                    rng.choice(reps),
                    pipeline.pk,
                    stage.pk,
                    stage.kind,
                    Decimal(rng.randrange(2000, 250000)),
                    (closed_at or now + datetime.timedelta(days=rng.randrange(-30, 180))).date(),
                    {"open": "pipeline", "won": "closed", "lost": "omitted"}[stage.kind],
                    "website",
                    "No budget" if stage.kind == "lost" else "",
                    "",
                    created,
                    closed_at,
                    created,
                    now,
                    1,
                )
            )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        progress(f"  opportunities: {start + len(rows):,}/{size:,}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    _totals_ready(progress, rebuild=True)


def _totals_ready(progress, *, rebuild: bool = False) -> None:
    """The running stage totals that boards read: the raw inserts went around the services."""
    from pipewise.pipeline.models import DealMonthTotal, StageTotal
    from pipewise.pipeline.totals import deal_months_rebuild, stage_totals_rebuild

    if rebuild or not StageTotal.objects.exists():
        rows = stage_totals_rebuild()
        progress(f"  stage totals: {rows:,} rows")
    if rebuild or not DealMonthTotal.objects.exists():
        rows = deal_months_rebuild()
        progress(f"  deal month totals: {rows:,} rows")


def _org_and_accounts(seed: int) -> None:
    from pipewise.customers.models import Account
    from pipewise.org.models import User
    from pipewise.org.services import user_save

    rng = random.Random(seed)
    user_save(username="bench-admin", roles=["admin"], password="bench-password-1")
    for m in range(MANAGERS):
        manager = user_save(
            username=f"bench-manager-{m}", roles=["sales_manager"], password="bench-password-1"
        )
        for r in range(REPS_PER_MANAGER):
            user_save(
                username=f"bench-rep-{m}-{r}",
                roles=["account_executive"],
                manager=manager,
                password="bench-password-1",
            )
    rep_ids = list(
        User.objects.filter(username__startswith="bench-rep").values_list("id", flat=True)
    )
    now = timezone.now()
    Account.objects.bulk_create(
        [
            Account(name=f"Account {i}", owner_id=rng.choice(rep_ids), created_at=now)
            for i in range(ACCOUNTS)
        ],
        batch_size=2000,
    )
