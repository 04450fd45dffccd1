"""Small helpers for text people read: counts with their nouns."""

from __future__ import annotations


def counted(n: int, word: str, many: str | None = None) -> str:
    """`1 threat`, `2 threats`; `many` for a plural that is not the word with an s."""
    return f"{n} {word if n == 1 else many or word + 's'}"
