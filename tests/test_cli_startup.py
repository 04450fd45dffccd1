"""The CLI imports only what a command needs: `--help` must not pull in the heavy libraries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

STARTER = Path(__file__).resolve().parent.parent / "src" / "threatloom" / "model" / "starter.yaml"
HEAVY = ("weasyprint", "openpyxl", "jinja2", "jsonschema", "cvss", "pydantic", "yaml", "defusedxml")


def test_help_imports_no_heavy_library() -> None:
    code = "import sys, threatloom.cli.app as a; a.app(['--help'], standalone_mode=False); print(sorted(sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(result.stdout.strip().splitlines()[-1].strip("[]").replace("'", "").split(", "))
    assert "typer" in loaded
    assert [m for m in HEAVY if m in loaded] == []


def test_every_command_is_mapped_to_the_group_that_registers_it() -> None:
    import typer.main

    from threatloom.cli.app import ALL_GROUPS, COMMAND_GROUPS, build_app

    whole = typer.main.get_command(build_app())
    assert set(whole.commands) == set(COMMAND_GROUPS)
    for group in ALL_GROUPS:
        narrow = typer.main.get_command(build_app((group,)))
        assert set(narrow.commands) == {c for c, g in COMMAND_GROUPS.items() if g == group}


def test_a_command_line_needs_its_own_group_and_help_or_a_typo_needs_all() -> None:
    from threatloom.cli.app import ALL_GROUPS, groups_for

    assert groups_for(["rules", "show", "TL-S001"]) == ("analysis_commands",)
    assert groups_for(["validate", "--help"]) == ("model_commands",)
    for argv in ([], ["--help"], ["--version"], ["analyse", "model.yaml"]):
        assert groups_for(argv) == ALL_GROUPS


def test_the_console_entry_point_imports_only_the_group_of_its_command() -> None:
    code = ("import atexit, sys; atexit.register(lambda: print(sorted(m for m in sys.modules if m.startswith("
            "'threatloom.cli.'))));"
            f"sys.argv = ['threatloom', 'validate', {str(STARTER)!r}];"
            "from threatloom.cli.app import main; main()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout
    loaded = result.stdout.strip().splitlines()[-1]
    assert "threatloom.cli.model_commands" in loaded
    for other in ("analysis_commands", "lifecycle_commands", "render_commands", "interop_commands"):
        assert f"threatloom.cli.{other}" not in loaded


def test_python_dash_m_runs_the_same_application() -> None:
    result = subprocess.run([sys.executable, "-m", "threatloom", "validate", str(STARTER)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{STARTER}: valid (2 components")


def test_help_shows_no_value_type_beside_a_flag() -> None:
    # typer writes `<bool>` beside on/off flags, as if they took a value; our command classes drop it,
    # on every command and group, while options that take a value keep their type
    import typer.main
    from typer.testing import CliRunner

    from threatloom.cli.app import COMMAND_GROUPS, build_app

    runner = CliRunner()
    app = build_app()
    commands = [[c] for c in COMMAND_GROUPS if c != "rules"] + [["rules"], ["rules", "list"], ["rules", "show"], []]
    flags_seen = 0
    for command in commands:
        shown = runner.invoke(app, [*command, "--help"], terminal_width=100).output
        assert "--help" in shown and "<bool>" not in shown, (command, shown)
        flags_seen += shown.count("--strict") + shown.count("--version")
    assert flags_seen >= 2  # flags of our own are listed too (validate --strict, the root's --version)
    assert "<path>" in runner.invoke(app, ["analyze", "--help"], terminal_width=100).output
    assert typer.main.get_command(app).commands["analyze"].__class__.__name__ == "Command"
    result = runner.invoke(app, ["validate", "--strict=yes", str(STARTER)])
    assert result.exit_code == 2 and "--strict" in result.output  # a flag still refuses a value
