"""Session-wide models, analyses and rendered reports for the render tests.

Every model of :data:`EXAMPLE_MODELS` is rendered once per session in HTML, Markdown and Excel (in this
process, from the analysis already in memory) and those of :data:`PDF_MODELS` in PDF, the slow part:
through the real `threatloom report` command, two at a time in the background from the first render test
on. The tests share the files.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.render.models import CLINIC, HOSTILE, PDF_MODELS, example_id, loaded
from threatloom.catalog.loading import load_controls
from threatloom.engine.threat import Analysis
from threatloom.model.schema import Model
from threatloom.render.report import ReportInput, report_format

FORMATS = ("html", "pdf", "md", "xlsx")


@pytest.fixture(scope="session")
def clinic() -> tuple[Model, Analysis]:
    return loaded(CLINIC)


@pytest.fixture(scope="session")
def hostile() -> tuple[Model, Analysis]:
    return loaded(HOSTILE)


@dataclass(frozen=True)
class CommandRun:
    path: Path
    stdout: str
    stderr: str
    returncode: int


class Renders:
    """The session's rendered reports, by model file and format."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pool = ThreadPoolExecutor(max_workers=2)  # each job waits on its own `threatloom` process
        self.pdfs: dict[Path, Future[CommandRun]] = {}
        self.files: dict[Path, dict[str, Path]] = {}

    def start_pdfs(self) -> None:
        for model in PDF_MODELS:
            if model not in self.pdfs:
                self.pdfs[model] = self.pool.submit(self._pdf, model)

    def folder(self, model: Path) -> Path:
        folder = self.root / example_id(model)
        folder.mkdir(exist_ok=True)
        return folder

    def _pdf(self, model: Path) -> CommandRun:
        target = self.folder(model) / "report.pdf"
        result = run_cli("report", str(model), "-o", str(target))
        return CommandRun(target, result.stdout, result.stderr, result.returncode)

    def pdf(self, model: Path) -> CommandRun:
        """The PDF of `model`, written by `threatloom report` (needs the `pdfs` fixture)."""
        return self.pdfs[model].result()

    def __call__(self, model: Path) -> dict[str, Path]:
        """HTML, Markdown and Excel of `model` (rendered on first use), and the path its PDF goes to."""
        if model not in self.files:
            loaded_model, analysis = loaded(model)
            report = ReportInput(loaded_model, analysis, load_controls())
            files = {"model": model, "pdf": self.folder(model) / "report.pdf"}
            for ext in ("html", "md", "xlsx"):
                target = self.folder(model) / f"report.{ext}"
                target.write_bytes(report_format(target).render(report))
                files[ext] = target
            self.files[model] = files
        return self.files[model]


@pytest.fixture(scope="session")
def renders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Renders]:
    found = Renders(tmp_path_factory.mktemp("reports"))
    yield found
    found.pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session")
def pdfs(renders: Renders) -> Renders:
    """The renders, with every PDF under way."""
    renders.start_pdfs()
    return renders


@pytest.fixture(scope="session", autouse=True)
def _render_early(request: pytest.FixtureRequest) -> None:
    """Start the PDFs with the first render test when a test of the session reads them, so that they are
    written, two at a time, while the other tests run."""
    if any("pdfs" in getattr(item, "fixturenames", ()) for item in request.session.items):
        request.getfixturevalue("pdfs")
