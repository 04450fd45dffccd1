"""Threat generation: the rule condition language, facts, reachability and analysis.

`from threatloom.engine import analyse` is the entry point; it is resolved lazily so that the
catalog can use the condition language without importing the whole engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from threatloom.engine.generation import analyse, catalog_for
    from threatloom.engine.threat import Analysis, Threat

__all__ = ["Analysis", "Threat", "analyse", "catalog_for"]


def __getattr__(name: str) -> Any:
    if name in ("analyse", "catalog_for"):
        from threatloom.engine import generation

        return getattr(generation, name)
    if name in ("Analysis", "Threat"):
        from threatloom.engine import threat

        return getattr(threat, name)
    raise AttributeError(name)
