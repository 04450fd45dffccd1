"""Helpers for the lifecycle CLI tests: clinic variants written to disk, git repositories, and a fake `gh`.

Every test here runs the installed `threatloom` command on real files, as a user (or a CI job) would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.conftest import run_cli
from tests.lifecycle.lab import CLINIC

FIXTURES = Path(__file__).parent / "fixtures"
HARDENED = FIXTURES / "clinic-hardened.yaml"
LEVELS = ("low", "medium", "high", "critical")
UNTREATED = ("open", "in-progress")
# Threats of the clinic that its decisions settle: accepted by the wildcard TL-P*, transferred by
# TL-D*@portal, a justified false positive by TL-R*@db.
SETTLED = {"TL-P010@db": "accepted", "TL-P011@book": "accepted", "TL-D001@portal": "transferred",
           "TL-D002@portal": "transferred", "TL-R004@db": "false-positive"}


def clinic_text(*replace: tuple[str, str], extra: str = "", base: Path = CLINIC) -> str:
    """The clinic model's text with each (old, new) replaced once (old must occur) and `extra` appended."""
    text = base.read_text(encoding="utf-8")
    for old, new in replace:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text + extra


def write_model(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the only line of `path` containing `needle`."""
    lines = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line]
    assert len(lines) == 1, (needle, lines)
    return lines[0]


def analysed(model: Path, out: Path) -> list[dict[str, Any]]:
    """The threats of `threatloom analyze MODEL` (threats.json), ranked as it ranks them: the oracle the
    lifecycle commands are checked against, since they must agree with the analysis."""
    result = run_cli("analyze", str(model), "-o", str(out))
    assert result.returncode == 0, result.stderr
    return list(json.loads((out / "threats.json").read_text(encoding="utf-8"))["threats"])


def untreated(threats: list[dict[str, Any]], at_least: str = "low") -> list[str]:
    """IDs of the untreated threats whose residual level is `at_least` or above, in the analysis' order."""
    floor = LEVELS.index(at_least)
    return [t["id"] for t in threats if t["status"] in UNTREATED and LEVELS.index(t["residual"]["level"]) >= floor]


def failing_ids(stdout: str) -> list[str]:
    """Threat IDs of `check`'s compiler-style lines `file:line:col: level: ID title (...)`."""
    parts = [line.split(": ", 2) for line in stdout.splitlines()]
    return [p[2].split(" ", 1)[0] for p in parts if len(p) == 3 and p[1] in ("critical", "high", "medium", "low")]


def cli_json(*args: str, cwd: Path | None = None, expect: int = 0) -> Any:
    result = run_cli(*args, cwd=cwd)
    assert result.returncode == expect, result.stderr
    return json.loads(result.stdout)


# -- git ---------------------------------------------------------------------------------------------

GIT_ENV = {"GIT_AUTHOR_NAME": "Ana Lead", "GIT_AUTHOR_EMAIL": "ana@example.org",
           "GIT_COMMITTER_NAME": "Ana Lead", "GIT_COMMITTER_EMAIL": "ana@example.org",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str, date: str = "2026-11-02T10:00:00+00:00") -> str:
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def init_repo(repo: Path) -> Path:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    return repo


def commit(repo: Path, files: dict[str, str], message: str, date: str) -> str:
    """Write `files` (path relative to `repo` -> text), commit them; the new commit's ID."""
    for name, text in files.items():
        write_model(repo / name, text)
    git(repo, "add", *files)
    git(repo, "commit", "-q", "-m", message, date=date)
    return git(repo, "rev-parse", "HEAD").strip()


# -- a fake GitHub CLI ------------------------------------------------------------------------------

# It stands for GitHub's servers, which tests cannot reach: it keeps issues and labels in a JSON file,
# records every call, does the server's part of `issue list --search` (issues whose body has the quoted
# phrase) and leaves the `--jq` filter to the real jq, as gh does with its built-in one.
FAKE_GH = '''#!{python} -IS
import json, os, subprocess, sys

state_path, log_path = os.environ["FAKE_GH_STATE"], os.environ["FAKE_GH_LOG"]
state = json.load(open(state_path)) if os.path.exists(state_path) else {{"next": 1, "issues": [], "labels": {{}}}}
args = sys.argv[1:]
with open(log_path, "a") as log:
    log.write(json.dumps(args) + "\\n")


def options(items):
    found, rest, i = {{}}, [], 0
    while i < len(items):
        item = items[i]
        if item.startswith("--") and "=" in item:
            name, value = item[2:].split("=", 1)
        elif item.startswith("--") and item[2:] in ("force",):
            name, value = item[2:], ""
        elif item.startswith("--"):
            name, value = item[2:], items[i + 1]
            i += 1
        else:
            rest.append(item)
            i += 1
            continue
        found.setdefault(name, []).append(value)
        i += 1
    return found, rest


opts, rest = options(args[2:])
if args[:2] == ["label", "create"]:
    state["labels"][rest[0]] = opts["color"][0]
elif args[:2] == ["issue", "list"]:
    phrase = opts["search"][0].split('"')[1]
    found = [{{"number": i["number"], "body": i["body"], "labels": [{{"name": n}} for n in i["labels"]]}}
             for i in state["issues"] if phrase in i["body"]]
    out = subprocess.run(["jq", "-r", opts["jq"][0]], input=json.dumps(found), capture_output=True, text=True,
                         check=True)
    sys.stdout.write(out.stdout)
elif args[:2] == ["issue", "create"]:
    number = state["next"]
    state["next"] += 1
    state["issues"].append({{"number": number, "title": opts["title"][0], "body": opts["body"][0],
                            "labels": sorted(opts.get("label", []))}})
    print(f"https://github.com/acme/clinic/issues/{{number}}")
elif args[:2] == ["issue", "edit"]:
    issue = next(i for i in state["issues"] if i["number"] == int(rest[0]))
    issue["title"], issue["body"] = opts["title"][0], opts["body"][0]
    labels = (set(issue["labels"]) | set(opts.get("add-label", []))) - set(opts.get("remove-label", []))
    issue["labels"] = sorted(labels)
else:
    sys.exit("fake gh: unexpected call " + " ".join(args))
json.dump(state, open(state_path, "w"), indent=1)
'''


class FakeGitHub:
    """A folder with a fake `gh` to put first on PATH, and what it saw."""

    def __init__(self, folder: Path) -> None:
        self.bin = folder / "bin"
        self.bin.mkdir(parents=True)
        gh = self.bin / "gh"
        gh.write_text(FAKE_GH.format(python=sys.executable), encoding="utf-8")
        gh.chmod(0o755)
        self.state_path = folder / "github-state.json"
        self.log_path = folder / "gh-calls.jsonl"

    def run(self, script: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
               "FAKE_GH_STATE": str(self.state_path), "FAKE_GH_LOG": str(self.log_path)}
        return subprocess.run(["bash", str(script)], cwd=cwd, env=env, capture_output=True, text=True,
                              check=False, timeout=120)

    @property
    def issues(self) -> list[dict[str, Any]]:
        return list(json.loads(self.state_path.read_text())["issues"])

    @property
    def labels(self) -> dict[str, str]:
        return dict(json.loads(self.state_path.read_text())["labels"])

    def calls(self, *prefix: str) -> list[list[str]]:
        lines = self.log_path.read_text().splitlines() if self.log_path.exists() else []
        return [call for call in map(json.loads, lines) if call[:len(prefix)] == list(prefix)]

    def edit_state(self, number: int, labels: Sequence[str]) -> None:
        """Change an issue's labels behind the script's back (as a person, or an older export, would)."""
        state = json.loads(self.state_path.read_text())
        next(i for i in state["issues"] if i["number"] == number)["labels"] = sorted(labels)
        self.state_path.write_text(json.dumps(state))
