"""The treatment plan as JSON, Markdown or a terminal table. Deterministic: no dates, sorted."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from threatloom.engine.threat import RiskScore
from threatloom.lifecycle.markdown import code, md, table
from threatloom.lifecycle.plan import PLAN_FORMAT, PLAN_VERSION, Plan, levels_count

if TYPE_CHECKING:
    from rich.console import RenderableType


def _score(score: RiskScore) -> dict[str, Any]:
    return {"score": score.score, "level": score.level.value, "likelihood": score.likelihood,
            "impact": score.impact}


def plan_dict(plan: Plan) -> dict[str, Any]:
    final = plan.final_scores()
    return {
        "format": PLAN_FORMAT,
        "version": PLAN_VERSION,
        "system": plan.system,
        "method": plan.method,
        "only": plan.only.value if plan.only else None,
        "threats_considered": len(plan.threats),
        "residual_before": plan.residual_before,
        "residual_after": plan.residual_after,
        "levels_before": levels_count([t.residual for t in plan.threats]),
        "levels_after": levels_count(list(final.values())),
        "steps": [{
            "rank": step.rank,
            "control": {"id": step.control.id, "name": step.control.name, "effort": step.control.effort,
                        "reduces": step.control.reduces, "strength": step.control.strength,
                        "nist": list(step.control.nist), "asvs": list(step.control.asvs)},
            "planned_as": list(step.planned_as),
            "removes": step.removed,
            "residual_after": step.residual_after,
            "threats": [{"id": r.threat.id, "title": r.threat.title, "before": _score(r.before),
                         "after": _score(r.after), "record_on": list(r.record_on)} for r in step.reductions],
        } for step in plan.steps],
    }


def where_text(record_on: tuple[str, ...], quote: Callable[[str], str] = str) -> str:
    """Where the control must be recorded for a threat to count, in words."""
    if not record_on:
        return "nothing in the model carries controls for it: settle it with a decision"
    return "record it on " + " or ".join(quote(e) for e in record_on)


def _steps(n: int, these: str = "") -> str:
    """`3 steps`, `these 3 steps`, `1 step`, `this step`."""
    if n == 1:
        return "this step" if these else "1 step"
    return f"{these} {n} steps".lstrip()


def _scope(plan: Plan) -> str:
    which = f"untreated threats at {plan.only.value} or above" if plan.only else "untreated threats"
    return f"{len(plan.threats)} {which}"


def plan_markdown(plan: Plan) -> str:
    lines = [f"## Treatment plan: {md(plan.system)}", ""]
    if not plan.steps:
        lines.append(f"No candidate control lowers the residual risk of the {_scope(plan)}.")
        return "\n".join(lines) + "\n"
    lines.append(f"Residual risk of the {_scope(plan)}: **{plan.residual_before}** now, **{plan.residual_after}** "
                 f"after {_steps(len(plan.steps), 'these')} ({plan.method} scores).")
    lines.append("")
    rows = [[str(s.rank), f"{md(s.control.name)} ({code(s.control.id)})", s.control.effort, str(len(s.reductions)),
             s.worst.value, str(s.removed), str(s.residual_after)] for s in plan.steps]
    lines += table(["#", "control", "effort", "threats", "worst", "removes", "residual after"], rows)
    for step in plan.steps:
        lines += ["", f"### {step.rank}. {md(step.control.name)} ({code(step.control.id)})", ""]
        extra = f"; planned in the model as {', '.join(code(p) for p in step.planned_as)}" if step.planned_as else ""
        lines.append(f"{md(step.control.description)} Effort {step.control.effort}; NIST "
                     f"{md(', '.join(step.control.nist))}{extra}.")
        lines.append("")
        for r in step.reductions:
            lines.append(f"- {code(r.threat.id)} {md(r.threat.title)}: {r.before.level.value} ({r.before.score}) → "
                         f"{r.after.level.value} ({r.after.score}); {where_text(r.record_on, code)}")
    return "\n".join(lines) + "\n"


def plan_table(plan: Plan) -> RenderableType:
    from rich.console import Group
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    if not plan.steps:
        return Text(f"no candidate control lowers the residual risk of the {_scope(plan)}")
    grid = Table("#", "control", "effort", "threats reduced (before → after)", "removes", "residual left",
                 title=f"{plan.system}: treatment plan for the {_scope(plan)}", title_justify="left")
    for step in plan.steps:
        threats = "\n".join(f"{escape(r.threat.id)} {r.before.level.value} → {r.after.level.value} "
                            f"[dim](on {escape(', '.join(r.record_on) or 'no element')})[/dim]"
                            for r in step.reductions)
        planned = f"\n[dim]planned: {escape(', '.join(step.planned_as))}[/dim]" if step.planned_as else ""
        grid.add_row(str(step.rank), f"{escape(step.control.name)}\n[dim]{step.control.id}[/dim]{planned}",
                     step.control.effort, threats, str(step.removed), str(step.residual_after))
    summary = Text(f"residual risk {plan.residual_before} → {plan.residual_after} after {_steps(len(plan.steps))} "
                   f"({plan.method} scores)")
    return Group(grid, summary)
