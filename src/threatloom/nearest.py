"""Did-you-mean suggestions with a bounded cost.

A suggestion compares the word with every name it could be (difflib), so a model with a mistake on every
line and a name list as long as the model would cost the square of its size: 5,000 flows naming a renamed
component took over ten minutes. A :class:`Suggester` remembers each word's answer and stops looking once
it has compared a fixed number of names in all (a :class:`Nearest` does the same for lists that vary
from one look-up to the next); the problems after that get their message and hint without "did you
mean". The first problems, the ones a terminal shows, keep their suggestion, and the
answers depend only on the input, never on the clock.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

COMPARISONS = 50_000  # names compared in all by one suggester: up to 30 µs each, so 1.5 s at the most


class Nearest:
    """Closest-name look-ups that share one budget of comparisons (see the module docstring)."""

    def __init__(self, budget: int = COMPARISONS) -> None:
        self.budget = budget

    def closest(self, word: str, names: Sequence[str], cutoff: float = 0.6) -> str | None:
        """The name closest to `word` if one is close enough; None too once the budget is spent."""
        if len(names) > self.budget:
            return None
        self.budget -= len(names)
        found = difflib.get_close_matches(word, names, 1, cutoff)
        return found[0] if found else None


class Suggester:
    """The closest of a fixed list of names to a word, each word's answer remembered, on a budget."""

    def __init__(self, names: Iterable[str], budget: int = COMPARISONS) -> None:
        self.names = list(names)
        self._nearest = Nearest(budget)
        self._answers: dict[tuple[str, float], str | None] = {}

    def closest(self, word: str, cutoff: float = 0.6) -> str | None:
        key = (word, cutoff)
        if key not in self._answers:
            self._answers[key] = self._nearest.closest(word, self.names, cutoff)
        return self._answers[key]
