"""Benchmark `threatloom validate` on a model with a mistake on every line, against the same model without.

A generated model of N components, each with a misspelt type and an unknown zone, is the case a broken
generator or a bad search-and-replace produces: 2N errors. The anchor is the same model with both
mistakes mended, validated in the same run, so the ratio says what reporting the errors costs over
reading the model. Each is run in turns (the order alternating), and the best counts.

    .venv/bin/python bench/bench_errors.py                  # 3,000 / 30,000 components
    .venv/bin/python bench/bench_errors.py --sizes 30000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def model(components: int, broken: bool) -> str:
    kind, zone = ("proces", "dmz") if broken else ("process", "dc")
    rows = [f"  - {{id: c{i}, name: C{i}, type: {kind}, kind: service, zone: {zone}}}" for i in range(components)]
    return ("threatloom: 1\nsystem: {name: Generated}\nzones:\n  - {id: dc, name: DC, trust: 5}\ncomponents:\n"
            + "\n".join(rows) + "\n")


def once(path: Path, expected: int) -> float:
    start = time.perf_counter()
    result = subprocess.run([str(BIN / "threatloom"), "validate", str(path)], capture_output=True, text=True,
                            check=False)
    took = time.perf_counter() - start
    if result.returncode != expected:
        raise SystemExit(f"{path}: exit {result.returncode}, expected {expected}:\n{result.stderr[-2000:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="3000,30000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            broken, mended = Path(tmp) / f"broken-{size}.yaml", Path(tmp) / f"mended-{size}.yaml"
            broken.write_text(model(size, broken=True))
            mended.write_text(model(size, broken=False))
            times: dict[str, list[float]] = {"broken": [], "mended": []}
            for turn in range(args.runs):
                order = [("broken", broken, 2), ("mended", mended, 0)]
                for name, path, code in order if turn % 2 == 0 else order[::-1]:
                    times[name].append(once(path, code))
            bad, good = min(times["broken"]), min(times["mended"])
            print(f"{size:>7} components, {2 * size:,} errors: validate {bad:.2f} s; the same model mended "
                  f"{good:.2f} s; errors/mended {bad / good:.1f}x ({(bad - good) / (2 * size) * 1e6:.0f} us per error)",
                  flush=True)


if __name__ == "__main__":
    main()
