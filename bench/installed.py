"""Put the packages under measurement in the state a user's install leaves them: bytecode compiled.

`pip install` compiles every module when it installs a package; an editable checkout compiles ours on
first import instead, and where writing bytecode is off (`PYTHONDONTWRITEBYTECODE`, set on some CI
machines and on ours) it compiles them again on every run, about 0.1 s each time. Each benchmark calls
`compile_packages` before it times anything, for threatloom and for the anchor alike.
"""

from __future__ import annotations

import compileall
import importlib.util
from pathlib import Path


def compile_packages(*names: str) -> list[str]:
    """Compile each named package's modules where it lives; the names of those compiled."""
    done = []
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        for folder in spec.submodule_search_locations:
            if not compileall.compile_dir(Path(folder), quiet=1):
                raise SystemExit(f"compiling {name} in {folder} failed")
        done.append(name)
    return done
