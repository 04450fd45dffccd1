"""The built-in catalog's YAML files, also kept as one JSON snapshot that reads in a tenth of the time.

Reading the built-in files with their node trees (needed only to locate an error) costs about 30 ms on
every run of every command that uses the catalog; the snapshot holds the same plain data, each file's
beside the SHA-256 of the text it was made from. A file whose text no longer matches (an edited
checkout) is read from its YAML, so a stale snapshot costs time, never correctness. Positions are not
in the snapshot: a document asked where something is parses its YAML then.

    .venv/bin/python scripts/snapshot_catalog.py    # rewrite it after editing the built-in files

A test fails while the committed snapshot is stale.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import orjson

from threatloom.errors import SourceLocation
from threatloom.model.yamlsource import YamlDocument, read_yaml

SNAPSHOT_NAME = "builtin.json"
SNAPSHOT_FORMAT = 1


def data_dir() -> Path:
    """The folder of the built-in catalog's files."""
    return Path(str(files("threatloom.catalog").joinpath("data")))


class SnapshotDocument(YamlDocument):
    """A built-in file's data as the snapshot holds it; its node tree is parsed from the YAML on first
    use, to locate a problem."""

    parsed: bool = False

    def locate(self, keys: tuple[str | int, ...], *, at_key: bool = False) -> SourceLocation:
        if not self.parsed:
            self.root, self.parsed = read_yaml(Path(self.path)).root, True
        return super().locate(keys, at_key=at_key)


class BuiltinFiles:
    """The YAML files of one catalog folder, read through its snapshot where the snapshot is current."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            snapshot = orjson.loads((folder / SNAPSHOT_NAME).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            snapshot = {}
        current = isinstance(snapshot, dict) and snapshot.get("format") == SNAPSHOT_FORMAT
        self.entries: dict[str, Any] = snapshot.get("files", {}) if current else {}

    def document(self, path: Path) -> YamlDocument:
        """The file's plain data: from the snapshot when it was made from this very text, else parsed."""
        entry = self.entries.get(path.relative_to(self.folder).as_posix())
        if entry is not None:
            try:
                raw = path.read_bytes()
            except OSError:
                raw = None  # read_yaml reports it
            if raw is not None and entry["sha256"] == hashlib.sha256(raw).hexdigest():
                return SnapshotDocument(str(path), entry["data"], None)
        return read_yaml(path)


@cache
def builtin_files() -> BuiltinFiles:
    return BuiltinFiles(data_dir())


def builtin_document(name: str) -> YamlDocument:
    """One of the built-in files (`controls.yaml`, `rules/spoofing.yaml`...)."""
    return builtin_files().document(data_dir() / name)


def snapshot_bytes(folder: Path) -> bytes:
    """The snapshot of every YAML file under `folder`, as it should be written."""
    entries = {}
    for path in sorted(folder.rglob("*.yaml")):
        raw = path.read_bytes()
        entries[path.relative_to(folder).as_posix()] = {
            "sha256": hashlib.sha256(raw).hexdigest(), "data": read_yaml(path).data}
    # keys keep the files' order, as parsing them gives it
    return orjson.dumps({"format": SNAPSHOT_FORMAT, "files": entries}) + b"\n"


def write_snapshot() -> Path:
    """Rewrite the package's snapshot from its YAML files; the file written."""
    from threatloom.atomic import write_bytes

    return write_bytes(data_dir() / SNAPSHOT_NAME, snapshot_bytes(data_dir()))
