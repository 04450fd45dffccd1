"""How the threat actors who reach an element move a threat's likelihood.

Reaching is not enough: the actor must want what the threat gives (its motivation fits the category:
an espionage actor does not flood a service) and be able to (its skill is at least the rule's
`actor_skill`). The +1 for a highly skilled, well-resourced actor needs it to reach the element
directly (from where it starts, or one flow away; gateways and queues that pass requests on add no
step, see :mod:`threatloom.engine.reach`): an actor that must first take over other elements on the way
is already counted by the threats on those. Some threats need no attacker at all (data kept
too long, people not told, a vendor's outage): actors neither raise nor lower them, and they are never
"unreachable".
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from threatloom.engine.threat import Factor
from threatloom.model.schema import Actor
from threatloom.model.vocabulary import Category, Motivation, Resources, Skill

M = Motivation
_MALICIOUS = frozenset(M) - {M.NEGLIGENCE}
_SNOOPING = frozenset({M.FINANCIAL, M.ESPIONAGE, M.CURIOSITY, M.COMPETITIVE_ADVANTAGE, M.REVENGE})
MOTIVES: dict[Category, frozenset[Motivation]] = {
    Category.SPOOFING: _MALICIOUS,
    Category.ELEVATION_OF_PRIVILEGE: _MALICIOUS,
    Category.TAMPERING: _MALICIOUS - {M.CURIOSITY},
    Category.REPUDIATION: _MALICIOUS - {M.NOTORIETY},
    Category.INFORMATION_DISCLOSURE: frozenset(M) - {M.DISRUPTION},
    Category.DATA_DISCLOSURE: frozenset(M) - {M.DISRUPTION},
    Category.DENIAL_OF_SERVICE: frozenset({M.DISRUPTION, M.IDEOLOGY, M.REVENGE, M.NOTORIETY, M.FINANCIAL}),
    Category.LINKING: _SNOOPING,
    Category.IDENTIFYING: _SNOOPING,
    Category.DETECTING: _SNOOPING,
    Category.NON_REPUDIATION: _SNOOPING,
}
"""The motivations that fit each category (an actor with no motivation recorded fits every one)."""
NO_ATTACKER = frozenset({Category.UNAWARENESS, Category.NON_COMPLIANCE})
DIRECT_HOPS = 1  # from where the actor starts, or one flow away
STRONG_SKILL = Skill.HIGH.rank
STRONG_RESOURCES = Resources.ORGANISATION.rank


def needs_attacker(category: Category, skill: Skill) -> bool:
    """False for threats that happen without anyone attacking: LINDDUN unawareness and non-compliance, and
    rules whose `actor_skill` is `none` (over-retention, an outage)."""
    return category not in NO_ATTACKER and skill is not Skill.NONE


def fits(actor: Actor, category: Category) -> bool:
    return not actor.motivation or bool(set(actor.motivation) & MOTIVES.get(category, _MALICIOUS))


class ActorJudgement(msgspec.Struct, frozen=True):
    capable: tuple[str, ...]  # actors with the motive and the skill, by ID
    reachable: bool
    delta: float
    factor: Factor | None


def judge(category: Category, skill: Skill, reaching: Sequence[tuple[Actor, int]],
          actors_modelled: bool) -> ActorJudgement:
    """The actor factor of a threat of `category` needing `skill`, from the actors that reach its target
    (with the fewest hops each needs)."""
    words = category.value.replace("-", " ")
    if not needs_attacker(category, skill):
        return ActorJudgement((), True, 0.0, Factor(
            "likelihood", 0, "no attacker is needed (it happens through an omission or an outage), so threat "
            "actors neither raise nor lower it", "actor"))
    if not actors_modelled:
        return ActorJudgement((), True, 0.0, None)
    if not reaching:
        return ActorJudgement((), False, -2.0, Factor("likelihood", -2, "no modelled threat actor can reach it",
                                                      "actor"))
    motivated = [(a, hops) for a, hops in reaching if fits(a, category)]
    if not motivated:
        who = "; ".join(f"{a.name}: {', '.join(m.value for m in a.motivation)}" for a, _ in reaching[:3])
        return ActorJudgement((), True, -1.0, Factor(
            "likelihood", -1, f"the actors who reach it have no motive for {words} ({who})", "actor"))
    capable = [(a, hops) for a, hops in motivated if a.capability.skill.rank >= skill.rank]
    if not capable:
        return ActorJudgement((), True, -1.0, Factor(
            "likelihood", -1, f"the actors who reach it lack the {skill.value} skill it needs", "actor"))
    ids = tuple(a.id for a, _ in capable)
    strong = [(a, hops) for a, hops in capable if a.capability.skill.rank >= STRONG_SKILL
              and a.capability.resources.rank >= STRONG_RESOURCES and hops <= DIRECT_HOPS]
    if not strong:
        return ActorJudgement(ids, True, 0.0, None)
    actor = max(strong, key=lambda p: (p[0].capability.skill.rank, p[0].capability.resources.rank, p[0].id))[0]
    return ActorJudgement(ids, True, 1.0, Factor(
        "likelihood", 1, f"a capable, well-resourced actor with a motive for {words} reaches it directly "
        f"({actor.name}, {actor.kind.value})", "actor"))
