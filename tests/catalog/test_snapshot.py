"""The JSON snapshot of the built-in catalog: current, equal to its YAML once validated, and never trusted
for a file whose text has changed since it was made."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pydantic import BaseModel

from threatloom.catalog.loading import load_catalog
from threatloom.catalog.schema import ControlFile, RuleFile
from threatloom.catalog.snapshot import SNAPSHOT_NAME, BuiltinFiles, SnapshotDocument, data_dir, snapshot_bytes
from threatloom.engine.releases import EndOfLifeFile
from threatloom.model.yamlsource import read_yaml

BUILTIN = sorted(p.relative_to(data_dir()).as_posix() for p in data_dir().rglob("*.yaml"))


def schema_of(name: str) -> type[BaseModel]:
    return {"controls.yaml": ControlFile, "end-of-life.yaml": EndOfLifeFile}.get(name, RuleFile)


def test_the_committed_snapshot_is_current() -> None:
    assert (data_dir() / SNAPSHOT_NAME).read_bytes() == snapshot_bytes(data_dir()), \
        "the built-in catalog changed: run `.venv/bin/python scripts/snapshot_catalog.py` and commit builtin.json"


@pytest.mark.parametrize("name", BUILTIN)
def test_each_file_is_read_from_the_snapshot_and_validates_as_its_yaml_does(name: str) -> None:
    path = data_dir() / name
    document = BuiltinFiles(data_dir()).document(path)
    assert isinstance(document, SnapshotDocument)
    schema = schema_of(path.name)
    # JSON has no dates and only string keys: what matters is that both read as the same catalog
    assert schema.model_validate(document.data) == schema.model_validate(read_yaml(path).data)


def test_a_snapshot_document_locates_as_the_yaml_does() -> None:
    path = data_dir() / "rules" / "spoofing.yaml"
    document = BuiltinFiles(data_dir()).document(path)
    parsed = read_yaml(path)
    for keys in [("rules", 0, "id"), ("rules", 3, "when"), ("rules", 1, "controls", 2)]:
        assert document.locate(keys) == parsed.locate(keys)
        assert document.locate(keys).line > 1
    assert document.locate(("rules", 2), at_key=True) == parsed.locate(("rules", 2), at_key=True)


def copy_of_catalog(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(data_dir(), folder)
    return folder


def test_an_edited_file_is_read_from_its_yaml_and_the_others_still_from_the_snapshot(tmp_path: Path) -> None:
    folder = copy_of_catalog(tmp_path)
    edited = folder / "rules" / "spoofing.yaml"
    text = edited.read_text()
    first_title = RuleFile.model_validate(read_yaml(edited).data).rules[0].title
    edited.write_text(text.replace(first_title, "An edited title", 1))
    files = BuiltinFiles(folder)
    document = files.document(edited)
    assert not isinstance(document, SnapshotDocument)
    assert RuleFile.model_validate(document.data).rules[0].title == "An edited title"
    assert isinstance(files.document(folder / "rules" / "tampering.yaml"), SnapshotDocument)


@pytest.mark.parametrize("damage", ["missing", "not JSON", "another format"])
def test_a_missing_or_unreadable_snapshot_falls_back_to_the_yaml(tmp_path: Path, damage: str) -> None:
    folder = copy_of_catalog(tmp_path)
    snapshot = folder / SNAPSHOT_NAME
    if damage == "missing":
        snapshot.unlink()
    else:
        snapshot.write_text("{ not json" if damage == "not JSON" else '{"format": 999, "files": {}}')
    document = BuiltinFiles(folder).document(folder / "controls.yaml")
    assert not isinstance(document, SnapshotDocument)
    assert len(ControlFile.model_validate(document.data).controls) > 50


def test_rules_say_where_they_are_written_with_the_snapshot() -> None:
    compiled = load_catalog().rules["TL-S001"]
    parsed = read_yaml(data_dir() / "rules" / "spoofing.yaml")
    index = next(i for i, r in enumerate(parsed.data["rules"]) if r["id"] == "TL-S001")
    where = parsed.locate(("rules", index, "id"))
    assert where.line > 1
    assert compiled.origin == f"{data_dir() / 'rules' / 'spoofing.yaml'}:{where.line}:{where.column}"
