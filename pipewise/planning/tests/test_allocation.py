"""Property tests: splits add up exactly, profiles to 100 %, roll-ups are consistent."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from pipewise.planning.allocation import as_percentages, split_exactly
from pipewise.planning.selectors import roll_up

amounts = st.decimals(min_value=0, max_value=Decimal("1e12"), places=2)
weights = st.lists(st.decimals(min_value=0, max_value=1000, places=3), min_size=1, max_size=40)


@given(total=amounts, weights=weights)
def test_it_splits_to_exactly_the_total_in_cents(total, weights):
    if not any(weights):
        weights = weights + [Decimal(1)]
    shares = split_exactly(total, weights)
    assert sum(shares) == total
    assert all(s == s.quantize(Decimal("0.01")) and s >= 0 for s in shares)
    assert all(s == 0 for s, w in zip(shares, weights, strict=True) if w == 0)


@given(total=amounts, weights=weights)
def test_it_is_deterministic_and_never_more_than_a_cent_from_the_exact_share(total, weights):
    if not any(weights):
        weights = weights + [Decimal(1)]
    shares = split_exactly(total, weights)
    assert shares == split_exactly(total, list(weights))
    whole = sum(weights)
    for share, weight in zip(shares, weights, strict=True):
        assert abs(share - total * weight / whole) < Decimal("0.01")


@given(
    st.lists(st.decimals(min_value=0, max_value=Decimal("1e9"), places=2), min_size=12, max_size=12)
)
def test_profiles_derived_from_any_history_add_up_to_100(values):
    if not any(values):
        values[0] = Decimal(1)
    percentages = as_percentages(values)
    assert sum(percentages) == Decimal("100.00")
    assert len(percentages) == 12


def test_the_leftover_cent_goes_to_the_share_that_lost_most_then_the_earliest():
    assert split_exactly(Decimal("100.00"), [1, 1, 1]) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]
    assert split_exactly(Decimal("10"), [1, 2], unit=Decimal(1)) == [Decimal(3), Decimal(7)]


def test_it_refuses_weights_that_are_all_zero_or_negative():
    with pytest.raises(ValidationError):
        split_exactly(Decimal(10), [0, 0])
    with pytest.raises(ValidationError):
        split_exactly(Decimal(10), [1, -1])


@st.composite
def trees(draw):
    """A random tree (node → children) with amounts on the leaves."""
    size = draw(st.integers(min_value=1, max_value=30))
    parents = [None] + [draw(st.integers(min_value=0, max_value=i - 1)) for i in range(1, size)]
    children = {n: [c for c in range(size) if parents[c] == n] for n in range(size)}
    leaves = {n: draw(amounts) for n in range(size) if not children[n]}
    return children, leaves


@given(trees())
def test_the_roll_up_of_roll_ups_equals_the_roll_up_of_the_leaves(tree):
    children, leaves = tree
    total = roll_up(0, children.__getitem__, leaves.__getitem__)
    assert total == sum(leaves.values(), Decimal(0))
    # Rolling up each child first and adding the results gives the same figure.
    if children[0]:
        partial = {c: roll_up(c, children.__getitem__, leaves.__getitem__) for c in children[0]}
        assert sum(partial.values(), Decimal(0)) == total
