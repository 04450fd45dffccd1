"""The CLI imports only what a command needs: `--help` must not pull in the heavy libraries."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("weasyprint", "openpyxl", "jinja2", "jsonschema", "cvss", "pydantic", "yaml", "defusedxml")


def test_help_imports_no_heavy_library() -> None:
    code = "import sys, threatloom.cli.app as a; a.app(['--help'], standalone_mode=False); print(sorted(sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(result.stdout.strip().splitlines()[-1].strip("[]").replace("'", "").split(", "))
    assert "typer" in loaded
    assert [m for m in HEAVY if m in loaded] == []
