"""What the commands write, run as a user runs them: never over the files they read, a clear error (exit 2)
for an output path that cannot be written, and text printed as it is (locations, names, whole table cells
when the output is not a terminal)."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CLI, EXAMPLES, run_cli

SAAS = EXAMPLES / "saas-platform" / "model.yaml"

MODEL = """threatloom: 1
system:
  name: "Shop :fire: [bold]x[/bold]"
  risk_appetite: medium
zones:
  - {id: internet, name: Internet, trust: 0, internet: true}
  - {id: dmz, name: DMZ, trust: 5}
components:
  - id: web
    name: Web shop
    type: process
    kind: web-application
    zone: dmz
    internet_facing: true
  - id: db
    name: Orders database
    type: data-store
    kind: database
    zone: dmz
flows:
  - id: query
    name: Query
    source: web
    destination: db
    protocol: HTTPS
    authentication: none
    encryption: tls
"""


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "threatmodel.yaml"
    path.write_text(MODEL)
    return path


@pytest.mark.parametrize("command", [
    ["export", "{model}", "--to", "otm", "-o", "{model}"],
    ["export", "{model}", "--to", "threat-dragon", "-o", "{model}"],
    ["check", "{model}", "--format", "sarif", "-o", "{model}"],
    ["diff", "{model}", "{model}", "-o", "{model}"],
    ["plan", "{model}", "--format", "json", "-o", "{model}"],
])
def test_an_output_onto_the_model_is_refused_and_the_model_kept(model: Path, command: list[str]) -> None:
    result = run_cli(*(part.format(model=model) for part in command))
    assert result.returncode == 2, result.stderr
    assert f"{model} is an input of this command" in result.stderr
    assert "Traceback" not in result.stderr
    assert model.read_text() == MODEL


def test_an_output_onto_the_model_spelled_another_way_is_refused(model: Path, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.yaml").symlink_to(model)
    for spelling in ("threatmodel.yaml", "./sub/../threatmodel.yaml", "link.yaml"):
        result = run_cli("check", str(model), "--format", "json", "-o", spelling, cwd=tmp_path)
        assert result.returncode == 2, (spelling, result.stderr)
        assert "is an input of this command" in result.stderr
    assert model.read_text() == MODEL


def _split_model(folder: Path) -> tuple[Path, Path, Path]:
    """A model whose components are in parts/components.yaml, reached through all.yaml, which only
    includes it (and holds no item of its own)."""
    (folder / "parts").mkdir()
    head, _, rest = MODEL.partition("components:")
    components, _, flows = rest.partition("flows:")
    main, hub, part = folder / "model.yaml", folder / "all.yaml", folder / "parts" / "components.yaml"
    main.write_text(head + "include: [all.yaml]\nflows:" + flows)
    hub.write_text("threatloom: 1\ninclude: [parts/components.yaml]\n")
    part.write_text("threatloom: 1\ncomponents:" + components)
    return main, hub, part


def test_an_output_onto_any_included_file_is_refused(tmp_path: Path) -> None:
    main, hub, part = _split_model(tmp_path)
    kept = {p: p.read_text() for p in (main, hub, part)}
    for target in (hub, part):
        for command in (["check", str(main), "--format", "json"], ["export", str(main), "--to", "otm"]):
            result = run_cli(*command, "-o", str(target))
            assert result.returncode == 2, (command, target, result.stderr)
            assert f"{target} is an input of this command" in result.stderr
    assert {p: p.read_text() for p in kept} == kept


def test_history_and_diff_of_commits_keep_the_work_tree_files(tmp_path: Path) -> None:
    main, hub, part = _split_model(tmp_path)
    git = ["git", "-C", str(tmp_path), "-c", "user.name=T", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "model"], check=True)
    kept = {p: p.read_text() for p in (main, hub, part)}
    for command in (["history", str(main), "--format", "json"],
                    ["diff", str(main), "--git", "HEAD..HEAD", "--format", "json"]):
        for target in (hub, part):
            result = run_cli(*command, "-o", str(target), cwd=tmp_path)
            assert result.returncode == 2, (command, target, result.stderr)
            assert f"{target} is an input of this command" in result.stderr
    assert {p: p.read_text() for p in kept} == kept


def test_an_output_onto_a_rule_file_is_refused(model: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    rule_file = rules / "ours.yaml"
    rule_file.write_text("threatloom-rules: 1\nrules: []\n")
    result = run_cli("check", str(model), "--rules", str(rules), "--format", "json", "-o", str(rule_file))
    assert result.returncode == 2, result.stderr
    assert f"{rule_file} is an input of this command" in result.stderr
    onto_folder = run_cli("check", str(model), "--rules", str(rules), "--format", "json", "-o", str(rules))
    assert onto_folder.returncode == 2 and f"error: {rules} is a folder, not a file" in onto_folder.stderr
    named = tmp_path / "named.yaml"
    named.write_text(MODEL.replace("zones:", "rules: [rules/ours.yaml]\nzones:", 1))
    result = run_cli("export", str(named), "--to", "otm", "-o", str(rule_file))
    assert result.returncode == 2, result.stderr
    assert f"{rule_file} is an input of this command" in result.stderr
    assert rule_file.read_text() == "threatloom-rules: 1\nrules: []\n"


def test_an_output_onto_an_included_file_is_refused(tmp_path: Path) -> None:
    main, part = tmp_path / "main.yaml", tmp_path / "part.yaml"
    head, _, rest = MODEL.partition("components:")
    main.write_text(head + "include: [part.yaml]\nflows: []\n")
    included = "threatloom: 1\ncomponents:" + rest.partition("flows:")[0]
    part.write_text(included)
    result = run_cli("export", str(main), "--to", "otm", "-o", str(part))
    assert result.returncode == 2, result.stderr
    assert f"{part} is an input of this command" in result.stderr
    assert part.read_text() == included


def test_an_import_onto_its_own_source_is_refused(model: Path, tmp_path: Path) -> None:
    otm = tmp_path / "model.otm.json"
    assert run_cli("export", str(model), "--to", "otm", "-o", str(otm)).returncode == 0
    written = otm.read_bytes()
    result = run_cli("import", str(otm), "-o", str(otm), "--force")
    assert result.returncode == 2, result.stderr
    assert "is an input of this command" in result.stderr
    assert otm.read_bytes() == written
    json.loads(written)


def test_an_output_that_is_a_folder_is_an_input_error_not_a_failed_gate(model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    result = run_cli("check", str(model), "--format", "sarif", "--fail-on", "critical", "-o", str(folder))
    assert result.returncode == 2, result.stderr  # 1 would tell CI the gate failed
    assert f"error: {folder} is a folder, not a file" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(folder.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "threatmodel.yaml"]


def test_an_output_folder_under_a_file_is_an_input_error(model: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("mine\n")
    result = run_cli("analyze", str(model), "-o", str(notes / "sub"))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"error: cannot create the folder {notes / 'sub'}: " in result.stderr
    assert notes.read_text() == "mine\n"


def _small_file_limit() -> None:
    # in the child: files may not grow past 4 KiB, and a write past it fails with EFBIG instead of the
    # signal that would kill the process; the kernel refuses the write as it does when a disk is full
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_a_write_that_runs_out_of_room_is_an_error_and_keeps_the_previous_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    previous = out / "threats.json"
    previous.write_text("{}\n")
    result = subprocess.run([CLI, "analyze", str(SAAS), "-o", str(out)], capture_output=True, text=True,
                            timeout=300, check=False, preexec_fn=_small_file_limit)
    assert result.returncode == 2, result.stderr
    assert f"error: cannot write {previous}: File too large" in result.stderr
    assert "Traceback" not in result.stderr
    assert previous.read_text() == "{}\n"
    assert sorted(p.name for p in out.iterdir()) == ["threats.json"]  # no temporary file left behind


def test_a_scratch_file_that_runs_out_of_room_is_an_error_and_keeps_the_previous_report(tmp_path: Path) -> None:
    # openpyxl writes each sheet to a temporary file before the workbook reaches ours
    report = tmp_path / "register.xlsx"
    report.write_bytes(b"previous")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    result = subprocess.run([CLI, "report", str(SAAS), "-o", str(report)], capture_output=True, text=True,
                            timeout=300, check=False, preexec_fn=_small_file_limit,
                            env={**os.environ, "TMPDIR": str(scratch)})
    assert result.returncode == 2, result.stderr
    assert "error: ran out of room writing a scratch file: File too large" in result.stderr
    assert f"make room in {scratch}" in result.stderr
    assert "Traceback" not in result.stderr
    assert report.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["register.xlsx", "scratch"]


def test_a_location_on_line_100_and_names_with_emoji_codes_or_markup_print_as_written(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    padding = "".join(f"# line {n}\n" for n in range(MODEL.count("\n") + 1, 100))
    path.write_text(MODEL + padding + "  - {id: bad, name: Bad, source: web, destination: nowhere, protocol: HTTPS,"
                    " authentication: none, encryption: tls}\n")
    assert path.read_text().splitlines()[99].startswith("  - {id: bad")
    result = run_cli("validate", str(path))
    assert result.returncode == 2
    assert f"{path}:100:" in result.stderr, result.stderr
    assert "\N{HUNDRED POINTS SYMBOL}" not in result.stderr
    model = tmp_path / "threatmodel.yaml"
    model.write_text(MODEL)
    result = run_cli("analyze", str(model), "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Shop :fire: [bold]x[/bold]: ")


def test_tables_printed_into_a_pipe_keep_every_control_id_whole() -> None:
    plan = json.loads(run_cli("plan", str(SAAS), "--format", "json").stdout)
    ids = [step["control"]["id"] for step in plan["steps"]]
    assert max(len(i) for i in ids) > 12  # long enough that an 80-column table cut them
    piped = {name: value for name, value in os.environ.items() if name != "COLUMNS"}  # as a shell's pipe has it
    text = run_cli("plan", str(SAAS), env=piped).stdout
    lines = text.splitlines()
    assert all(any(i in line for line in lines) for i in ids), text
    assert "…" not in text
    # a width the user sets still counts
    narrow = run_cli("plan", str(SAAS), env={**piped, "COLUMNS": "80"}).stdout
    assert max(len(line) for line in narrow.splitlines()) <= 80
