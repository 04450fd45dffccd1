"""Benchmark `threatloom analyze` end to end (start-up, load, analyse, files written) against OWASP pytm.

An "element" counts components, parties and flows alike (pytm counts its dataflows as elements too);
each generated model has about as many flows as nodes. The anchor is pytm 1.4.0 run with `--json` on
an equivalent generated pytm model, in this same run; ratios compare the two at the same size. Both
tools get the same number of runs at each size and the best counts.

    .venv/bin/python bench/bench_analyze.py                 # 1,000 / 3,000 / 10,000 / 100,000
    .venv/bin/python bench/bench_analyze.py --sizes 1000,3000 --pytm-sizes 1000
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from installed import compile_packages

BIN = Path(sys.executable).parent
KINDS = [("process", "web-application"), ("process", "api"), ("process", "service"), ("data-store", "database"),
         ("data-store", "object-storage"), ("data-store", "cache"), ("process", "worker"), ("process", "admin-console")]
AUTH = ["none", "password", "token", "session", "client-certificate", "multi-factor"]
ENC = ["none", "tls", "mutual-tls"]


def plan(elements: int, seed: int = 7) -> tuple[list[dict[str, object]], list[dict[str, object]], int]:
    """Nodes and flows of a model with `elements` elements in total (half nodes, half flows)."""
    rng = random.Random(seed)
    zones = max(4, elements // 250)
    nodes: list[dict[str, object]] = []
    for i in range(elements // 2):
        etype, kind = KINDS[i % len(KINDS)]
        nodes.append({"id": f"n{i}", "type": etype, "kind": kind, "zone": f"z{rng.randrange(zones)}",
                      "internet": i % 17 == 0})
    flows: list[dict[str, object]] = []
    for i in range(elements - len(nodes)):
        a, b = rng.sample(range(len(nodes)), 2)
        flows.append({"id": f"f{i}", "source": f"n{a}", "destination": f"n{b}",
                      "auth": AUTH[rng.randrange(len(AUTH))], "enc": ENC[rng.randrange(len(ENC))]})
    return nodes, flows, zones


def threatloom_model(elements: int) -> str:
    nodes, flows, zones = plan(elements)
    model = {
        "threatloom": 1,
        "system": {"name": f"Generated {elements}", "risk_appetite": "medium"},
        "assets": [{"id": f"a{i}", "name": f"Asset {i}", "classification": c, "confidentiality": lv,
                    "integrity": lv, "availability": lv, "owner": "ops", "personal_data": i % 3 == 0}
                   for i, (c, lv) in enumerate([("public", "low"), ("internal", "medium"),
                                                ("confidential", "high"), ("restricted", "critical")])],
        "actors": [{"id": "crook", "name": "Crook", "origin": "external", "kind": "cybercriminal",
                    "capability": {"skill": "high", "resources": "organisation"}, "starts_in": ["z0"]},
                   {"id": "insider", "name": "Insider", "origin": "internal", "kind": "insider",
                    "starts_in": ["z1"]}],
        "zones": [{"id": f"z{i}", "name": f"Zone {i}", "trust": 0 if i == 0 else 1 + i % 9, "internet": i == 0}
                  for i in range(zones)],
        "components": [{"id": n["id"], "name": f"Node {n['id']}", "type": n["type"], "kind": n["kind"],
                        "zone": n["zone"], "internet_facing": n["internet"],
                        ("stores" if n["type"] == "data-store" else "processes"): [f"a{i % 4}"]}
                       for i, n in enumerate(nodes)],
        "flows": [{"id": f["id"], "name": f"Flow {f['id']}", "source": f["source"], "destination": f["destination"],
                   "protocol": "HTTPS", "authentication": f["auth"], "encryption": f["enc"],
                   "data": [f"a{i % 4}"]} for i, f in enumerate(flows)],
    }
    return yaml.dump(model, Dumper=yaml.CSafeDumper, sort_keys=False)


def pytm_script(elements: int, out: Path) -> str:
    nodes, flows, zones = plan(elements)
    lines = ["import sys", "from pytm import TM, Boundary, Server, Datastore, Process, Dataflow, Actor",
             "tm = TM('generated')", "tm.description = 'generated'", "tm.isOrdered = True",
             "tm.mergeResponses = False",
             *(f"z{i} = Boundary('Zone {i}')" for i in range(zones)), "n = {}"]
    for node in nodes:
        cls = "Datastore" if node["type"] == "data-store" else ("Server" if node["kind"] == "api" else "Process")
        lines.append(f"n['{node['id']}'] = {cls}('Node {node['id']}')")
        lines.append(f"n['{node['id']}'].inBoundary = {node['zone']}")
    for flow in flows:
        lines.append(f"d = Dataflow(n['{flow['source']}'], n['{flow['destination']}'], 'Flow {flow['id']}')")
        lines.append("d.protocol = 'HTTPS'")
        lines.append(f"d.isEncrypted = {flow['enc'] != 'none'}")
        lines.append(f"d.authenticatesSource = {flow['auth'] != 'none'}")
    lines += [f"sys.argv = ['tm.py', '--json', {str(out)!r}]", "tm.process()"]
    return "\n".join(lines) + "\n"


def timed(command: list[str], timeout: float, runs: int = 1) -> float | None:
    """Best wall time of `runs` runs (a shared machine only ever adds time); None on a time-out."""
    best = None
    for _ in range(runs):
        start = time.perf_counter()
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,3000,10000,100000")
    parser.add_argument("--pytm-sizes", default="1000,3000")
    parser.add_argument("--pytm-timeout", type=float, default=900)
    parser.add_argument("--runs", type=int, default=3, help="runs per tool and size up to 10,000 elements "
                        "(the best counts); larger sizes run once")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    pytm_sizes = {int(s) for s in args.pytm_sizes.split(",") if s}
    results: dict[int, tuple[float, float | None, int]] = {}
    print("bytecode compiled for: " + ", ".join(compile_packages("threatloom", "pytm")), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for size in sizes:
            model = root / f"model-{size}.yaml"
            model.write_text(threatloom_model(size))
            out = root / f"out-{size}"
            runs = args.runs if size <= 10_000 else 1
            ours = timed([str(BIN / "threatloom"), "analyze", str(model), "-o", str(out)], 1800, runs)
            assert ours is not None
            threats = (out / "threats.csv").read_text().count("\n") - 1
            theirs = None
            if size in pytm_sizes:
                script = root / f"tm_{size}.py"
                script.write_text(pytm_script(size, root / f"pytm-{size}.json"))
                theirs = timed([sys.executable, str(script)], args.pytm_timeout, runs)
            results[size] = (ours, theirs, threats)
            pytm_text = "n/a" if size not in pytm_sizes else ("timeout" if theirs is None else f"{theirs:.2f} s")
            ratio = f"{theirs / ours:.1f}x" if theirs else "-"
            print(f"{size:>7} elements: threatloom {ours:6.2f} s ({threats} threats, "
                  f"{ours / size * 1e6:6.1f} us/element) | pytm --json {pytm_text} | pytm/threatloom {ratio}",
                  flush=True)


if __name__ == "__main__":
    main()
