"""The registry itself: complete definitions, checked questions, periods, filters, docs."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from hypothesis import given
from hypothesis import strategies as st

from pipewise.reports.choices import Dimension, Filter, Unit
from pipewise.reports.kpis import Kpi, UnknownKpi, registry
from pipewise.reports.kpis.base import KpiRegistry
from pipewise.reports.kpis.reference import registry_markdown
from pipewise.reports.periods import Period
from pipewise.reports.tests import expect

REQUIRED_KPIS = {
    "won_revenue",
    "won_deal_count",
    "activity_count",
    "lead_volume",
    "lead_conversion_rate",
    "lead_response_time",
    "funnel_conversion",
    "win_rate",
    "win_rate_by_value",
    "average_deal_size",
    "sales_cycle_days",
    "pipeline_value",
    "weighted_pipeline",
    "pipeline_coverage",
    "pipeline_velocity",
    "quota_attainment",
    "activities_per_rep_per_week",
    "average_discount",
    "customer_retention_rate",
    "customer_churn_rate",
    "sales_efficiency",
    "magic_number",
}


def test_the_registry_holds_every_kpi_the_issue_asks_for_with_a_full_definition():
    assert REQUIRED_KPIS <= {kpi.key for kpi in registry}
    for kpi in registry:
        described = kpi.describe()
        assert described["definition"] and described["formula"] and described["period"]
        assert described["unit"] in Unit.values
        assert set(described["dimensions"]) <= set(Dimension.values)
        assert set(described["filters"]) <= set(Filter.values)
        assert kpi.__class__.__doc__, f"{kpi.key} needs a docstring for sales managers"


def test_docs_list_every_definition_as_the_code_has_it():
    docs = (Path(settings.BASE_DIR) / "docs" / "kpis.md").read_text()
    assert registry_markdown() in docs, "run `pipewise kpis --markdown` and update docs/kpis.md"


def test_a_kpi_with_an_incomplete_definition_is_refused_at_registration():
    class Nameless(Kpi):
        key = "nameless"
        unit = "furlongs"

    with pytest.raises(ImproperlyConfigured, match="no name.*unknown unit"):
        KpiRegistry().register(Nameless)


def test_an_unknown_key_names_the_known_ones():
    with pytest.raises(UnknownKpi, match="won_revenue"):
        registry.get("revenue_won")


@pytest.mark.parametrize(
    ("arguments", "field", "message"),
    [
        ({"group_by": "product_line"}, "group_by", "cannot be grouped by 'product_line'"),
        ({"group_by": "colour"}, "group_by", "it accepts: owner, team"),
        ({"group_by": "owner,month,team"}, "group_by", "at most 2"),
        ({"group_by": ["owner", "owner"]}, "group_by", "only once"),
        ({"filters": {"activity_type": "call"}}, "activity_type", "cannot be filtered by"),
        ({"inputs": {"target": "5"}}, "target", "takes no input"),
        ({"start": datetime.date(2025, 2, 1), "end": datetime.date(2025, 1, 1)}, "from", "after"),
        ({"end": datetime.date(9999, 12, 31)}, "to", "out of range"),
        ({"start": datetime.date(1, 1, 1)}, "from", "out of range"),
        ({"filters": {"owner": "9" * 30}}, "owner", "No record has the id"),
        ({"filters": {"source": "web\x00site"}}, "source", "Not a valid value"),
    ],
)
def test_a_bad_question_is_refused_naming_the_argument(people, arguments, field, message):
    with pytest.raises(ValidationError) as error:
        registry.get("win_rate").compute(user=people.ae, **arguments)
    assert field in error.value.message_dict
    assert message in " ".join(error.value.message_dict[field])


def test_single_figure_kpis_cannot_be_grouped_and_inputs_must_be_numbers(people):
    kpi = registry.get("quota_attainment")
    with pytest.raises(ValidationError, match="single figure"):
        kpi.compute(user=people.ae, group_by="owner", inputs={"target": 1})
    with pytest.raises(ValidationError, match="Not a number"):
        kpi.compute(user=people.ae, inputs={"target": "lots"})
    with pytest.raises(ValidationError, match="Not a number"):
        kpi.compute(user=people.ae, inputs={"target": "NaN"})
    with pytest.raises(ValidationError, match="too large"):
        kpi.compute(user=people.ae, inputs={"target": "1e400"})
    # A target too small to be an amount is a target of 0: the attainment is undefined.
    assert kpi.compute(user=people.ae, inputs={"target": "1e-9999"}).value is None


def test_blank_filters_and_group_by_mean_none(people):
    result = registry.get("won_revenue").compute(
        user=people.ae, group_by="", filters={"owner": "", "team": None}
    )
    assert result.groups == [] and result.value == Decimal("0.00")


def test_the_result_is_plain_data(people):
    result = registry.get("won_deal_count").compute(user=people.ae, group_by="owner")
    assert result.as_dict() == {
        "key": "won_deal_count",
        "unit": "count",
        "value": 0,
        "groups": [],
        "undefined": None,
    }


@pytest.mark.parametrize(
    ("start", "end", "previous", "per_year"),
    [
        ("2025-04-01", "2025-06-30", ("2025-01-01", "2025-03-31"), Decimal(4)),
        ("2025-03-01", "2025-03-31", ("2025-02-01", "2025-02-28"), Decimal(12)),
        ("2025-01-01", "2025-12-31", ("2024-01-01", "2024-12-31"), Decimal(1)),
        ("2025-03-10", "2025-03-16", ("2025-03-03", "2025-03-09"), Decimal(365) / 7),
    ],
)
def test_the_previous_period_is_the_same_length_just_before(start, end, previous, per_year):
    period = Period(datetime.date.fromisoformat(start), datetime.date.fromisoformat(end))
    before = period.previous()
    assert (before.start.isoformat(), before.end.isoformat()) == previous
    assert period.per_year() == per_year


# --- filters ---------------------------------------------------------------------------
def test_filters_take_ids_or_natural_keys_and_territories_include_their_children(people, ledger):
    deals = expect.won(ledger, "ops")
    kpi = registry.get("won_revenue")

    def revenue(**filters):
        return kpi.compute(user=people.ops, filters=filters).value

    def expected(keep):
        return expect.amount(d for d in deals if keep(d))

    ae_team = people.ae.team
    assert revenue(owner="ae") == revenue(owner=people.ae.pk) == expected(lambda d: d.owner == "ae")
    assert revenue(team=ae_team.name) == revenue(team=str(ae_team.pk))
    assert revenue(team=ae_team.pk) == expected(lambda d: d.team == ae_team.name)
    german = {"Germany", "Bavaria"}
    assert revenue(territory="DE") == expected(lambda d: d.territory in german)
    assert revenue(territory=people.emea.pk) == expected(lambda d: d.territory in german)
    assert revenue(territory="DE-BY") == expected(lambda d: d.territory == "Bavaria")
    assert revenue(source="website") == expected(lambda d: d.source == "website")
    assert revenue(segment="SMB") == expected(lambda d: d.segment == "SMB")
    assert revenue(pipeline="Standard sales process") == expected(lambda d: True)
    assert revenue(territory="NOWHERE") == Decimal("0.00")


def test_an_unknown_activity_type_is_refused(people):
    with pytest.raises(ValidationError, match="Unknown activity type"):
        registry.get("activity_count").compute(user=people.ae, filters={"activity_type": "fax"})


@given(
    start=st.dates(datetime.date(1950, 1, 1), datetime.date(2900, 1, 1)),
    days=st.integers(0, 800),
)
def test_the_previous_period_always_ends_the_day_before_and_is_as_long(start, days):
    period = Period(start, start + datetime.timedelta(days=days))
    before = period.previous()
    assert before.end == period.start - datetime.timedelta(days=1)
    if period.whole_months:
        assert before.whole_months == period.whole_months
    else:
        assert before.days == period.days


def test_a_kpi_made_of_others_only_accepts_what_its_parts_accept():
    for kpi in registry:
        for key in getattr(kpi, "parts", {}).values():
            part = registry.get(key)
            assert set(kpi.dimensions) <= set(part.dimensions), (kpi.key, key)
            assert set(kpi.filters) <= set(part.filters), (kpi.key, key)
