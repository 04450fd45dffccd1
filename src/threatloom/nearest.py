"""Did-you-mean suggestions with a bounded cost.

A suggestion compares the word with every name it could be (difflib), so a model with a mistake on every
line and a name list as long as the model would cost the square of its size: 5,000 flows naming a renamed
component took over ten minutes. A :class:`Nearest` remembers each answer and stops looking once it has
compared a fixed number of names in all (a :class:`Suggester` is one over a fixed list of names); the
problems after that get their message and hint without "did you
mean". The first problems, the ones a terminal shows, keep their suggestion, and the
answers depend only on the input, never on the clock.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

COMPARISONS = 50_000  # names compared in all by one suggester: up to 30 µs each, so 1.5 s at the most


class Nearest:
    """Closest-name look-ups that share one budget of comparisons, each answer remembered (see the module
    docstring). `spent` tells that some look-up was skipped, so that a hint does not claim there is no
    close name when none was looked for."""

    def __init__(self, budget: int = COMPARISONS) -> None:
        self.budget = budget
        self.spent = False
        self._answers: dict[tuple[str, float, tuple[str, ...]], str | None] = {}

    def closest(self, word: str, names: Iterable[str], cutoff: float = 0.6) -> str | None:
        """The name closest to `word` if one is close enough; None too once the budget is spent."""
        choices = tuple(names)
        key = (word, cutoff, choices)
        if key in self._answers:
            return self._answers[key]
        if len(choices) > self.budget:
            self.spent = True
            return None
        self.budget -= len(choices)
        found = difflib.get_close_matches(word, choices, 1, cutoff)
        answer = self._answers[key] = found[0] if found else None
        return answer


class Suggester:
    """The closest of a fixed list of names to a word, on a budget of its own."""

    def __init__(self, names: Iterable[str], budget: int = COMPARISONS) -> None:
        self.names = tuple(names)
        self._nearest = Nearest(budget)

    def closest(self, word: str, cutoff: float = 0.6) -> str | None:
        return self._nearest.closest(word, self.names, cutoff)
