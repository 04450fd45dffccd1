"""Risk over time: the residual risk of a model at each commit that changed its files.

For every commit that touched the model file or a file it includes (newest `limit` commits), the model
is analysed as it was then, on the day of the commit (an acceptance counts if it was valid then). Each
point gives the residual risk of the untreated threats and their count per level, oldest first, so a
falling total shows risk going down.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from threatloom.errors import InputError
from threatloom.lifecycle.markdown import code, md, table
from threatloom.lifecycle.plan import levels_count
from threatloom.lifecycle.revisions import Commit, GitError, analyse_revision, commits_touching, model_files, repo_root

HISTORY_FORMAT = "threatloom-history"
HISTORY_VERSION = 1


class HistoryPoint(msgspec.Struct, frozen=True):
    commit: Commit
    threats: int = 0
    untreated: int = 0
    residual: int = 0  # residual score of the untreated threats
    levels: dict[str, int] | None = None  # untreated threats per residual level
    gaps: int = 0
    error: str = ""  # why this version could not be analysed


def model_history(model: Path, rules: Sequence[Path] = (), limit: int | None = None) -> list[HistoryPoint]:
    """The risk at each commit that changed the model's files, oldest first (GitError outside git)."""
    root = repo_root(model)
    if root is None:
        raise GitError(f"{model} is not in a git repository")
    files = model_files(model, root)
    if not files:
        raise GitError(f"{model} is not in the git work tree at {root}")
    points = []
    for commit in reversed(commits_touching(root, files, limit)):
        day = dt.date.fromisoformat(commit.date[:10]) if commit.date else None
        try:
            # an abbreviated ID keeps the locations of errors short (`1a2b3c4d5e6f:model.yaml:12:3`)
            _, analysis = analyse_revision(model, commit.id[:12], rules, today=day)
        except InputError as exc:
            first = f"{exc.problems[0].location}: {exc.problems[0].message}" if exc.problems else "invalid model"
            count = len(exc.problems)
            points.append(HistoryPoint(commit, error=f"{count} error{'s' if count != 1 else ''}; first: {first}"))
            continue
        except GitError as exc:
            points.append(HistoryPoint(commit, error=str(exc)))
            continue
        untreated = [t for t in analysis.threats if not t.treated]
        points.append(HistoryPoint(commit, len(analysis.threats), len(untreated),
                                   sum(t.residual.score for t in untreated),
                                   levels_count([t.residual for t in untreated]), len(analysis.gaps())))
    return points


def history_dict(points: Sequence[HistoryPoint], model: str) -> dict[str, Any]:
    return {
        "format": HISTORY_FORMAT, "version": HISTORY_VERSION, "model": model,
        "commits": [{"commit": p.commit.id, "date": p.commit.date, "author": p.commit.author,
                     "subject": p.commit.subject, "threats": p.threats, "untreated": p.untreated,
                     "residual": p.residual, "levels": p.levels, "gaps": p.gaps, "error": p.error or None}
                    for p in points],
    }


def _change(points: Sequence[HistoryPoint], i: int) -> str:
    if points[i].error:
        return ""
    previous = next((p for p in reversed(points[:i]) if not p.error), None)
    if previous is None:
        return ""
    delta = points[i].residual - previous.residual
    return f"{delta:+d}" if delta else "="


def history_rows(points: Sequence[HistoryPoint]) -> list[list[str]]:
    """Rows of commit, date, subject, residual, change, critical/high/medium/low, gaps (plain text)."""
    rows = []
    for i, p in enumerate(points):
        if p.error:
            rows.append([p.commit.id[:10], p.commit.date[:10], p.commit.subject, "error", "", "", "", "", "",
                         p.error])
            continue
        levels = p.levels or {}
        rows.append([p.commit.id[:10], p.commit.date[:10], p.commit.subject, str(p.residual), _change(points, i),
                     *(str(levels.get(lv, 0)) for lv in ("critical", "high", "medium", "low")), str(p.gaps)])
    return rows


HEADER = ["commit", "date", "subject", "residual", "change", "critical", "high", "medium", "low", "gaps"]


def history_markdown(points: Sequence[HistoryPoint], model: str) -> str:
    lines = [f"### threatloom: residual risk of {code(model)} by commit", ""]
    if not points:
        return "\n".join([*lines, "No commit changed the model yet."]) + "\n"
    rows = [[code(r[0]), r[1], md(r[2]), *(md(c) for c in r[3:])] for r in history_rows(points)]
    lines += table(HEADER, rows)
    return "\n".join(lines) + "\n"
