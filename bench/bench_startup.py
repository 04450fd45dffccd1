"""CLI start-up: `threatloom --help` and `threatloom validate` on the starter model, against the anchor
of a bare `python -c pass` measured in the same run (best of N wall-clock runs each).

    .venv/bin/python bench/bench_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from installed import compile_packages

BIN = Path(sys.executable).parent
STARTER = Path(__file__).resolve().parent.parent / "src" / "threatloom" / "model" / "starter.yaml"


def best(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    print("bytecode compiled for: " + ", ".join(compile_packages("threatloom")))
    anchor = best([sys.executable, "-c", "pass"], runs)
    print(f"anchor python -c pass: {anchor * 1000:6.0f} ms")
    for label, command in (("threatloom --help", [str(BIN / "threatloom"), "--help"]),
                           ("threatloom validate starter", [str(BIN / "threatloom"), "validate", str(STARTER)])):
        took = best(command, runs)
        print(f"{label:<28} {took * 1000:6.0f} ms  ({took / anchor:.1f}x the anchor)")


if __name__ == "__main__":
    main()
