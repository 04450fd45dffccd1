"""Shared test fixtures: paths to the repository, the shared samples, and the real CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
SAMPLES = REPO.parent / "shared" / "samples"
CLI = str(Path(sys.executable).with_name("threatloom"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed `threatloom` command as a user would (in `env`, when given, instead of ours)."""
    return subprocess.run([CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=300, check=False, env=env)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, object]) -> dict[str, object]:
    return {**browser_type_launch_args, "executable_path": shutil.which("chromium"), "args": CHROMIUM_ARGS}
