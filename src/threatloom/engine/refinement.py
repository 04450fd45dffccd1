"""The team's threats that refine generated ones (`refines:` on a manual threat).

A generated threat that a manual threat refines is built and scored as usual, but no decision is matched
to it and it is not listed: the manual threat stands for it, keeps its ID and takes its references, tags
and detection hint. That way one weakness is reported once, in the team's words and with the team's
judgement of its risk.
"""

from __future__ import annotations

from collections.abc import Sequence

from threatloom.engine.threat import Threat
from threatloom.errors import Problem
from threatloom.lifecycle.patterns import ThreatPatterns, unmatched_hint
from threatloom.model.schema import ManualThreat, Model


class Refinements:
    """Which manual threats refine which generated threats, and the patterns that matched nothing."""

    def __init__(self, model: Model) -> None:
        self.model = model
        # every pattern of every manual threat, by position, with the manual threat it belongs to
        self._owners: list[tuple[str, str]] = [(m.id, p) for m in model.threats for p in m.refines]
        self._patterns = ThreatPatterns(pattern for _, pattern in self._owners)
        self._hits = [0] * len(self._owners)
        self.refined_by: dict[str, list[str]] = {}  # generated threat ID -> the manual threats refining it

    def claims(self, threat_id: str) -> bool:
        """Whether a manual threat refines the generated threat `threat_id` (remembered for later)."""
        positions = [*self._patterns.exact(threat_id), *self._patterns.wildcards(threat_id)]
        if not positions:
            return False
        for position in positions:
            self._hits[position] += 1
        self.refined_by[threat_id] = sorted({self._owners[p][0] for p in positions})
        return True

    def unmatched(self, generated: Sequence[str]) -> list[Problem]:
        """A warning for each pattern under `refines` that matched no generated threat."""
        ids = sorted(generated)
        return [Problem(self.model.locate(f"threats/{owner}"),
                        f"threat {owner!r} refines {pattern!r}, which matches no generated threat",
                        unmatched_hint(pattern, ids), "unmatched-refinement", severity="warning")
                for (owner, pattern), hits in zip(self._owners, self._hits, strict=True) if not hits]


def refined_parts(manual: ManualThreat, refined: Sequence[Threat]) -> tuple[
        tuple[int, ...], tuple[int, ...], tuple[str, ...], tuple[str, ...]]:
    """What a manual threat takes from the generated threats it refines, its own first: CAPEC, CWE and
    ATT&CK IDs, and tags. Not their controls: which catalog controls count against the team's threat,
    and so its residual risk, stays the team's call (`controls:`), so that refining never moves a score."""
    capec = tuple(dict.fromkeys((*manual.capec, *(c for t in refined for c in t.capec))))
    cwe = tuple(dict.fromkeys((*manual.cwe, *(c for t in refined for c in t.cwe))))
    attack = tuple(dict.fromkeys((*manual.attack, *(a for t in refined for a in t.attack))))
    tags = tuple(sorted({tag for t in refined for tag in t.tags}))
    return capec, cwe, attack, tags
