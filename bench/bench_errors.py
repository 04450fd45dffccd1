"""Benchmark `threatloom validate` on a model with a mistake on every line, against the same model without.

Two generated cases a broken generator or a bad search-and-replace produces: N components, each with a
misspelt type and an unknown zone (2N errors); and N components with N flows, each naming a component
whose ID was misspelt (N unknown references, each among N IDs that a suggestion could offer). The anchor
is the same model with the mistakes mended, validated in the same run, so the ratio says what reporting
the errors costs over reading the model. Each is run in turns (the order alternating), and the best
counts.

    .venv/bin/python bench/bench_errors.py                  # 3,000 / 30,000 components; 5,000 renamed
    .venv/bin/python bench/bench_errors.py --sizes 30000 --renamed 1000,5000
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


def renamed(components: int, broken: bool) -> str:
    """Flows that name their destination as it was before a rename (`cmop-` for `comp-`)."""
    rows = [f"  - {{id: comp-{i}, name: C{i}, type: process, kind: service}}" for i in range(components)]
    target = "cmop" if broken else "comp"
    flows = [f"  - {{id: f{i}, name: F{i}, source: comp-{i}, destination: {target}-{(i + 1) % components}}}"
             for i in range(components)]
    return ("threatloom: 1\nsystem: {name: Renamed}\ncomponents:\n" + "\n".join(rows) + "\nflows:\n"
            + "\n".join(flows) + "\n")


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
    parser.add_argument("--sizes", default="3000,30000", help="components with a bad type and zone each")
    parser.add_argument("--renamed", default="5000", help="components with flows to a misspelt one")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cases = [(size, "type and zone", model, 2 * size) for size in (int(s) for s in args.sizes.split(","))]
        cases += [(size, "renamed destination", renamed, size) for size in (int(s) for s in args.renamed.split(","))]
        for size, what, generate, errors in cases:
            broken, mended = Path(tmp) / f"broken-{size}.yaml", Path(tmp) / f"mended-{size}.yaml"
            broken.write_text(generate(size, broken=True))
            mended.write_text(generate(size, broken=False))
            times: dict[str, list[float]] = {"broken": [], "mended": []}
            for turn in range(args.runs):
                order = [("broken", broken, 2), ("mended", mended, 0)]
                for name, path, code in order if turn % 2 == 0 else order[::-1]:
                    times[name].append(once(path, code))
            bad, good = min(times["broken"]), min(times["mended"])
            print(f"{size:>7} components, {errors:,} errors ({what}): validate {bad:.2f} s; the same model "
                  f"mended {good:.2f} s; errors/mended {bad / good:.1f}x ({(bad - good) / errors * 1e6:.0f} us per "
                  "error)", flush=True)


if __name__ == "__main__":
    main()
