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

# The plan of the clinic's gaps (threatloom plan --only high), in order: see test_lifecycle_plan_cli.
PLAN_ORDER = ["C-LEAST-PRIVILEGE", "C-MTLS", "C-RATE-LIMIT", "C-INPUT-VALIDATION", "C-STRONG-AUTHN",
              "C-DATA-MINIMISATION", "C-SIEM-MONITORING", "C-TLS", "C-BACKUP", "C-CSPM", "C-AUTOSCALING",
              "C-INCIDENT-RESPONSE"]


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


def key_of(body: str) -> str:
    first = body.splitlines()[0]
    assert first.startswith("<!-- threatloom-key: ") and first.endswith(" -->")
    return first.removeprefix("<!-- threatloom-key: ").removesuffix(" -->")


def test_github_issues_are_ready_for_the_rest_api_and_follow_the_plan(
        github: tuple[list[dict[str, Any]], Path]) -> None:
    issues, _ = github
    for issue in issues:
        assert set(issue) == {"title", "body", "labels"}
        assert isinstance(issue["title"], str) and len(issue["title"]) <= 256
        assert all(isinstance(label, str) for label in issue["labels"])
    keys = [key_of(i["body"]) for i in issues]
    assert keys == [f"threatloom:clinic-booking:{cid}" for cid in PLAN_ORDER]
    plan = cli_json("plan", str(CLINIC), "--only", "high", "--format", "json")
    assert [s["control"]["id"] for s in plan["steps"]] == PLAN_ORDER
    for step, issue in zip(plan["steps"], issues, strict=True):
        n = step["removes"]
        assert f"step {step['rank']} of the treatment plan for the gaps (threatloom plan --only high): removes " \
               f"{n} point{'' if n == 1 else 's'} of residual risk" in issue["body"]
        for threat in step["threats"]:  # each story names the threats it reduces, with that step's effect
            row = f"| `{threat['id']}` |"
            assert row in issue["body"], (issue["title"], threat["id"])
            before, after = threat["before"], threat["after"]
            assert f"{before['level']} ({before['score']}) → {after['level']} ({after['score']})" in issue["body"]
    assert "removes 1 point of residual risk" in issues[PLAN_ORDER.index("C-AUTOSCALING")]["body"]
    assert "1 points" not in "".join(i["body"] for i in issues)


def test_github_story_priority_is_the_worst_level_it_reduces_at_its_step(
        github: tuple[list[dict[str, Any]], Path]) -> None:
    issues, _ = github
    labels = {key_of(i["body"]).rsplit(":", 1)[1]: i["labels"] for i in issues}
    # step 1 takes the SQL injection on the portal down from critical (20): a critical story
    assert labels["C-LEAST-PRIVILEGE"] == ["threatloom", "security", "risk:critical", "effort:medium"]
    # step 11 only trims what steps 3, 4 and 7 left of the database exhaustion (low 2 → 1): not critical
    assert labels["C-AUTOSCALING"] == ["threatloom", "security", "risk:low", "effort:medium"]
    rate = next(i for i in issues if "C-RATE-LIMIT" in i["title"])
    # the decision of the model that chose rate limiting for the slot hoarding shows in the story
    assert "| `MT-SLOT-HOARD` |" in rate["body"]
    assert "owner Web team, ticket CLINIC-42, due 2099-03-31" in rate["body"]
    assert "| `TL-D003@store` | Requests reaching Booking portal can exhaust database Bookings DB | critical (20) " \
           "| critical (20) → high (12) | open | `store` or `db` |" in rate["body"]


def test_github_script_creates_then_updates_never_duplicates(
        github: tuple[list[dict[str, Any]], Path], tmp_path: Path) -> None:
    issues, script = github
    fake = FakeGitHub(tmp_path)
    first = fake.run(script, tmp_path)
    assert first.returncode == 0, first.stderr
    assert len(fake.calls("issue", "create")) == 12 and fake.calls("issue", "edit") == []
    assert first.stdout.splitlines()[0] == "created threatloom:clinic-booking:C-LEAST-PRIVILEGE"
    stored = fake.issues
    assert [(i["title"], i["body"], i["labels"]) for i in stored] == \
        [(i["title"], i["body"], sorted(i["labels"])) for i in issues]
    assert set(fake.labels) == {"threatloom", "security", "risk:critical", "risk:high", "risk:medium", "risk:low",
                                "effort:low", "effort:medium"}

    # an issue filed by an older export, when its risk was another, carries a stale priority label
    autoscaling = next(i for i in stored if "C-AUTOSCALING" in i["title"])
    fake.edit_state(autoscaling["number"], ["threatloom", "security", "risk:critical", "effort:medium", "triaged"])
    second = fake.run(script, tmp_path)
    assert second.returncode == 0, second.stderr
    assert len(fake.calls("issue", "create")) == 12  # none more
    assert len(fake.calls("issue", "edit")) == 12
    first_key = "threatloom:clinic-booking:C-LEAST-PRIVILEGE"
    assert second.stdout.splitlines()[0] == f"updated #{stored[0]['number']} {first_key}"
    assert len(fake.issues) == 12
    now = next(i for i in fake.issues if i["number"] == autoscaling["number"])
    # the stale risk label goes, people's own labels stay
    assert now["labels"] == ["effort:medium", "risk:low", "security", "threatloom", "triaged"]


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
    assert stored[0]["title"] == f"{hostile}: Least privilege for identities (C-LEAST-PRIVILEGE)"
    rate = next(i for i in stored if "C-RATE-LIMIT" in i["title"])
    # the manual threat's title arrives in the body as written (Markdown-escaped), not expanded
    assert "Bots $(touch pwned-title) hoard \\`touch pwned-title2\\` every 'free' \"slot\"" in rate["body"]
    assert key_of(stored[0]["body"]) == "threatloom:clinic-touch-pwned-subst-touch-pwned-tick-quoted-double-home-end:" \
                                        "C-LEAST-PRIVILEGE"


# -- Jira ---------------------------------------------------------------------------------------------

def test_jira_csv_parses_back_one_row_per_story(tmp_path: Path) -> None:
    (path,) = export(CLINIC, "jira", tmp_path)
    assert path == tmp_path / "jira-issues.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    header, body = rows[0], rows[1:]
    assert header == ["Summary", "Description", "Issue Type", "Priority", "Labels", "Labels", "Labels", "Labels",
                      "Custom field (threatloom key)"]
    assert len(body) == 12 and all(len(r) == len(header) for r in body)
    assert [r[-1] for r in body] == [f"threatloom:clinic-booking:{cid}" for cid in PLAN_ORDER]
    first = dict(zip(header[:4], body[0][:4], strict=True))
    assert first["Summary"] == "Clinic Booking: Least privilege for identities (C-LEAST-PRIVILEGE)"
    assert first["Issue Type"] == "Story" and first["Priority"] == "Highest"
    assert body[0][4:8] == ["threatloom", "security", "risk:critical", "effort:medium"]
    assert "* TL-T002@portal: Input from less trusted callers can rewrite the database queries of Booking portal " \
           "(critical 20, open; critical (20) → high (12); record it on portal)" in first["Description"]
    assert {r[3] for r in body} <= {"Highest", "High", "Medium", "Low"}
    assert all(len(r[0]) <= 255 and " " not in "".join(r[4:8]) for r in body)  # Jira's limits


# -- Markdown -----------------------------------------------------------------------------------------

def test_markdown_checklist_keeps_ticked_boxes(tmp_path: Path) -> None:
    (path,) = export(CLINIC, "markdown", tmp_path)
    text = path.read_text(encoding="utf-8")
    boxes = [line for line in text.splitlines() if line.startswith("- [")]
    assert len(boxes) == 12 and all(line.startswith("- [ ] ") for line in boxes)
    # a person ticks the rate limiting and TLS stories
    ticked = text.replace("- [ ] **Rate limiting", "- [x] **Rate limiting")
    ticked = ticked.replace("- [ ] **TLS for", "- [X] **TLS for")
    path.write_text(ticked, encoding="utf-8")
    export(CLINIC, "markdown", path)
    again = path.read_text(encoding="utf-8")
    done = [line.split("**")[1] for line in again.splitlines() if line.startswith("- [x] ")]
    assert done == ["Rate limiting and anti-automation", "TLS for data in transit"]
    assert sum(line.startswith("- [ ] ") for line in again.splitlines()) == 10
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
