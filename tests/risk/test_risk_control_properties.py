"""Properties of combined controls, over random controls of every function, strength, status and
effectiveness and random threats: residual never above inherent, adding a control never raises risk, a
catalog control counts once, and every explanation adds up from its base."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from threatloom.catalog.schema import CatalogControl
from threatloom.engine.threat import Factor
from threatloom.model.schema import Control, RiskSettings
from threatloom.model.vocabulary import Category, ControlStatus, Effectiveness, SecurityProperty
from threatloom.risk.controls import ControlEffect, ThreatKind, control_effect
from threatloom.risk.scoring import clamp, score

MATRIX = RiskSettings()


@st.composite
def catalog_controls(draw: st.DrawFn) -> CatalogControl:
    function = draw(st.sampled_from(["prevent", "detect", "recover"]))
    reduces = "impact" if function == "recover" else draw(st.sampled_from(["likelihood", "impact"]))
    strength = draw(st.integers(1, 3))
    # one ID, one definition, as in a catalog
    ident = f"C-{function[0]}{reduces[0]}{strength}".upper()
    return CatalogControl(id=ident, name="X", description="x", reduces=reduces, strength=strength,
                          function=function, nist=("AC-1",))


@st.composite
def effects(draw: st.DrawFn) -> ControlEffect:
    control = Control(id=f"m-{draw(st.integers(0, 9))}", name="M", implements=(),
                      status=draw(st.sampled_from(list(ControlStatus))),
                      effectiveness=draw(st.sampled_from(list(Effectiveness))))
    return control_effect(control, draw(catalog_controls()))


kinds = st.builds(ThreatKind, st.sampled_from(list(Category)),
                  st.lists(st.sampled_from(list(SecurityProperty)), min_size=1, max_size=3).map(tuple))
parts = st.integers(-3, 9).map(float)  # before controls a part is whole: a base and whole-point factors


def _adds_up(likelihood: float, impact: float, factors: list[Factor], found: object) -> None:
    for s in (found.inherent, found.residual):  # type: ignore[attr-defined]
        assert s.base is not None
        for part, start, shown in (("likelihood", s.base[0], s.likelihood), ("impact", s.base[1], s.impact)):
            # to the hundredth, as the explanation prints it
            assert clamp(round(start + sum(f.delta for f in s.factors if f.part == part), 2)) == shown


@settings(max_examples=300, deadline=None)
@given(likelihood=parts, impact=parts, kind=kinds, placed=st.lists(effects(), max_size=6), extra=effects())
def test_adding_a_control_never_raises_risk(likelihood: float, impact: float, kind: ThreatKind,
                                            placed: list[ControlEffect], extra: ControlEffect) -> None:
    factors = [Factor("likelihood", likelihood - 3, "x", "rule"), Factor("impact", impact - 2, "y", "asset")]
    before = score(MATRIX, likelihood, impact, factors, placed, kind=kind)
    after = score(MATRIX, likelihood, impact, factors, [*placed, extra], kind=kind)
    assert before.residual.score <= before.inherent.score
    assert after.residual.score <= before.residual.score
    assert after.residual.likelihood <= before.residual.likelihood
    assert after.residual.impact <= before.residual.impact
    assert after.inherent == before.inherent
    _adds_up(likelihood, impact, factors, after)


@settings(max_examples=200, deadline=None)
@given(likelihood=parts, impact=parts, kind=kinds, placed=st.lists(effects(), min_size=1, max_size=5),
       weaker=st.sampled_from([Effectiveness.LOW, Effectiveness.MEDIUM]))
def test_a_catalog_control_counts_once(likelihood: float, impact: float, kind: ThreatKind,
                                       placed: list[ControlEffect], weaker: Effectiveness) -> None:
    """Another model control realising a catalog control already in place, no stronger, changes nothing."""
    first = placed[0]
    twin = control_effect(Control(id="twin", name="Twin", effectiveness=weaker, status=ControlStatus.PARTIAL),
                          first.catalog)
    once = score(MATRIX, likelihood, impact, [], placed, kind=kind)
    twice = score(MATRIX, likelihood, impact, [], [*placed, twin, first], kind=kind)
    if first.amount >= twin.amount:
        assert (twice.residual.likelihood, twice.residual.impact) == (once.residual.likelihood,
                                                                        once.residual.impact)


@settings(max_examples=200, deadline=None)
@given(kind=kinds, placed=st.lists(effects(), max_size=8))
def test_no_set_of_controls_passes_the_floor(kind: ThreatKind, placed: list[ControlEffect]) -> None:
    found = score(MATRIX, 5, 5, [], placed, kind=kind)
    # 60 % of 5 off the likelihood leaves 2, 40 % of 5 off the impact leaves 3: never below medium (6)
    assert found.residual.likelihood >= 2 and found.residual.impact >= 3
    assert found.residual.level.value != "low"
