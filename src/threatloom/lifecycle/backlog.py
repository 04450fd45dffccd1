"""Export the security backlog (see :mod:`threatloom.lifecycle.backlog_stories`) for a tracker.

- `github`: `github-issues.json`, the issues as GitHub's REST API takes them (title, body, labels), and
  `github-issues.sh`, a bash script using the `gh` CLI that looks up each issue by the key marker in its
  body (`<!-- threatloom-key: ... -->`, matched exactly) and edits it (title, body, and its risk:/effort:
  labels brought up to date), or creates it when there is none. Every value in the script is a
  single-quoted literal; the script never expands people's text.
- `jira`: a CSV file in the format of Jira's CSV importer (Summary, Description, Issue Type, Priority,
  one Labels column per label, and the stable key in a `threatloom key` custom field, to find the issue
  of a story again).
- `markdown`: a checklist; exporting again over the same file keeps the boxes already ticked.

`output` is a folder (default file names inside it) or, for one format, a file name: `*.json` for
GitHub (the script goes next to it as `*.sh`), `*.csv` for Jira, `*.md` for Markdown. Output is
deterministic: the same model gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
from collections.abc import Callable, Iterable
from pathlib import Path

from threatloom.atomic import write_text
from threatloom.engine.threat import Threat
from threatloom.errors import ThreatloomError
from threatloom.lifecycle.backlog_stories import Story, backlog_stories
from threatloom.lifecycle.markdown import code, md, table
from threatloom.lifecycle.scored import load_scored
from threatloom.model.vocabulary import Level

FORMATS = ("github", "jira", "markdown")
JIRA_PRIORITY = {Level.CRITICAL: "Highest", Level.HIGH: "High", Level.MEDIUM: "Medium", Level.LOW: "Low"}
LABEL_COLOURS = {"threatloom": "5319e7", "security": "b60205", "risk:critical": "b60205", "risk:high": "d93f0b",
                 "risk:medium": "fbca04", "risk:low": "0e8a16", "effort:low": "c2e0c6", "effort:medium": "bfdadc",
                 "effort:high": "d4c5f9"}


class ExportError(ThreatloomError):
    """An export that cannot be written as asked (unknown tracker, unsuitable output path)."""


def export_backlog(model_path: Path, to: str, output: Path, rules: list[Path]) -> list[Path]:
    """Write the backlog of the model at `model_path` for tracker `to`; the paths written.

    InputError if the model is invalid; ExportError for an unknown `to` or an unsuitable `output`.
    """
    if to not in FORMATS:
        raise ExportError(f"unknown backlog format {to!r}: use {', '.join(FORMATS)}")
    scored = load_scored(model_path, rules)
    stories = backlog_stories(scored)
    system = scored.model.system.name
    if to == "github":
        json_path = _target(output, ".json", "github-issues.json")
        script_path = json_path.with_suffix(".sh")
        issues = [github_issue(s, system) for s in stories]
        write_text(json_path, json.dumps(issues, indent=2, ensure_ascii=False) + "\n")
        write_text(script_path, github_script(stories, system))
        script_path.chmod(0o755)
        return [json_path, script_path]
    if to == "jira":
        path = _target(output, ".csv", "jira-issues.csv")
        write_text(path, jira_csv(stories, system))
        return [path]
    path = _target(output, ".md", "backlog.md")
    ticked = _ticked(path.read_text(encoding="utf-8")) if path.is_file() else set()
    write_text(path, markdown_checklist(stories, system, ticked))
    return [path]


def _target(output: Path, suffix: str, default: str) -> Path:
    if output.is_dir() or not output.suffix:
        return output / default
    if output.suffix.lower() != suffix:
        raise ExportError(f"{output}: expected a folder or a {suffix} file for this format")
    return output


# -- content shared by the formats -------------------------------------------------------------------

def title(story: Story, system: str) -> str:
    return f"{system}: {story.control.name} ({story.control.id})"


def labels(story: Story) -> list[str]:
    return ["threatloom", "security", f"risk:{story.priority.value}", f"effort:{story.control.effort}"]


def _decided(story: Story) -> list[str]:
    lines = []
    for index, d in sorted(story.decisions.items()):
        parts = [f"owner {d.owner}" if d.owner else "no owner", f"ticket {d.ticket}" if d.ticket else "",
                 f"due {d.due}" if d.due else ""]
        lines.append(f"decision #{index + 1} for {d.pattern}: " + ", ".join(p for p in parts if p))
    return lines


def points(n: int) -> str:
    return f"{n} point{'' if n == 1 else 's'}"


def _why(story: Story) -> str:
    if story.step is not None:
        only = f" --only {story.plan_only.value}" if story.plan_only is not None else ""
        return (f"step {story.step.rank} of the treatment plan for the gaps (threatloom plan{only}): removes "
                f"{points(story.removes)} of residual risk when fully in place")
    return "chosen in a reduce decision"


def _at_step(story: Story, threat: Threat) -> str:
    """What the story's plan step does to `threat`, or the decision that links it."""
    r = story.reduction(threat.id)
    if r is not None:
        return f"{r.before.level.value} ({r.before.score}) → {r.after.level.value} ({r.after.score})"
    if threat.decision is not None and threat.decision.index in story.decisions:
        return f"chosen in decision #{threat.decision.index + 1}"
    return "chosen in a decision"


def _where(story: Story, threat: Threat, quote: Callable[[str], str] = str) -> str:
    where = story.where.get(threat.id, ())
    if not where:
        return "no element can carry it: settle it with a decision"
    return "record it on " + " or ".join(quote(e) for e in where)


def github_body(story: Story, system: str) -> str:
    c = story.control
    lines = [f"<!-- threatloom-key: {story.key} -->",
             f"**Control:** {md(c.name)} ({code(c.id)}): effort {c.effort}, lowers {c.reduces}.", "",
             md(c.description), "",
             f"**Why:** {md(_why(story))}.", "",
             f"**Threats it reduces** in {md(system)}, with "
             + ("what this step of the plan does to each:" if story.step is not None else "the decision choosing it:"),
             ""]
    lines += table(["threat", "title", "residual now", "at this step", "status", "where it counts"],
                   [[code(t.id), md(t.title), f"{t.residual.level.value} ({t.residual.score})", md(_at_step(story, t)),
                     t.status.value, " or ".join(code(e) for e in story.where.get(t.id, ())) or "a decision only"]
                    for t in story.ordered_threats])
    decided = _decided(story)
    if decided:
        lines += ["", "**Decided:**", ""] + [f"- {md(line)}" for line in decided]
    lines += ["", f"**References:** NIST SP 800-53 {md(', '.join(c.nist))}"
              + (f"; OWASP ASVS {md(', '.join(c.asvs))}" if c.asvs else ""), "",
              f"threatloom key: {code(story.key)} (keep it: the next export updates this issue)"]
    return "\n".join(lines) + "\n"


def github_issue(story: Story, system: str) -> dict[str, object]:
    return {"title": title(story, system), "body": github_body(story, system), "labels": labels(story)}


_SCRIPT_HEAD = """#!/usr/bin/env bash
# Generated by threatloom: create or update the GitHub issues of the security backlog of {system}.
# Each issue carries its key in its body (<!-- threatloom-key: ... -->); the issue with the key is edited
# (title, body, and its risk:/effort: labels brought up to date), else a new one is created.
# Needs the GitHub CLI (gh), logged in. Works on the repository of the current folder, or on GH_REPO=owner/name.
# Every value below is a single-quoted literal: nothing in the model's text is expanded or run.
set -euo pipefail

command -v gh >/dev/null 2>&1 || {{ echo "needs the GitHub CLI: https://cli.github.com" >&2; exit 1; }}

ensure_label() {{
  gh label create "$1" --color "$2" --force >/dev/null
}}

# upsert KEY TITLE BODY LABEL...
upsert() {{
  local key="$1" title="$2" body="$3" found number label wanted stale
  shift 3
  local args=()
  # the first line is the issue's number, the next ones its labels
  found="$(TL_MARKER="<!-- threatloom-key: $key -->" gh issue list --state all --limit 100 \\
    --search "\\"$key\\" in:body" --json number,body,labels \\
    --jq '[.[] | select(.body | contains(env.TL_MARKER))] | first // empty | (.number, .labels[].name)')"
  # (no pipe here: with pipefail, a reader that stops early would fail the script)
  read -r number <<< "$found" || true
  if [ -n "$number" ]; then
    for label in "$@"; do args+=("--add-label=$label"); done
    while IFS= read -r label; do
      case "$label" in
        risk:*|effort:*)
          stale=1
          for wanted in "$@"; do
            if [ "$wanted" = "$label" ]; then stale=0; fi
          done
          if [ "$stale" = 1 ]; then args+=("--remove-label=$label"); fi
          ;;
      esac
    done < <(tail -n +2 <<< "$found")
    gh issue edit "$number" "--title=$title" "--body=$body" ${{args[@]+"${{args[@]}}"}} >/dev/null
    echo "updated #$number $key"
  else
    for label in "$@"; do args+=("--label=$label"); done
    gh issue create "--title=$title" "--body=$body" ${{args[@]+"${{args[@]}}"}} >/dev/null
    echo "created $key"
  fi
}}

"""


def github_script(stories: Iterable[Story], system: str) -> str:
    q = shlex.quote
    stories = list(stories)
    used = sorted({label for s in stories for label in labels(s)})
    lines = [_SCRIPT_HEAD.format(system=" ".join(system.split()).replace("\n", " "))]
    lines += [f"ensure_label {q(label)} {q(LABEL_COLOURS.get(label, 'ededed'))}" for label in used]
    lines.append("")
    for s in stories:
        args = [s.key, title(s, system), github_body(s, system), *labels(s)]
        lines.append("upsert " + " ".join(q(a) for a in args))
    if not stories:
        lines.append('echo "nothing to export: no untreated gap and no reduce decision with controls"')
    return "\n".join(lines) + "\n"


def jira_description(story: Story, system: str) -> str:
    c = story.control
    lines = [f"Control: {c.name} ({c.id}), effort {c.effort}, lowers {c.reduces}.", "", c.description, "",
             f"Why: {_why(story)}.", "", f"Threats it reduces in {system} (residual risk now; at this step):"]
    lines += [f"* {t.id}: {t.title} ({t.residual.level.value} {t.residual.score}, {t.status.value}; "
              f"{_at_step(story, t)}; {_where(story, t)})" for t in story.ordered_threats]
    decided = _decided(story)
    if decided:
        lines += ["", "Decided:"] + [f"* {line}" for line in decided]
    lines += ["", f"References: NIST SP 800-53 {', '.join(c.nist)}"
              + (f"; OWASP ASVS {', '.join(c.asvs)}" if c.asvs else ""), "",
              f"threatloom key: {story.key}"]
    return "\n".join(lines)


def jira_csv(stories: Iterable[Story], system: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Summary", "Description", "Issue Type", "Priority", "Labels", "Labels", "Labels", "Labels",
                     "Custom field (threatloom key)"])
    for s in stories:
        writer.writerow([title(s, system), jira_description(s, system), "Story", JIRA_PRIORITY[s.priority],
                         *labels(s), s.key])
    return buffer.getvalue()


_TICK = re.compile(r"^- \[[xX]\] .*<!-- (threatloom:[A-Za-z0-9:._-]+) -->\s*$")


def _ticked(text: str) -> set[str]:
    return {m.group(1) for line in text.splitlines() if (m := _TICK.match(line))}


def markdown_checklist(stories: Iterable[Story], system: str, ticked: set[str] | None = None) -> str:
    ticked = ticked or set()
    lines = [f"# Security backlog: {md(system)}", "",
             "Generated by threatloom in the order of the treatment plan: the most risk removed first. Exporting "
             "again keeps the ticked boxes.", ""]
    stories = list(stories)
    if not stories:
        lines.append("Nothing to do: no untreated gap and no reduce decision with controls.")
    for s in stories:
        box = "x" if s.key in ticked else " "
        lines.append(f"- [{box}] **{md(s.control.name)}** ({code(s.control.id)}): {s.priority.value}, effort "
                     f"{s.control.effort}; {md(_why(s))} <!-- {s.key} -->")
        lines += [f"  - {code(t.id)} {md(t.title)}: {t.residual.level.value} ({t.residual.score}) now, "
                  f"{t.status.value}; {md(_at_step(s, t))}; {_where(s, t, code)}" for t in s.ordered_threats]
        lines += [f"  - {md(line)}" for line in _decided(s)]
    return "\n".join(lines) + "\n"
