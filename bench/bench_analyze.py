"""Benchmark `threatloom analyze` end to end (start-up, load, analyse, files written) against OWASP pytm.

An "element" counts components, parties and flows alike (pytm counts its dataflows as elements too);
each generated model has about as many flows as nodes. The anchor is pytm 1.4.0 run with `--json` on
an equivalent generated pytm model, in this same run; ratios compare the two at the same size. Both
tools get the same number of runs at each size, taking turns (who starts alternates), and the best
counts; the ratio of each pair of turns is printed too, as the spread a drifting machine gives.
Beside each pytm size both tools also run a 10-element model, in the same turns: it stands for their
start-up, and the line under the size gives what each spent per element beyond it, with that ratio.
A third program runs in those turns too: one typer command that validates a pydantic model and prints
a rich table, with PyYAML and orjson imported; it stands for the floor under any start-up built on the
libraries threatloom uses, and the last line says what a 10x target leaves above that floor.

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
STARTUP_SIZE = 10  # elements: a run of this size is mostly start-up (interpreter, imports, catalog)
# the libraries `threatloom analyze` imports, each doing the least it can in a one-command CLI
LIBRARY_FLOOR = """
from pathlib import Path
import orjson, pydantic, typer, yaml
from rich.console import Console
from rich.table import Table

class Item(pydantic.BaseModel):
    name: str

def main(model: Path, output: Path = Path("out")) -> None:
    item = Item.model_validate({"name": model.name})
    table = Table("name", "bytes")
    table.add_row(item.name, str(len(orjson.dumps(yaml.safe_load("a: 1")))))
    Console().print(table)

typer.run(main)
"""


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


def once(command: list[str], timeout: float) -> float | None:
    """Wall time of one run; None on a time-out."""
    start = time.perf_counter()
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return time.perf_counter() - start


def turns(commands: dict[str, list[str]], runs: int, timeouts: dict[str, float]) -> dict[str, list[float]]:
    """Wall times of each command, run in turns (the order reverses every turn), so that the machine's
    drift from minute to minute falls on all of them alike; a command stops at its first time-out."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    stopped: set[str] = set()
    order = list(commands)
    for turn in range(runs):
        for name in order if turn % 2 == 0 else order[::-1]:
            if name in stopped:
                continue
            took = once(commands[name], timeouts.get(name, 1800))
            if took is None:
                stopped.add(name)
            else:
                times[name].append(took)
    for name in stopped:
        times[name] = []
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,3000,10000,100000")
    parser.add_argument("--pytm-sizes", default="1000,3000,10000")
    parser.add_argument("--pytm-timeout", type=float, default=900)
    parser.add_argument("--runs", type=int, default=5, help="runs per tool and size up to 10,000 elements "
                        "(the best counts); larger sizes run once")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    pytm_sizes = {int(s) for s in args.pytm_sizes.split(",") if s}
    print("bytecode compiled for: " + ", ".join(compile_packages("threatloom", "pytm")), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)

        def commands(size: int, pytm: bool) -> dict[str, list[str]]:
            model = root / f"model-{size}.yaml"
            if not model.exists():
                model.write_text(threatloom_model(size))
            found = {f"ours-{size}": [str(BIN / "threatloom"), "analyze", str(model), "-o", str(root / f"out-{size}")]}
            if pytm:
                script = root / f"tm_{size}.py"
                script.write_text(pytm_script(size, root / f"pytm-{size}.json"))
                found[f"pytm-{size}"] = [sys.executable, str(script)]
            return found

        for size in sizes:
            pytm = size in pytm_sizes
            runs = args.runs if size <= 10_000 else 1
            # beside pytm, both tools also run the smallest model in the same turns: it stands for start-up
            chosen = {**commands(size, pytm), **(commands(STARTUP_SIZE, True) if pytm else {})}
            if pytm:
                chosen["floor"] = [sys.executable, "-c", LIBRARY_FLOOR, str(root), "--output", str(root)]
            times = turns(chosen, runs, {f"pytm-{size}": args.pytm_timeout})
            ours = times[f"ours-{size}"]
            if not ours:
                print(f"{size:>7} elements: threatloom timed out", flush=True)
                continue
            threats = (root / f"out-{size}" / "threats.csv").read_text().count("\n") - 1
            best = min(ours)
            line = (f"{size:>7} elements: threatloom {best:6.2f} s ({threats} threats, "
                    f"{best / size * 1e6:6.1f} us/element)")
            theirs = times.get(f"pytm-{size}")
            if theirs is not None:
                if not theirs:
                    line += " | pytm --json timeout"
                else:
                    paired = sorted(t / o for o, t in zip(ours, theirs, strict=False))
                    line += (f" | pytm --json {min(theirs):.2f} s | pytm/threatloom {min(theirs) / best:.1f}x "
                             f"(run by run {paired[0]:.1f}x-{paired[-1]:.1f}x)")
            print(line, flush=True)
            if theirs and size > STARTUP_SIZE and times[f"ours-{STARTUP_SIZE}"] and times[f"pytm-{STARTUP_SIZE}"]:
                # start-up, and what each tool spends beyond it: the cost that grows with the model
                ours_0, theirs_0 = min(times[f"ours-{STARTUP_SIZE}"]), min(times[f"pytm-{STARTUP_SIZE}"])
                more = size - STARTUP_SIZE
                ours_beyond, theirs_beyond = best - ours_0, min(theirs) - theirs_0
                print(f"{'':>7}   {STARTUP_SIZE} elements in the same turns: threatloom {ours_0:.2f} s, pytm "
                      f"{theirs_0:.2f} s; beyond them threatloom {ours_beyond / more * 1e6:.0f} us/element, pytm "
                      f"{theirs_beyond / more * 1e6:.0f} us/element ({theirs_beyond / ours_beyond:.1f}x)", flush=True)
                if times["floor"]:
                    floor, budget = min(times["floor"]), min(theirs) / 10
                    print(f"{'':>7}   the libraries alone (typer, pydantic, rich, PyYAML, orjson in a one-command "
                          f"CLI): {floor:.2f} s; 10x pytm means {budget:.2f} s in all, which leaves "
                          f"{(budget - floor) / size * 1e6:.0f} us/element above the libraries for threatloom's own "
                          f"start-up and work, now {(best - floor) / size * 1e6:.0f}", flush=True)


if __name__ == "__main__":
    main()
