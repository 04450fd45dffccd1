"""Benchmark loading and validating a model (`load_model`) against a plain libyaml load of the same files.

For each size it generates a realistic model (components with technology, tags and assets; as many flows,
one zone per 50 components, one asset per 10, one control per 100, decisions and manual threats), split
into files of at most 5,000 components and 5,000 flows joined with `include:` as a large model would be.

Every measurement runs in a fresh interpreter. In it, the anchor, `yaml.load(text, Loader=yaml.CSafeLoader)`
of every file of the model, and `load_model` (read, includes, schema, references) are each timed, best of a
few runs for the small sizes; the ratio is ours over the anchor, measured in the same process. As
`load_model` pauses the cyclic garbage collector while it loads and a plain `yaml.load` does not, the
anchor is timed a second time with the collector paused too, for a like-for-like ratio. Peak memory
is the child's maximum resident set size as the kernel reports it for that child alone (`os.wait4`, the
per-child form of `getrusage(RUSAGE_CHILDREN)`), in separate children for ours and for the anchor (which
keeps the data of every file, as ours does), minus nothing: the interpreter with its imports is shown as
"baseline".

    .venv/bin/python bench/bench_load.py                    # 1,000 / 10,000 / 100,000 components
    .venv/bin/python bench/bench_load.py --sizes 1000,10000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

PART = 5_000
KINDS = [("process", "web-application"), ("process", "api"), ("process", "service"), ("process", "worker"),
         ("data-store", "database"), ("data-store", "object-storage"), ("data-store", "cache"),
         ("data-store", "queue"), ("process", "admin-console"), ("external-entity", "third-party-service")]
TECH = [("Django", "5.1"), ("Spring Boot", "3.3"), ("PostgreSQL", "16"), ("Redis", "7.2"), ("nginx", "1.27"),
        ("Kafka", "3.7"), ("Node.js", "22"), ("S3", None)]
AUTH = ["none", "password", "token", "session", "client-certificate", "multi-factor", "unknown"]
ENC = ["none", "tls", "mutual-tls", "unknown"]
CLASSES = [("public", "low"), ("internal", "medium"), ("confidential", "high"), ("restricted", "critical")]


def generate(components: int, folder: Path, seed: int = 11) -> Path:
    """Write a model of `components` components (and as many flows) to `folder`; return the main file."""
    rng = random.Random(seed)
    zones = max(3, components // 50)
    assets = max(4, components // 10)
    controls = max(2, components // 100)
    main: dict[str, Any] = {
        "threatloom": 1,
        "system": {"name": f"Generated system of {components:,} components", "owner": "Platform team",
                   "description": "A generated model for the load benchmark.", "risk_appetite": "medium",
                   "scope": {"in_scope": ["Everything generated"], "assumptions": ["Generated data"]}},
        "assets": [{"id": f"asset-{i}", "name": f"Asset {i}", "classification": CLASSES[i % 4][0],
                    "confidentiality": CLASSES[i % 4][1], "integrity": "medium", "availability": CLASSES[-i % 4][1],
                    "personal_data": i % 3 == 0, "owner": f"Team {i % 17}"} for i in range(assets)],
        "actors": [{"id": "crook", "name": "Online criminal", "origin": "external", "kind": "cybercriminal",
                    "motivation": ["financial"], "capability": {"skill": "high", "resources": "group"},
                    "starts_in": ["zone-0"]},
                   {"id": "insider", "name": "Disgruntled admin", "origin": "internal", "kind": "insider",
                    "starts_in": ["zone-1"]}],
        "zones": [{"id": f"zone-{i}", "name": f"Zone {i}", "trust": 0 if i == 0 else 1 + i % 9,
                   "internet": i == 0, **({"parent": f"zone-{1 + i % 2}"} if i > 2 else {})} for i in range(zones)],
        "controls": [{"id": f"control-{i}", "name": f"Control {i}", "implements": [["C-WAF", "C-MFA", "C-TLS"][i % 3]],
                      "status": ["implemented", "partial", "planned"][i % 3], "effectiveness": "medium"}
                     for i in range(controls)],
        "decisions": [{"threat": f"TL-S001@c{i * 20}", "treatment": "reduce", "owner": "Ana", "ticket": f"SEC-{i}"}
                      for i in range(components // 20)],
        "threats": [{"id": f"manual-{i}", "category": "tampering", "source": "An attacker on the network",
                     "action": "alter messages in transit", "impact": "wrong orders", "elements": [f"c{i * 100}"],
                     "likelihood": 2, "impact_rating": 3, "mitigations": [f"control-{i % controls}"]}
                    for i in range(components // 100)],
        "include": [],
    }
    for start in range(0, components, PART):
        part: dict[str, Any] = {"threatloom": 1, "components": [], "flows": []}
        for i in range(start, min(start + PART, components)):
            etype, kind = KINDS[i % len(KINDS)]
            tech, version = TECH[i % len(TECH)]
            used = f"asset-{rng.randrange(assets)}"
            part["components"].append({
                "id": f"c{i}", "name": f"Component {i}", "description": f"Generated {kind} number {i}.",
                "type": etype, "kind": kind, "technology": {"name": tech, "version": version} if version else tech,
                "zone": f"zone-{rng.randrange(zones)}", "internet_facing": i % 23 == 0,
                ("stores" if etype == "data-store" else "processes"): [used],
                "controls": [f"control-{i % controls}"] if i % 4 == 0 else [],
                "tags": ["generated", kind], "audit_logging": i % 2 == 0})
            a, b = rng.sample(range(components), 2)
            part["flows"].append({
                "id": f"f{i}", "name": f"Flow {i}", "source": f"c{a}", "destination": f"c{b}", "protocol": "HTTPS",
                "port": 443, "authentication": AUTH[i % len(AUTH)], "encryption": ENC[i % len(ENC)],
                "data": [f"asset-{rng.randrange(assets)}"]})
        name = f"part-{start // PART:03d}.yaml"
        (folder / name).write_text(yaml.dump(part, Dumper=yaml.CSafeDumper, sort_keys=False), encoding="utf-8")
        main["include"].append(name)
    root = folder / "model.yaml"
    root.write_text(yaml.dump(main, Dumper=yaml.CSafeDumper, sort_keys=False), encoding="utf-8")
    return root


CHILD = r"""
import gc, json, sys, time
from pathlib import Path
import yaml
mode, root, runs = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
files = [root, *sorted(root.parent.glob("part-*.yaml"))]
def anchor():
    return [yaml.load(f.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) for f in files]
def ours():
    from threatloom.model import load_model
    return load_model(root)
from threatloom.model import load_model  # imports are not part of the measurement
def best(fn):
    times, result = [], None
    for _ in range(runs):
        result = None
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    return min(times), result
out = {}
if mode in ("time", "anchor"):
    (out["anchor"], out["anchor_cpu"]), _ = best(anchor)
if mode == "time":  # the same anchor with the collector paused, as load_model runs, for comparison
    gc.disable()
    (out["anchor_nogc"], _), _ = best(anchor)
    gc.enable()
if mode in ("time", "ours"):
    (out["ours"], out["ours_cpu"]), model = best(ours)
    out["components"], out["flows"] = len(model.components), len(model.flows)
print(json.dumps(out))
"""


def child(mode: str, root: Path, runs: int) -> tuple[dict[str, Any], int]:
    """Run one measurement in a fresh interpreter; its output and its own peak RSS in KiB."""
    proc = subprocess.Popen([sys.executable, "-c", CHILD, mode, str(root), str(runs)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"measurement failed ({mode}, {root})")
    return json.loads(output), usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="component counts, comma-separated")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        baseline = child("none", generate(10, Path(tmp)), 0)[1]
        for size in sizes:
            folder = Path(tmp) / str(size)
            folder.mkdir()
            started = time.perf_counter()
            root = generate(size, folder)
            made = time.perf_counter() - started
            mib = sum(f.stat().st_size for f in folder.iterdir()) / 2**20
            runs = 5 if size <= 1_000 else 3 if size <= 10_000 else 1
            timing, _ = child("time", root, runs)
            _, ours_rss = child("ours", root, 1)
            _, anchor_rss = child("anchor", root, 1)
            rows.append((size, timing["flows"], mib, runs, timing["ours"], timing["ours_cpu"], timing["anchor"],
                         timing["anchor_cpu"], timing["anchor_nogc"], ours_rss, anchor_rss))
            assert timing["components"] == size
            print(f"  generated {size:,} components in {made:.1f} s", file=sys.stderr)
    load = os.getloadavg()[0]
    print(f"load_model vs yaml.load(CSafeLoader) of the same files; peak RSS per child (os.wait4), "
          f"interpreter baseline {baseline / 1024:.0f} MiB; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"load average {load:.1f} at the end")
    print(f"{'components':>10} {'flows':>8} {'files MiB':>9} {'runs':>4} {'load_model s':>12} {'(cpu)':>6} "
          f"{'anchor s':>9} {'(cpu)':>6} {'ratio':>6} {'anchor no-GC s':>14} {'ratio':>6} {'peak MiB':>9} "
          f"{'anchor MiB':>10}")
    for size, flows, mib, runs, ours, ours_cpu, anchor, anchor_cpu, nogc, ours_rss, anchor_rss in rows:
        print(f"{size:>10,} {flows:>8,} {mib:>9.1f} {runs:>4} {ours:>12.3f} {ours_cpu:>6.2f} {anchor:>9.3f} "
              f"{anchor_cpu:>6.2f} {ours / anchor:>5.2f}x {nogc:>14.3f} {ours / nogc:>5.2f}x {ours_rss / 1024:>9.0f} "
              f"{anchor_rss / 1024:>10.0f}")
    print("wall: best of `runs`; (cpu): process time of that run; ratio: wall, ours / anchor. The anchor is a "
          "plain yaml.load, with the cyclic GC on; load_model pauses it while loading, so the anchor is also "
          "timed with the GC paused.")

if __name__ == "__main__":
    main()
