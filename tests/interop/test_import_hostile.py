"""Hostile and malformed files given to `threatloom import`, for every importer, through the real CLI.

Each must end with exit status 2 and a message that names the file (with line and column where the
file has them) and gives a hint, without a Python traceback and without writing the output file.
Big and deep files are made in tmp_path when the test runs (the 50 MB one is sparse, so cheap).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.interop.conftest import OTM, THREAGILE, THREAT_COMPOSER, THREAT_DRAGON

FIXTURES = Path(__file__).parent / "fixtures" / "hostile"
FORMATS = ("otm", "threat-dragon", "threagile", "threat-composer", "mtmt")

Maker = Callable[[Path], Path]


def fixture(name: str) -> Maker:
    return lambda _tmp: FIXTURES / name


def written(name: str, content: str | bytes) -> Maker:
    def make(tmp: Path) -> Path:
        path = tmp / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path
    return make


def first_half(sample: Path) -> Maker:
    def make(tmp: Path) -> Path:
        text = sample.read_text(encoding="utf-8")
        path = tmp / f"half-{sample.name}"
        path.write_text(text[: len(text) // 2], encoding="utf-8")
        return path
    return make


def sparse(name: str, size: int) -> Maker:
    def make(tmp: Path) -> Path:
        path = tmp / name
        with path.open("wb") as out:
            out.write(b'{"otmVersion": "0.2.0", "padding": "')
            out.truncate(size)  # a hole: no disk blocks, no time
        return path
    return make


def merge_chain(links: int) -> str:
    """Each mapping merges the one before: the n-th brings in n pairs, quadratic in the file's size."""
    lines = ["threagile_version: 1.0.0", "m0: &m0 {k0: 0}"]
    lines += [f"m{i}: &m{i} {{k{i}: {i}, <<: *m{i - 1}}}" for i in range(1, links)]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Case:
    make: Maker
    message: str  # a part of the error message
    args: tuple[str, ...] = ()
    located: bool | None = None  # line and column required (True), impossible (False), or either


CASES = {
    # broken syntax, bombs and sizes: refused while reading, before any importer runs
    "otm-json-cut-in-half": Case(first_half(OTM / "EXAMPLE.json"), "JSON syntax error", located=True),
    "threat-dragon-json-cut-in-half": Case(first_half(THREAT_DRAGON / "payment-online.json"), "JSON syntax error",
                                           ("--from", "threat-dragon"), located=True),
    "billion-laughs-tm7": Case(fixture("billion-laughs.tm7"), "XML refused"),
    "billion-laughs-tm7-from-mtmt": Case(fixture("billion-laughs.tm7"), "XML refused", ("--from", "mtmt")),
    "xxe-entity": Case(fixture("xxe.tm7"), "XML refused", ("--from", "mtmt")),
    "xxe-external-dtd": Case(fixture("xxe-external-dtd.tm7"), "XML refused"),
    "50-megabytes": Case(sparse("big.otm.json", 50 * 1024 * 1024), "over the import limit", located=False),
    "json-100000-levels-deep": Case(written("deep.json", "[" * 100_000 + "]" * 100_000), "nested too deeply",
                                    located=False),
    "yaml-100000-levels-deep": Case(written("deep.yaml", "title: " + "[" * 100_000 + "]" * 100_000 + "\n"),
                                    "nested too deeply", ("--from", "threagile")),
    "yaml-alias-bomb": Case(fixture("alias-bomb.yaml"), "aliases expand to more than", ("--from", "threagile"),
                            located=True),
    "yaml-merge-key-chain": Case(written("merges.yaml", merge_chain(2_000)), "merge keys (`<<`) bring in more than",
                                 located=True),
    "yaml-python-tag": Case(fixture("python-tag.yaml"), "unsupported YAML tag", ("--from", "threagile"),
                            located=True),
    "binary-garbage": Case(written("garbage.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8), "not UTF-8 text"),
    "utf16-garbage": Case(written("garbage.tm7", b"\xff\xfe" + bytes((i * 7 + 3) % 256 for i in range(999))),
                          "UTF-16"),
    "empty-file": Case(written("empty.json", ""), "cannot tell which tool wrote this file", located=False),
    "unknown-format": Case(fixture("unknown-format.json"), "cannot tell which tool wrote this file", located=False),
    # well-formed files of each format with a wrong type where the importer reads; the format is detected
    "otm-components-as-text": Case(fixture("otm-components-text.json"), "components: expected a list",
                                   located=True),
    "threat-dragon-cells-as-number": Case(fixture("threat-dragon-cells-number.json"), "cells: expected a list",
                                          located=True),
    "threagile-technical-assets-as-list": Case(fixture("threagile-assets-list.yaml"),
                                               "technical_assets: expected a mapping", located=True),
    "threat-composer-threats-as-text": Case(fixture("threat-composer-threats-text.json"),
                                            "threats: expected a list", located=True),
    "tm7-without-drawing-surfaces": Case(fixture("mtmt-no-drawing-surfaces.tm7"), "DrawingSurfaceList"),
    "otm-component-id-as-object": Case(fixture("otm-component-id-object.json"), "id", located=True),
}
# every importer, named with --from, given an empty file and another tool's file
OTHER_TOOLS_FILE = {"otm": THREAT_DRAGON / "payment-online.json", "threat-dragon": OTM / "EXAMPLE.json",
                    "threagile": THREAT_COMPOSER / "ThreatComposer.tc.json",
                    "threat-composer": THREAGILE / "threagile-example.yaml", "mtmt": OTM / "EXAMPLE.yaml"}
for fmt in FORMATS:
    CASES[f"empty-file-from-{fmt}"] = Case(written(f"empty-{fmt}.txt", ""), "", ("--from", fmt))
    CASES[f"other-tools-file-from-{fmt}"] = Case(lambda _tmp, f=fmt: OTHER_TOOLS_FILE[f], "", ("--from", fmt))

def oversized(sample: Path, keys: tuple[str | int, ...]) -> Maker:
    """`sample` with the text at `keys` made 30,000 characters long (the model keeps 20,000)."""
    def make(tmp: Path) -> Path:
        data = json.loads(sample.read_text(encoding="utf-8"))
        holder = data
        for key in keys[:-1]:
            holder = holder[key]
        holder[keys[-1]] = "long text " * 3_000
        path = tmp / f"long-{sample.name}"
        path.write_text(json.dumps(data), encoding="utf-8")
        return path
    return make


# Odd but readable values: the import either succeeds (and writes a valid model) or refuses the file with a
# located message; never a traceback, never an "invalid model" of the importer's own making.
ODD = {
    "otm-long-description": Case(oversized(OTM / "EXAMPLE.json", ("project", "description")), ""),
    "threat-dragon-long-boundary-description": Case(oversized(
        THREAT_DRAGON / "payment-online.json", ("detail", "diagrams", 0, "cells", 1, "data", "description")), ""),
    "threagile-long-description": Case(lambda tmp: _long_threagile(tmp), ""),
    "threat-composer-long-impact": Case(oversized(THREAT_COMPOSER / "ThreatComposer.tc.json",
                                                  ("threats", 0, "threatImpact")), ""),
    "threat-composer-empty-mitigation": Case(fixture("threat-composer-empty-mitigation.json"), ""),
    "threat-composer-huge-numeric-id": Case(fixture("threat-composer-huge-numeric-id.json"), ""),
}


def _long_threagile(tmp: Path) -> Path:
    path = tmp / "long-threagile.yaml"
    text = (THREAGILE / "threagile-example.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("description: Apache Webserver hosting the API code and client-side code",
                                 "description: " + "long text " * 3_000, 1), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Outcome:
    source: Path
    out: Path
    result: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every case run once, several at a time: each is a separate `threatloom` process."""
    every = {**CASES, **ODD}
    # the folders are made here, one by one: pytest's temporary root is not made safely from several threads
    # at once (when this module runs alone, each thread made its own and cleared the others')
    folders = {name: tmp_path_factory.mktemp(name) for name in every}

    def run(name: str) -> Outcome:
        folder = folders[name]
        source, out = every[name].make(folder), folder / "model.yaml"
        return Outcome(source, out, run_cli("import", str(source), *every[name].args, "-o", str(out)))

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(every, pool.map(run, every), strict=True))


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input_is_refused_cleanly(name: str, outcomes: dict[str, Outcome]) -> None:
    case, outcome = CASES[name], outcomes[name]
    assert outcome.result.returncode == 2, outcome.result.stdout + outcome.result.stderr
    _refused_cleanly(case, outcome)


@pytest.mark.parametrize("name", list(ODD))
def test_odd_values_import_or_are_refused_cleanly(name: str, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[name]
    result = outcome.result
    assert result.returncode in (0, 2), result.stdout + result.stderr
    if result.returncode == 2:
        _refused_cleanly(ODD[name], outcome)
        return
    assert "Traceback" not in result.stderr
    assert outcome.out.exists()
    validated = run_cli("validate", str(outcome.out))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    if name.endswith(("long-description", "long-boundary-description", "long-impact")):
        assert "[cut by threatloom at 20,000 characters]" in outcome.out.read_text(encoding="utf-8")


def _refused_cleanly(case: Case, outcome: Outcome) -> None:
    source, result = outcome.source, outcome.result
    assert "Traceback" not in result.stderr, result.stderr
    assert not outcome.out.exists()
    assert "wrote" not in result.stdout
    assert "produced an invalid model" not in result.stderr, result.stderr  # the importer's own bug
    line = re.search(rf"^{re.escape(str(source))}(?P<at>:\d+:\d+)?: error: (?P<message>.+) \((?P<hint>.+)\)$",
                     result.stderr, re.MULTILINE)
    assert line is not None, f"no located message with a hint naming {source}:\n{result.stderr}"
    assert case.message in line["message"]
    assert line["hint"].strip()
    if case.located is not None:
        assert bool(line["at"]) == case.located, result.stderr


def test_nothing_runs_from_a_python_tag(tmp_path: Path) -> None:
    result = run_cli("import", str(FIXTURES / "python-tag.yaml"), "--from", "threagile", "-o",
                     str(tmp_path / "m.yaml"), cwd=tmp_path)
    assert result.returncode == 2
    assert not (tmp_path / "owned.txt").exists()
