"""The team's threats that refine generated ones (`refines:` on a manual threat).

A generated threat that a manual threat refines is built and scored as usual; once the manual threats are
scored, it folds into them: it is not listed, and the manual threats that refine it list its ID, its
elements and assets, its references, tags and detection hint. That way one weakness is reported once, in
the team's words and with the team's judgement of its risk.

Refining never lowers the risk reported: a generated threat folds only when every manual threat refining
it rates its residual risk at least as high, in level and in score, and none of them is marked a false
positive. Otherwise it stays listed with its own decision, and a warning says why; the controls the team
counts belong in the model, where the rule sees them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import msgspec

from threatloom.engine.threat import Threat
from threatloom.errors import Problem
from threatloom.lifecycle.patterns import IdParts, ThreatPatterns, is_pattern, unmatched_hint
from threatloom.model.schema import Model
from threatloom.model.vocabulary import ThreatStatus
from threatloom.nearest import Nearest


class Refinements:
    """Which manual threats refine which generated threats, and what did not fold."""

    def __init__(self, model: Model) -> None:
        self.model = model
        # every pattern of every manual threat, by position, with the manual threat it belongs to
        self._owners: list[tuple[str, str]] = [(m.id, p) for m in model.threats for p in m.refines]
        self._patterns = ThreatPatterns(pattern for _, pattern in self._owners)
        self._hits = [0] * len(self._owners)
        self._claimed: dict[str, list[str]] = {}  # generated threat ID -> the manual threats naming it
        self.refined_by: dict[str, list[str]] = {}  # the same, for the threats that folded
        # manual threat ID -> that threat and the generated ones it could not stand for, kept listed
        self._lower: dict[str, tuple[Threat, list[Threat]]] = {}

    def claims(self, threat_id: str) -> bool:
        """Whether a manual threat names the generated threat `threat_id` (remembered for :meth:`fold`)."""
        positions = [*self._patterns.exact(threat_id), *self._patterns.wildcards(threat_id)]
        if not positions:
            return False
        for position in positions:
            self._hits[position] += 1
        self._claimed[threat_id] = sorted({self._owners[p][0] for p in positions})
        return True

    def any_unmatched(self) -> bool:
        """Whether some pattern under `refines` has matched no generated threat so far."""
        return 0 in self._hits

    def fold(self, generated: list[Threat], manual: list[Threat],
             decided: Callable[[Threat], Threat]) -> tuple[list[Threat], list[Threat]]:
        """The generated threats still listed (those claimed but not folded given their decision by
        `decided`), and the manual threats with what folded into them."""
        by_id = {t.id: t for t in manual}
        kept: list[Threat] = []
        folded: dict[str, list[Threat]] = {}
        for threat in generated:
            claimed = self._claimed.get(threat.id)
            if claimed is None:
                kept.append(threat)
                continue
            lower = [m for m in claimed if not _stands_for(by_id[m], threat)]
            if lower:
                for manual_id in lower:
                    self._lower.setdefault(manual_id, (by_id[manual_id], []))[1].append(threat)
                kept.append(decided(threat))
                continue
            self.refined_by[threat.id] = claimed
            for manual_id in claimed:
                folded.setdefault(manual_id, []).append(threat)
        return kept, [_with_refined(t, folded[t.id]) if t.id in folded else t for t in manual]

    def _rated_lower(self, mine: Threat, kept: list[Threat]) -> Problem:
        """One warning per manual threat, naming the generated threats it could not stand for."""
        manual_id = mine.id
        where = self.model.locate(f"threats/{manual_id}")
        if mine.status is ThreatStatus.FALSE_POSITIVE:
            return Problem(where, f"threat {manual_id!r} is marked a false positive, so it cannot stand for what "
                           f"it refines, which stays listed: {_listed(kept)}",
                           "decide on those threats themselves, or remove them from `refines`",
                           "refinement-lowers-risk", severity="warning")
        worst = max(kept, key=lambda t: (t.residual.level.rank, t.residual.score))
        rules = ", ".join(dict.fromkeys(str(t.rule_id) for t in kept))
        return Problem(
            where, f"threat {manual_id!r} refines {_listed(kept)} but rates the residual risk lower "
            f"({mine.residual.level.value} {mine.residual.score} against {worst.residual.level.value} "
            f"{worst.residual.score} for {worst.id}), so {'it stays' if len(kept) == 1 else 'they stay'} listed",
            f"record the controls that lower it where rule {rules} counts them (`threatloom rules show RULE`), "
            f"rate {manual_id} at least as high, or decide on the rule's threat",
            "refinement-lowers-risk", severity="warning")

    def problems(self, generated: Sequence[str], parts: IdParts | None = None) -> list[Problem]:
        """Warnings: refinements rated lower than what they refine, and patterns that matched nothing (with
        `parts`, saying why)."""
        ids = sorted(generated)
        manual_ids = {m.id for m in self.model.threats}
        nearest = Nearest()  # one budget for every pattern's suggestion
        unmatched = [Problem(self.model.locate(f"threats/{owner}"),
                             f"threat {owner!r} refines {pattern!r}, which matches no generated threat",
                             _unmatched_hint(pattern, ids, parts, manual_ids, nearest), "unmatched-refinement",
                             severity="warning")
                     for (owner, pattern), hits in zip(self._owners, self._hits, strict=True) if not hits]
        return [*(self._rated_lower(mine, kept) for mine, kept in self._lower.values()), *unmatched]


def _unmatched_hint(pattern: str, ids: Sequence[str], parts: IdParts | None, manual_ids: set[str],
                    nearest: Nearest) -> str:
    if pattern in manual_ids:
        return "only generated threats (RULE@element) are refined; it is a threat of the team"
    if "@" not in pattern and not is_pattern(pattern):
        return "only generated threats (RULE@element) are refined: name the rule and the element"
    return unmatched_hint(pattern, ids, parts, nearest)


def _stands_for(manual: Threat, threat: Threat) -> bool:
    """Whether a manual threat may report `threat` in its stead: it rates the residual risk at least as
    high in level and in score (under the OWASP method a level is not a function of the score), and it
    is not itself marked a false positive."""
    mine, theirs = manual.residual, threat.residual
    return (mine.level.rank >= theirs.level.rank and mine.score >= theirs.score
            and manual.status is not ThreatStatus.FALSE_POSITIVE)


def _listed(threats: Sequence[Threat]) -> str:
    ids = [t.id for t in threats]
    return ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def _with_refined(manual: Threat, refined: Sequence[Threat]) -> Threat:
    """A manual threat with the generated threats it refines folded in, its own parts first: their IDs,
    elements, assets, actors, CAPEC, CWE and ATT&CK IDs, tags and detection hints, and whether they are
    reachable and exposed. Not their scores nor their controls: which catalog controls count against the
    team's threat stays the team's call."""
    def joined(own: tuple[object, ...], theirs: Callable[[Threat], tuple[object, ...]]) -> tuple[object, ...]:
        return tuple(dict.fromkeys((*own, *(v for t in refined for v in theirs(t)))))

    return msgspec.structs.replace(
        manual,
        elements=joined(manual.elements, lambda t: t.elements),
        assets=joined(manual.assets, lambda t: t.assets), actors=joined(manual.actors, lambda t: t.actors),
        reachable=manual.reachable or any(t.reachable for t in refined),
        exposed=manual.exposed or any(t.exposed for t in refined),
        capec=joined(manual.capec, lambda t: t.capec), cwe=joined(manual.cwe, lambda t: t.cwe),
        attack=joined(manual.attack, lambda t: t.attack),
        tags=tuple(sorted({tag for t in refined for tag in t.tags} | set(manual.tags))),
        detection=" ".join(dict.fromkeys(d for d in (manual.detection, *(t.detection for t in refined)) if d)),
        refines=tuple(sorted(t.id for t in refined)))
