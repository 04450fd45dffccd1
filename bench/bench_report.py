"""Benchmark report rendering on a generated 2,000-component model (target: HTML under 10 s).

The model comes from bench_analyze's generator (components, flows, zones, assets, actors). It is
loaded and analysed once; then each format is rendered and written, timed on its own. The anchor,
timed in this same process on the same analysis, is writing threats.json (`threatloom analyze`'s
output); ratios compare each report with it.

    .venv/bin/python bench/bench_report.py                   # 2,000 components, HTML, Markdown, XLSX
    .venv/bin/python bench/bench_report.py --components 500 --pdf
    .venv/bin/python bench/bench_report.py --examples        # also every format of each example

Times are wall clock and, in brackets, CPU (this process and its Graphviz children): on a busy machine
the CPU figure is the one to compare.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_analyze import threatloom_model

from threatloom.atomic import write_bytes, write_chunks
from threatloom.catalog.loading import load_controls
from threatloom.engine import analyse
from threatloom.model import load_model
from threatloom.render.analysis_json import render_json_chunks
from threatloom.render.report import ReportInput, report_format


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def cpu() -> float:
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def examples(root: Path) -> None:
    """Every format of each example, from its analysis (loading and analysing not counted)."""
    controls = load_controls()
    for path in sorted((Path(__file__).resolve().parent.parent / "examples").glob("*/model.yaml")):
        model = load_model(path)
        report = ReportInput(model, analyse(model), controls)
        figures = []
        for ext in ("html", "pdf", "md", "xlsx"):
            out = root / f"{path.parent.name}.{ext}"
            start, used = time.perf_counter(), cpu()
            write_bytes(out, report_format(out).render(report))
            figures.append(f"{ext} {time.perf_counter() - start:5.2f} s ({cpu() - used:5.2f})")
        print(f"example {path.parent.name:<22} {len(report.analysis.threats):4} threats  " + "  ".join(figures),
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--components", type=int, default=2000)
    parser.add_argument("--pdf", action="store_true", help="also time the PDF (slow: WeasyPrint lays out "
                        "every page)")
    parser.add_argument("--examples", action="store_true", help="also time every format of each example")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "model.yaml"
        path.write_text(threatloom_model(args.components * 2))  # half the elements are flows
        start = time.perf_counter()
        model = load_model(path)
        analysis = analyse(model)
        setup = time.perf_counter() - start
        print(f"model: {len(model.components)} components, {len(model.flows)} flows, {len(model.zones)} zones, "
              f"{len(analysis.threats)} threats; load and analyse {setup:.2f} s")
        report = ReportInput(model, analysis, load_controls())
        anchor = timed(lambda: write_chunks(root / "threats.json", render_json_chunks(analysis)))
        print(f"anchor  threats.json  {anchor:6.2f} s  {(root / 'threats.json').stat().st_size / 1e6:6.1f} MB")
        formats = ["html", "md", "xlsx"] + (["pdf"] if args.pdf else [])
        for ext in formats:
            out = root / f"report.{ext}"
            chosen = report_format(out)
            start, used = time.perf_counter(), cpu()
            write_bytes(out, chosen.render(report))
            seconds = time.perf_counter() - start
            target = "  (target < 10 s)" if ext == "html" else ""
            print(f"report  {out.name:<13} {seconds:6.2f} s ({cpu() - used:6.2f})  {out.stat().st_size / 1e6:6.1f} MB"
                  f"  {seconds / anchor:5.1f}x threats.json{target}", flush=True)
        if args.examples:
            examples(root)


if __name__ == "__main__":
    main()
