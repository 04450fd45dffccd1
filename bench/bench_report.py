"""Benchmark report rendering on a generated 2,000-component model (target: HTML under 10 s).

The model comes from bench_analyze's generator (components, flows, zones, assets, actors). It is
loaded and analysed once; then each format is rendered and written, timed on its own. The anchor,
timed in this same process on the same analysis, is writing threats.json (`threatloom analyze`'s
output); ratios compare each report with it.

    .venv/bin/python bench/bench_report.py                   # 2,000 components, HTML, Markdown, XLSX
    .venv/bin/python bench/bench_report.py --components 500 --pdf
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--components", type=int, default=2000)
    parser.add_argument("--pdf", action="store_true", help="also time the PDF (slow: WeasyPrint lays out "
                        "every page)")
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
            start = time.perf_counter()
            write_bytes(out, chosen.render(report))
            seconds = time.perf_counter() - start
            target = "  (target < 10 s)" if ext == "html" else ""
            print(f"report  {out.name:<13} {seconds:6.2f} s  {out.stat().st_size / 1e6:6.1f} MB  "
                  f"{seconds / anchor:5.1f}x threats.json{target}", flush=True)


if __name__ == "__main__":
    main()
