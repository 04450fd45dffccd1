"""SARIF 2.1.0 for code scanning: one rule per threatloom rule, one result per untreated threat.

Each result points at the element (or flow) of the model file the threat is about, relative to the
repository root, so GitHub code scanning and editors show it on the right line. Its partial
fingerprint is the threat's stable ID, so alerts follow the threat across edits of the file. The result
level follows the residual level (critical and high: error, medium: warning, low: note) and each rule
carries `security-severity` (the worst residual level among its results on GitHub's 0-10 scale) and
its CWE IDs as `external/cwe/cwe-N` tags. Decision problems become tool notifications.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from threatloom.catalog.loading import Catalog
from threatloom.engine.threat import Analysis, Threat
from threatloom.errors import Problem, SourceLocation
from threatloom.model.vocabulary import Level

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RESULT_LEVEL = {Level.CRITICAL: "error", Level.HIGH: "error", Level.MEDIUM: "warning", Level.LOW: "note"}
SECURITY_SEVERITY = {Level.CRITICAL: "9.5", Level.HIGH: "8.0", Level.MEDIUM: "5.5", Level.LOW: "2.0"}
FINGERPRINT = "threatloom/threatId/v1"
INFORMATION_URI = "https://threatloom.dev"  # the project's home, as in its schema IDs


def artifact_uri(file: str, root: Path) -> str:
    """`file` relative to `root`, with forward slashes (an absolute file URI if it lies outside)."""
    path = Path(file).resolve()
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_uri()


def _location(where: SourceLocation, root: Path) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(where.file, root)}}
    if where.line > 0:
        physical["region"] = {"startLine": where.line, "startColumn": max(1, where.column)}
    return {"physicalLocation": physical}


def _rule(threat: Threat, catalog: Catalog, worst: Level) -> dict[str, Any]:
    compiled = catalog.rules.get(threat.rule_id) if threat.rule_id else None
    if compiled is not None:
        rule = compiled.rule
        title, description, detection = rule.title, rule.description.strip(), rule.detection.strip()
        controls = rule.controls
        rule_id = rule.id
    else:  # a threat written by hand is its own rule
        title, description, detection = threat.title, threat.description, threat.detection
        controls = tuple(c.id for c in threat.controls)
        rule_id = threat.id
    names = [f"{cid}: {catalog.controls[cid].name}" for cid in controls if cid in catalog.controls]
    text = f"{description}\n\nDetection: {detection or 'not described'}\n\nCandidate controls: {'; '.join(names)}"
    markdown = (f"{description}\n\n**Detection:** {detection or 'not described'}\n\n**Candidate controls:**\n\n"
                + "\n".join(f"- {n}" for n in names))
    tags = ["security", "threat-model", threat.category.framework, threat.category.value]
    tags += [f"external/cwe/cwe-{c}" for c in threat.cwe]
    properties: dict[str, Any] = {"tags": tags, "security-severity": SECURITY_SEVERITY[worst],
                                  "precision": "medium"}
    if threat.capec:
        properties["capec"] = [f"CAPEC-{c}" for c in threat.capec]
    if threat.attack:
        properties["attack"] = list(threat.attack)
    return {"id": rule_id, "name": rule_id.replace("-", "").replace("@", "_"),
            "shortDescription": {"text": title}, "fullDescription": {"text": description or title},
            "help": {"text": text, "markdown": markdown},
            "defaultConfiguration": {"level": RESULT_LEVEL[worst]}, "properties": properties}


def basis(threat: Threat, catalog: Catalog) -> tuple[str, str]:
    """Where a matrix score starts (the rule's bases, or a hand-written threat's) and the cap it hits, so
    that the factors of the explanation add up: (`starts at likelihood 3, impact 4`, `likelihood adds up to
    6 before controls and 5 after (the scale is 1-5)`). Empty under the OWASP method, whose factors are
    ratings, not steps."""
    if threat.residual.method != "matrix":
        return "", ""
    from threatloom.engine.generation import MANUAL_IMPACT, MANUAL_LIKELIHOOD

    compiled = catalog.rules.get(threat.rule_id) if threat.rule_id else None
    if compiled is not None:
        bases = {"likelihood": compiled.rule.likelihood.base, "impact": compiled.rule.impact.base}
    else:
        bases = {"likelihood": MANUAL_LIKELIHOOD, "impact": MANUAL_IMPACT}
    caps = []
    for part, base in bases.items():
        raw = base + sum(f.delta for f in threat.inherent.factors if f.part == part)
        after = base + sum(f.delta for f in threat.residual.factors if f.part == part)
        if raw >= 5.5 or raw < 0.5:
            caps.append(f"{part} adds up to {raw:g} before controls and {after:g} after (the scale is 1-5)")
    return f"starts at likelihood {bases['likelihood']}, impact {bases['impact']}", "; ".join(caps)


def _result(threat: Threat, rule_index: int, rule_id: str, root: Path, catalog: Catalog) -> dict[str, Any]:
    r = threat.residual
    # a score that carries its base explains itself from it; older ones get the base and caps here
    why = r.explain() if r.base is not None else "; ".join(
        part for part in (basis(threat, catalog)[0], r.explain(), basis(threat, catalog)[1]) if part)
    message = (f"{threat.title}: residual risk {r.level.value} (score {r.score}; likelihood {r.likelihood}, "
               f"impact {r.impact}), {threat.status.value}. Why: {why}.")
    if threat.decision is not None and threat.decision.note:
        message += f" Decision: {threat.decision.note}."
    best = [c for c in threat.controls if not c.in_place][:3]
    if best:
        message += " Candidate controls: " + ", ".join(f"{c.id} (-{c.risk_reduction})" for c in best) + "."
    properties: dict[str, Any] = {
        "threatId": threat.id, "target": threat.target, "status": threat.status.value,
        "residualLevel": r.level.value, "residualScore": r.score,
        "inherentLevel": threat.inherent.level.value, "inherentScore": threat.inherent.score,
        "security-severity": SECURITY_SEVERITY[r.level]}
    if threat.refines:  # the rules' findings this result stands for: their own results are gone
        properties["refines"] = list(threat.refines)
    return {
        "ruleId": rule_id,
        "ruleIndex": rule_index,
        "level": RESULT_LEVEL[r.level],
        "message": {"text": message},
        "locations": [_location(threat.location, root)],
        "partialFingerprints": {FINGERPRINT: threat.id},
        "properties": properties,
    }


def _notification(problem: Problem, root: Path) -> dict[str, Any]:
    return {"level": "warning" if problem.severity == "warning" else "error",
            "message": {"text": problem.message + (f" ({problem.hint})" if problem.hint else "")},
            "descriptor": {"id": problem.code},
            "locations": [_location(problem.location, root)]}


def sarif_log(analysis: Analysis, catalog: Catalog, root: Path, version: str) -> dict[str, Any]:
    """The SARIF log of the untreated threats of `analysis`; URIs relative to `root`."""
    untreated = [t for t in analysis.threats if not t.treated]
    worst: dict[str, Level] = {}
    first: dict[str, Threat] = {}
    for t in untreated:
        rid = t.rule_id or t.id
        if rid not in worst or t.residual.level.rank > worst[rid].rank:
            worst[rid] = t.residual.level
        first.setdefault(rid, t)
    order = sorted(first)
    index = {rid: i for i, rid in enumerate(order)}
    rules = [_rule(first[rid], catalog, worst[rid]) for rid in order]
    results = [_result(t, index[t.rule_id or t.id], t.rule_id or t.id, root, catalog)
               for t in sorted(untreated, key=lambda t: (-t.residual.score, t.id))]
    notices = [_notification(p, root) for p in (*analysis.unmatched_decisions, *analysis.decision_problems)]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "threatloom", "informationUri": INFORMATION_URI, "version": version,
                            "semanticVersion": version, "rules": rules}},
        "results": results,
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notices}],
        "columnKind": "unicodeCodePoints",
        "automationDetails": {"id": f"threatloom/{_slug(analysis.system)}/"},
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _slug(text: str) -> str:
    from threatloom.lifecycle.backlog_stories import slug

    return slug(text)


def default_root(model_path: Path) -> Path:
    """Where URIs are relative to: the git work tree of the model, else the current folder."""
    from threatloom.lifecycle.revisions import repo_root

    return repo_root(model_path) or Path.cwd().resolve()
