"""The odds the demo draws from millions of times ("40 % of stages see no activity").

``random.choices`` rebuilds its cumulative weights on every call; a ``Weighted``
builds them once. ``pick`` is ``random.choice`` without its exact-integer
detour, several times faster. Both matter when a load draws a few million times.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


def pick(rng: random.Random, items: Sequence[T]) -> T:
    """One of ``items``, each as likely (for sequences far shorter than 2**53)."""
    return items[int(rng.random() * len(items))]


class Weighted(Generic[T]):
    """A fixed set of outcomes with relative weights, drawn from a given random stream."""

    def __init__(self, outcomes: Sequence[T], weights: Sequence[float]):
        if len(outcomes) != len(weights) or not outcomes:
            raise ValueError("one weight per outcome, at least one outcome")
        self.outcomes = tuple(outcomes)
        self.cumulative = list(itertools.accumulate(weights))
        self.total = self.cumulative[-1]

    @classmethod
    def of(cls, pairs: Sequence[tuple[T, float]]) -> Weighted[T]:
        return cls([outcome for outcome, _ in pairs], [weight for _, weight in pairs])

    def draw(self, rng: random.Random) -> T:
        index = bisect.bisect_right(self.cumulative, rng.random() * self.total)
        return self.outcomes[min(index, len(self.outcomes) - 1)]
