"""The loading API: a typed, frozen model; source locations of its parts; includes joined from several files."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

from threatloom.errors import InputError
from threatloom.model import Model, load_model
from threatloom.model.confinement import FilesRoot
from threatloom.model.loading import load_model_text
from threatloom.model.schema import Component, Flow
from threatloom.model.vocabulary import Classification, ElementType, Encryption, Level

REPO = Path(__file__).resolve().parents[2]
STARTER = REPO / "src/threatloom/model/starter.yaml"
INCLUDES = Path(__file__).parent / "fixtures" / "includes"


def test_starter_loads_as_typed_values() -> None:
    model = load_model(STARTER)
    assert isinstance(model, Model)
    assert model.threatloom == 1
    assert model.system.name == "My service"
    assert model.system.risk_appetite is Level.MEDIUM
    assert [c.id for c in model.components] == ["web", "db"]
    db = model.components[1]
    assert isinstance(db, Component)
    assert db.type is ElementType.DATA_STORE
    assert db.technology is not None and db.technology.name == "PostgreSQL 16"  # text shorthand
    assert db.technology.version is None
    assert model.assets[0].classification is Classification.CONFIDENTIAL
    assert isinstance(model.flows[0], Flow) and model.flows[0].encryption is Encryption.TLS
    assert model.flows[0].port == 443
    assert isinstance(model.components, tuple) and isinstance(db.stores, tuple)


def test_loaded_model_is_frozen() -> None:
    model = load_model(STARTER)
    with pytest.raises(ValidationError, match="frozen"):
        model.system.name = "Changed"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        model.components[0].zone = "internet"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        model.components[0].stores.append("x")  # type: ignore[attr-defined]
    assert model.system.name == "My service"


def test_locate_gives_where_each_part_was_written() -> None:
    model = load_model(STARTER)
    lines = STARTER.read_text().splitlines()
    web = model.locate("components/web")
    assert (web.file, web.column) == (str(STARTER), 5)
    assert lines[web.line - 1].strip() == "- id: web"
    query = model.locate("flows/query")
    assert lines[query.line - 1].strip() == "- id: query"
    zone = model.locate("zones/cloud")
    assert lines[zone.line - 1].strip().startswith("- {id: cloud")
    # an unknown key falls back to the start of the model file
    assert model.locate("components/nope") == model.locate("")
    assert lines[model.locate("").line - 1] == "threatloom: 1"  # the mapping starts after the comments


def test_locate_numbers_unidentified_items() -> None:
    text = ("threatloom: 1\nsystem: {name: Shop}\n"
            "decisions:\n  - {threat: 'TL-S001@*', treatment: reduce}\n  - {threat: 'TL-T*', treatment: accept,"
            " justification: low value}\n")
    model = load_model_text(text, "inline.yaml")
    assert str(model.locate("decisions/0")) == "inline.yaml:4:5"
    assert str(model.locate("decisions/1")) == "inline.yaml:5:5"


def test_includes_join_lists_from_several_files() -> None:
    model = load_model(INCLUDES / "merged" / "model.yaml")
    # the main file's own items first, then each included file's in include order
    assert [c.id for c in model.components] == ["web", "db", "cache"]
    assert [z.id for z in model.zones] == ["internet", "cloud"]
    assert [f.id for f in model.flows] == ["query", "warm"]
    assert str(model.locate("components/web")) == f"{INCLUDES / 'merged/model.yaml'}:5:5"
    assert str(model.locate("components/cache")) == f"{INCLUDES / 'merged/parts/components.yaml'}:7:5"
    assert str(model.locate("zones/cloud")) == f"{INCLUDES / 'merged/zones.yaml'}:4:5"
    assert str(model.locate("flows/warm")) == f"{INCLUDES / 'merged/parts/components.yaml'}:12:5"


def test_include_errors_point_into_the_right_file_with_local_paths() -> None:
    root = INCLUDES / "errors_in_parts" / "model.yaml"
    with pytest.raises(InputError) as caught:
        load_model(root)
    found = [(os.path.relpath(p.location.file, root.parent), p.location.line, p.location.column, p.path,
              p.message) for p in caught.value.problems]
    assert found == [
        ("model.yaml", 5, 63, "components[0].stores[0]", "unknown asset 'orders'"),
        ("parts/zones.yaml", 4, 39, "zones[1].trust", "zones[1].trust: expected a whole number, got the text 'seven'"),
        ("parts/components.yaml", 6, 11, "components[0].zone", "unknown zone 'offce'"),
    ]


def test_included_item_paths_are_counted_in_their_own_file(tmp_path: Path) -> None:
    shutil.copytree(INCLUDES / "errors_in_parts", tmp_path, dirs_exist_ok=True)
    root = tmp_path / "model.yaml"
    # two zones in the main file shift the merged indexes; messages still count within parts/zones.yaml
    root.write_text(root.read_text() + "zones:\n  - {id: a, name: A, trust: 1}\n  - {id: b, name: B, trust: 1}\n")
    with pytest.raises(InputError) as caught:
        load_model(root)
    [zone_problem] = [p for p in caught.value.problems if p.location.file.endswith("zones.yaml")]
    assert zone_problem.path == "zones[1].trust"
    assert zone_problem.message.startswith("zones[1].trust:")


def test_include_paths_are_shown_relative_to_how_the_main_file_was_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INCLUDES)
    with pytest.raises(InputError) as caught:
        load_model("errors_in_parts/model.yaml")
    assert [p.location.file for p in caught.value.problems] == [
        "errors_in_parts/model.yaml", "errors_in_parts/parts/zones.yaml", "errors_in_parts/parts/components.yaml"]


def test_include_from_text_needs_a_file() -> None:
    with pytest.raises(InputError) as caught:
        load_model_text("threatloom: 1\nsystem: {name: Shop}\ninclude: [other.yaml]\n", "inline.yaml")
    [problem] = caught.value.problems
    assert (str(problem.location), problem.message) == ("inline.yaml:3:10", "`include` needs a model read from a file")


def test_include_must_be_a_list_of_paths(tmp_path: Path) -> None:
    root = tmp_path / "model.yaml"
    root.write_text("threatloom: 1\nsystem: {name: Shop}\ninclude: zones.yaml\n")
    with pytest.raises(InputError) as caught:
        load_model(root)
    [problem] = caught.value.problems
    assert (problem.location.line, problem.location.column, problem.message, problem.hint) == (
        3, 10, "`include` must be a list of file paths", "write `include: [other.yaml]`")


def test_dates_and_defaults() -> None:
    text = ("threatloom: 1\nsystem: {name: Shop}\n"
            "reviews:\n  - {date: 2025-03-04, participants: [Ana], outcome: First pass}\n")
    model = load_model_text(text)
    assert model.reviews[0].date == dt.date(2025, 3, 4)
    bands = model.risk.bands
    assert 1 <= bands.medium < bands.high < bands.critical <= 25
    assert model.components == () and model.notes == ()


def test_gc_is_restored_after_loading() -> None:
    import gc

    assert gc.isenabled()
    load_model(STARTER)
    assert gc.isenabled()
    with pytest.raises(InputError):
        load_model(INCLUDES / "errors_in_parts" / "model.yaml")
    assert gc.isenabled()


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


ZONES = "threatloom: 1\nzones:\n  - {id: z, name: Z, trust: 1}\n"


def test_outside_git_an_include_must_stay_in_the_model_folder(tmp_path: Path) -> None:
    _write(tmp_path / "shared" / "zones.yaml", ZONES)
    model = _write(tmp_path / "service" / "model.yaml",
                   "threatloom: 1\nsystem: {name: Shop}\ninclude: [../shared/zones.yaml, /etc/passwd]\n")
    with pytest.raises(InputError) as caught:
        load_model(model)
    assert [(p.location.line, p.location.column, p.code) for p in caught.value.problems] == [
        (3, 11, "include-outside"), (3, 33, "include-outside")]
    first = caught.value.problems[0]
    assert first.message == (f"included file '../shared/zones.yaml' is outside the model's folder "
                             f"{(tmp_path / 'service').resolve()}")
    assert first.hint == "copy the file into the model's repository, or its folder outside git"


def test_in_a_git_work_tree_an_include_may_use_the_rest_of_the_repository(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    _write(tmp_path / "shared" / "zones.yaml", ZONES)
    model = _write(tmp_path / "service" / "model.yaml",
                   "threatloom: 1\nsystem: {name: Shop}\ninclude: [../shared/zones.yaml]\n")
    loaded = load_model(model)
    assert [z.id for z in loaded.zones] == ["z"]
    assert loaded.files_root is not None and loaded.files_root.folder == tmp_path.resolve()
    # but not beyond it, and not by a link that leads out of it
    outside = _write(tmp_path.parent / f"{tmp_path.name}-outside.yaml", ZONES)
    (tmp_path / "service" / "linked.yaml").symlink_to(outside)
    model.write_text("threatloom: 1\nsystem: {name: Shop}\ninclude: [linked.yaml]\n")
    with pytest.raises(InputError) as caught:
        load_model(model)
    [problem] = caught.value.problems
    assert problem.code == "include-outside"
    assert problem.message.endswith(f"outside the model's git work tree {tmp_path.resolve()}")


def test_the_caller_may_name_the_folder_includes_stay_in(tmp_path: Path) -> None:
    _write(tmp_path / "shared" / "zones.yaml", ZONES)
    model = _write(tmp_path / "service" / "model.yaml",
                   "threatloom: 1\nsystem: {name: Shop}\ninclude: [../shared/zones.yaml]\n")
    bound = FilesRoot(tmp_path.resolve(), "the whole project")
    assert [z.id for z in load_model(model, files_root=bound).zones] == ["z"]
    model.write_text("threatloom: 1\nsystem: {name: Shop}\ninclude: [../../elsewhere.yaml]\n")
    with pytest.raises(InputError) as caught:
        load_model(model, files_root=bound)
    assert caught.value.problems[0].message == "included file '../../elsewhere.yaml' is outside the whole project"


def test_git_internals_are_never_included(tmp_path: Path) -> None:
    _write(tmp_path / ".git" / "config", "[remote]\n")
    model = _write(tmp_path / "model.yaml", "threatloom: 1\nsystem: {name: Shop}\ninclude: [.git/config]\n")
    with pytest.raises(InputError) as caught:
        load_model(model)
    [problem] = caught.value.problems
    assert (problem.code, problem.message) == ("include-outside",
                                               "included file '.git/config' is one of git's own files")


def test_a_linked_model_file_includes_from_beside_the_link(tmp_path: Path) -> None:
    _write(tmp_path / "service" / "zones.yaml", ZONES)
    real = _write(tmp_path / "drafts" / "real.yaml", "threatloom: 1\nsystem: {name: Shop}\ninclude: [zones.yaml]\n")
    (tmp_path / "service" / "model.yaml").symlink_to(real)
    loaded = load_model(tmp_path / "service" / "model.yaml")
    assert [z.id for z in loaded.zones] == ["z"]
    assert loaded.files_root is not None and loaded.files_root.folder == (tmp_path / "service").resolve()


def test_an_included_file_that_is_no_model_part_is_not_read_further(tmp_path: Path) -> None:
    _write(tmp_path / "creds.json", '{"type": "service_account", "private_key": "-----BEGIN", "zones": "x"}\n')
    model = _write(tmp_path / "model.yaml", "threatloom: 1\nsystem: {name: Shop}\ninclude: [creds.json]\n")
    with pytest.raises(InputError) as caught:
        load_model(model)
    assert [(p.location.file, p.code, p.message) for p in caught.value.problems] == [
        (str(tmp_path / "creds.json"), "version", "missing `threatloom:` format version")]
