"""`threatloom export MODEL --to github|jira|markdown`: the security backlog for a tracker.

The GitHub script runs for real in bash, against a fake `gh` first on PATH that stands for GitHub's
servers (see workbench.FakeGitHub): a second run must edit the issues it created, never duplicate them,
and text from the model must never run, whatever quotes, `$()` or backticks it holds.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.lifecycle.lab import CLINIC
from tests.lifecycle.workbench import HARDENED, FakeGitHub, cli_json, clinic_text, write_model

LEVELS = ["low", "medium", "high", "critical"]


def export(model: Path, to: str, out: Path) -> list[Path]:
    result = run_cli("export", str(model), "--to", to, "-o", str(out))
    assert result.returncode == 0, result.stderr
    return [Path(line.removeprefix("wrote ")) for line in result.stdout.splitlines() if line.startswith("wrote ")]


@pytest.fixture(scope="module")
def github(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], Path]:
    out = tmp_path_factory.mktemp("github")
    written = export(CLINIC, "github", out)
    assert written == [out / "github-issues.json", out / "github-issues.sh"]
    return json.loads(written[0].read_text(encoding="utf-8")), written[1]


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    """The plan of the clinic's gaps (untreated above its medium appetite): `plan --only high`."""
    found = dict(cli_json("plan", str(CLINIC), "--only", "high", "--format", "json"))
    assert len(found["steps"]) >= 5
    return found


def key_of(body: str) -> str:
    first = body.splitlines()[0]
    assert first.startswith("<!-- threatloom-key: ") and first.endswith(" -->")
    return first.removeprefix("<!-- threatloom-key: ").removesuffix(" -->")


def test_github_issues_are_ready_for_the_rest_api_and_follow_the_plan(
        github: tuple[list[dict[str, Any]], Path], plan: dict[str, Any]) -> None:
    issues, _ = github
    for issue in issues:
        assert set(issue) == {"title", "body", "labels"}
        assert isinstance(issue["title"], str) and len(issue["title"]) <= 256
        assert all(isinstance(label, str) for label in issue["labels"])
    # one story per plan step, in the plan's order (the clinic's only reduce decision, rate limiting for
    # the slot hoarding, names a control the plan chooses too, so it adds no story of its own)
    assert [key_of(i["body"]) for i in issues] == [f"threatloom:clinic-booking:{s['control']['id']}"
                                                   for s in plan["steps"]]
    for step, issue in zip(plan["steps"], issues, strict=True):
        n = step["removes"]
        assert issue["title"] == f"Clinic Booking: {step['control']['name']} ({step['control']['id']})"
        assert f"step {step['rank']} of the treatment plan for the gaps (threatloom plan --only high): removes " \
               f"{n} point{'' if n == 1 else 's'} of residual risk" in issue["body"]
        for threat in step["threats"]:  # each story names the threats it reduces, with that step's effect
            before, after = threat["before"], threat["after"]
            where = " or ".join(f"`{e}`" for e in threat["record_on"])
            assert (f"| `{threat['id']}` | {threat['title']} | " in issue["body"]
                    and f" | {before['level']} ({before['score']}) → {after['level']} ({after['score']}) | "
                    in issue["body"] and f" | {where} |" in issue["body"]), (issue["title"], threat["id"])
    assert " 1 points" not in "".join(i["body"] for i in issues)
    if any(s["removes"] == 1 for s in plan["steps"]):
        assert any("removes 1 point of residual risk" in i["body"] for i in issues)


def test_github_story_priority_is_the_worst_level_it_reduces_at_its_step(
        github: tuple[list[dict[str, Any]], Path], plan: dict[str, Any]) -> None:
    issues, _ = github
    current = {t["id"]: t["before"]["level"] for t in plan["steps"][0]["threats"]}
    for step in plan["steps"]:
        for t in step["threats"]:
            current.setdefault(t["id"], t["before"]["level"])
    for step, issue in zip(plan["steps"], issues, strict=True):
        worst = max((t["before"]["level"] for t in step["threats"]), key=LEVELS.index)
        assert issue["labels"] == ["threatloom", "security", f"risk:{worst}", f"effort:{step['control']['effort']}"]
    # the first step takes a critical threat down: a critical story; a later step that only trims what
    # earlier steps left is filed at that lower level, although its threats are still critical today
    assert issues[0]["labels"][2] == "risk:critical"
    trimmed = [i for step, i in zip(plan["steps"], issues, strict=True)
               if i["labels"][2] != "risk:critical" and any(current[t["id"]] == "critical" for t in step["threats"])]
    assert trimmed, "some later step trims a threat that is critical now"
    rate = next(i for i in issues if "(C-RATE-LIMIT)" in i["title"])
    # the decision of the model that chose rate limiting for the slot hoarding shows in the story
    assert "| `MT-SLOT-HOARD` |" in rate["body"]
    assert "owner Web team, ticket CLINIC-42, due 2099-03-31" in rate["body"]


def test_github_script_creates_then_updates_never_duplicates(
        github: tuple[list[dict[str, Any]], Path], tmp_path: Path) -> None:
    issues, script = github
    fake = FakeGitHub(tmp_path)
    first = fake.run(script, tmp_path)
    assert first.returncode == 0, first.stderr
    n = len(issues)
    assert len(fake.calls("issue", "create")) == n and fake.calls("issue", "edit") == []
    first_key = key_of(issues[0]["body"])
    assert first.stdout.splitlines() == [f"created {key_of(i['body'])}" for i in issues]
    stored = fake.issues
    assert [(i["title"], i["body"], i["labels"]) for i in stored] == \
        [(i["title"], i["body"], sorted(i["labels"])) for i in issues]
    assert set(fake.labels) == {label for i in issues for label in i["labels"]}

    # an issue filed by an older export, when its risk was another, carries a stale priority label
    older = next(i for i in stored if "risk:critical" not in i["labels"])
    wanted = older["labels"]
    fake.edit_state(older["number"], [*(x for x in wanted if not x.startswith("risk:")), "risk:critical", "triaged"])
    second = fake.run(script, tmp_path)
    assert second.returncode == 0, second.stderr
    assert len(fake.calls("issue", "create")) == n  # none more
    assert len(fake.calls("issue", "edit")) == n
    assert second.stdout.splitlines()[0] == f"updated #{stored[0]['number']} {first_key}"
    assert len(fake.issues) == n
    now = next(i for i in fake.issues if i["number"] == older["number"])
    # the stale risk label goes, people's own labels stay
    assert now["labels"] == sorted([*wanted, "triaged"])


def test_hostile_text_in_the_model_never_runs(tmp_path: Path) -> None:
    hostile = "Clinic $(touch pwned-subst) `touch pwned-tick` 'quoted' \"double\" ${HOME} \\ end"
    title = "Bots $(touch pwned-title) hoard `touch pwned-title2` every 'free' \"slot\""
    model = write_model(tmp_path / "model" / "clinic.yaml", clinic_text(
        ("  name: Clinic Booking\n", f"  name: {json.dumps(hostile)}\n"),
        ("    title: Bots hoard every free appointment slot\n", f"    title: {json.dumps(title)}\n")))
    out = tmp_path / "out"
    out.mkdir()
    issues = json.loads(export(model, "github", out)[0].read_text(encoding="utf-8"))
    fake = FakeGitHub(tmp_path / "gh")
    work = tmp_path / "work"
    work.mkdir()
    for _ in range(2):
        result = fake.run(out / "github-issues.sh", work)
        assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in work.iterdir()) == [] and not list(tmp_path.glob("**/pwned*"))
    stored = fake.issues
    assert len(stored) == len(issues) and len(fake.calls("issue", "edit")) == len(issues)
    assert stored[0]["title"] == f"{hostile}: " + issues[0]["title"].split(": ", 1)[1]
    assert stored[0]["title"] == issues[0]["title"]
    rate = next(i for i in stored if "C-RATE-LIMIT" in i["title"])
    # the manual threat's title arrives in the body as written (Markdown-escaped), not expanded
    assert "Bots $(touch pwned-title) hoard \\`touch pwned-title2\\` every 'free' \"slot\"" in rate["body"]
    assert key_of(stored[0]["body"]).startswith("threatloom:clinic-touch-pwned-subst-touch-pwned-tick-quoted-"
                                                 "double-home-end:C-")


# -- Jira ---------------------------------------------------------------------------------------------

def test_jira_csv_parses_back_one_row_per_story(tmp_path: Path, github: tuple[list[dict[str, Any]], Path],
                                               plan: dict[str, Any]) -> None:
    issues, _ = github
    (path,) = export(CLINIC, "jira", tmp_path)
    assert path == tmp_path / "jira-issues.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    header, body = rows[0], rows[1:]
    assert header == ["Summary", "Description", "Issue Type", "Priority", "Labels", "Labels", "Labels", "Labels",
                      "Custom field (threatloom key)"]
    assert len(body) == len(issues) and all(len(r) == len(header) for r in body)
    assert [r[-1] for r in body] == [key_of(i["body"]) for i in issues]  # the stable key column
    assert [r[0] for r in body] == [i["title"] for i in issues]
    assert [r[4:8] for r in body] == [i["labels"] for i in issues]
    priority = {"critical": "Highest", "high": "High", "medium": "Medium", "low": "Low"}
    assert [r[3] for r in body] == [priority[i["labels"][2].removeprefix("risk:")] for i in issues]
    assert {r[2] for r in body} == {"Story"}
    first = plan["steps"][0]["threats"][0]
    assert (f"* {first['id']}: {first['title']} (" in body[0][1]
            and f"; {first['before']['level']} ({first['before']['score']}) → {first['after']['level']} "
                f"({first['after']['score']}); record it on {' or '.join(first['record_on'])})" in body[0][1])
    assert all(len(r[0]) <= 255 and " " not in "".join(r[4:8]) for r in body)  # Jira's limits


# -- Markdown -----------------------------------------------------------------------------------------

def test_markdown_checklist_keeps_ticked_boxes(tmp_path: Path) -> None:
    (path,) = export(CLINIC, "markdown", tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    boxes = [i for i, line in enumerate(lines) if line.startswith("- [")]
    assert len(boxes) >= 5 and all(lines[i].startswith("- [ ] ") for i in boxes)
    # a person ticks the second and the fourth story (x or X, as editors write them)
    for i, mark in ((boxes[1], "x"), (boxes[3], "X")):
        lines[i] = f"- [{mark}] " + lines[i][6:]
    ticked_keys = [lines[boxes[1]].rsplit("<!-- ", 1)[1], lines[boxes[3]].rsplit("<!-- ", 1)[1]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    export(CLINIC, "markdown", path)
    again = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("- [")]
    assert [line.rsplit("<!-- ", 1)[1] for line in again if line.startswith("- [x] ")] == ticked_keys
    assert sum(line.startswith("- [ ] ") for line in again) == len(boxes) - 2
    # the hardened clinic has no gap left: an export over the same file says so
    export(HARDENED, "markdown", path)
    assert "Nothing to do: no untreated gap and no reduce decision with controls." in path.read_text()


@pytest.mark.parametrize("to", ["github", "jira", "markdown"])
def test_a_second_export_of_an_unchanged_model_is_byte_identical(to: str, tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    one, two = export(CLINIC, to, first), export(CLINIC, to, second)
    assert [p.name for p in one] == [p.name for p in two]
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes()


def test_unsuitable_output_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("export", str(CLINIC), "--to", "jira", "-o", str(tmp_path / "backlog.json"))
    assert result.returncode == 2
    assert "expected a folder or a .csv file" in result.stderr


def test_a_control_chosen_in_a_decision_outside_the_plan_follows_the_plan_stories(
        tmp_path: Path, plan: dict[str, Any]) -> None:
    decided = clinic_text(extra="  - {threat: TL-I005@portal, treatment: reduce, controls: [C-PATCH-MGMT], "
                                "owner: Web team, ticket: CLINIC-51}\n")
    model = write_model(tmp_path / "clinic.yaml", decided)
    assert "C-PATCH-MGMT" not in {s["control"]["id"] for s in plan["steps"]}
    issues = json.loads(export(model, "github", tmp_path / "out.json")[0].read_text(encoding="utf-8"))
    assert len(issues) == len(plan["steps"]) + 1
    chosen = issues[-1]
    assert key_of(chosen["body"]) == "threatloom:clinic-booking:C-PATCH-MGMT"
    assert "**Why:** chosen in a reduce decision." in chosen["body"]
    decisions = len(decided.split("decisions:\n", 1)[1].split("  - ")) - 1  # the new one is the last
    assert "with the decision choosing it:" in chosen["body"]
    assert f"| chosen in decision \\#{decisions} | in-progress | `portal` |" in chosen["body"]
    assert f"decision \\#{decisions} for TL-I005@portal: owner Web team, ticket CLINIC-51" in chosen["body"]
    assert chosen["labels"][2] == "risk:medium"  # the error leak's level now, within the appetite
    assert (tmp_path / "out.sh").read_text(encoding="utf-8").count("\nupsert ") == len(issues)
