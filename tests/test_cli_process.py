"""The `threatloom` process keeps its model and analysis out of the cycle collector's way; the application
run in-process (by tests, or by a caller embedding it) leaves the collector as it found it."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from threatloom.cli.app import app

PHARMACY = Path(__file__).parent.parent / "examples" / "online-pharmacy" / "model.yaml"


def test_the_console_entry_point_freezes_what_it_analysed(tmp_path: Path) -> None:
    code = ("import atexit, gc, sys; atexit.register(lambda: print('frozen', gc.get_freeze_count()));"
            f"sys.argv = ['threatloom', 'analyze', {str(PHARMACY)!r}, '-o', {str(tmp_path)!r}];"
            "from threatloom.cli.app import main; main()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    frozen = int(result.stdout.strip().splitlines()[-1].split()[-1])
    assert frozen > 10_000  # the model, the catalog and 86 threats with their explanations
    assert (tmp_path / "threats.json").stat().st_size > 0


def test_the_application_run_in_process_freezes_nothing(tmp_path: Path) -> None:
    before = gc.get_freeze_count()
    app(["analyze", str(PHARMACY), "-o", str(tmp_path)], standalone_mode=False)
    assert (tmp_path / "threats.json").stat().st_size > 0
    assert gc.get_freeze_count() == before
