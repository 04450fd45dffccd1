"""Models as they were in git: materialise a revision's model files (with their includes and rule files)
into a folder, and walk the commits that changed them.

git runs with argument lists, never a shell; revisions are resolved to commit IDs with
`git rev-parse --verify --end-of-options` before any other use, so a revision cannot pass as an option.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import msgspec

from threatloom.errors import InputError, Problem, ThreatloomError
from threatloom.model.confinement import FilesRoot

if TYPE_CHECKING:
    from threatloom.engine.threat import Analysis

MAX_FILES = 500
GIT_TIMEOUT = 120


class GitError(ThreatloomError):
    """git failed, or the model is not in a git repository."""


def git_bytes(args: Sequence[str], cwd: Path) -> bytes:
    """Run git with `args` in `cwd`; its standard output, or GitError with git's message."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} took longer than {GIT_TIMEOUT} s") from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(lines[-1] if lines else f"git {args[0]} failed")
    return done.stdout


def git(args: Sequence[str], cwd: Path) -> str:
    return git_bytes(args, cwd).decode("utf-8", "replace")


def repo_root(path: Path) -> Path | None:
    """The top folder of the git work tree holding `path`, or None outside git."""
    folder = path.resolve().parent if not path.is_dir() else path.resolve()
    try:
        return Path(git(["rev-parse", "--show-toplevel"], folder).strip()).resolve()
    except GitError:
        return None


def resolve_commit(root: Path, revision: str) -> str:
    """The full commit ID `revision` names (a branch, tag, `HEAD~2`, an ID…)."""
    if not revision or revision.startswith("-"):
        raise GitError(f"not a revision: {revision!r}")
    try:
        return git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"], root).strip()
    except GitError:
        raise GitError(f"unknown revision {revision!r}") from None


class Commit(msgspec.Struct, frozen=True):
    id: str
    date: str  # ISO 8601 committer date
    author: str
    subject: str


def commits_touching(root: Path, paths: Sequence[str], limit: int | None = None) -> list[Commit]:
    """Commits that changed any of `paths` (relative to `root`), newest first."""
    args = ["log", "--format=%H%x1f%cI%x1f%an%x1f%s%x1e"]
    if limit is not None:
        args.append(f"--max-count={limit}")
    args += ["--", *paths]
    found = []
    for record in git(args, root).split("\x1e"):
        fields = record.strip().split("\x1f")
        if len(fields) == 4:
            found.append(Commit(*fields))
    return found


def model_files(model: Path, root: Path) -> list[str]:
    """The model file and the files it includes (in the work tree), relative to `root`, posix style."""
    import yaml

    found: list[str] = []
    queue = [model.resolve()]
    while queue and len(found) < MAX_FILES:
        path = queue.pop(0)
        try:
            relative = path.relative_to(root).as_posix()
        except ValueError:
            continue
        if relative in found or not path.is_file():
            continue
        found.append(relative)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        for name in _names(data, "include"):
            queue.append((path.parent / name).resolve())
    return found


def _names(data: Any, key: str) -> list[str]:
    value = data.get(key) if isinstance(data, dict) else None
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _inside(relative: str) -> str | None:
    """A normalised path inside the repository, or None when it leaves it."""
    normal = posixpath.normpath(relative)
    if normal.startswith("../") or normal == ".." or PurePosixPath(normal).is_absolute():
        return None
    return normal


def materialise(root: Path, commit: str, model: str, target: Path) -> Path:
    """Write the model file `model` (relative to `root`) as it was at `commit` under `target`, with every
    file it includes and every rule file or folder it names, at the same relative paths, so includes and
    rules resolve as they did. Returns the model's path under `target`. GitError if it did not exist."""
    import yaml

    written: set[str] = set()
    queue = [model]
    while queue:
        relative = queue.pop(0)
        if relative in written:
            continue
        if len(written) >= MAX_FILES:
            raise GitError(f"more than {MAX_FILES} model files at {commit[:12]}")
        try:
            content = git_bytes(["show", f"{commit}:{relative}"], root)
        except GitError:
            if relative == model:
                raise GitError(f"{model} does not exist at {commit[:12]}") from None
            continue  # a missing include: loading reports it with its location
        written.add(relative)
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(content)
        try:
            data = yaml.safe_load(content.decode("utf-8", "replace"))
        except yaml.YAMLError:
            continue
        folder = posixpath.dirname(relative)
        for name in _names(data, "include"):
            inside = _inside(posixpath.join(folder, name))
            if inside is not None:
                queue.append(inside)
        for name in _names(data, "rules"):
            inside = _inside(posixpath.join(folder, name))
            if inside is not None:
                queue.extend(_tree_files(root, commit, inside))
    return target / model


def _tree_files(root: Path, commit: str, path: str) -> Iterator[str]:
    """The YAML files at `path` (a file or a folder) in `commit`."""
    listing = git(["ls-tree", "-r", "--name-only", "-z", commit, "--", path], root)
    for name in listing.split("\0"):
        if name and name.endswith((".yaml", ".yml")):
            yield name


def analyse_revision(model: Path, revision: str, rules: Sequence[Path] = (), *,
                     today: dt.date | None = None) -> tuple[Commit, Analysis]:
    """The analysis of `model` as it was at `revision` (its includes and rule files from the same commit).

    Input errors point at `<revision>:<path>`; GitError if the model is not in git or not at `revision`.
    """
    from threatloom.lifecycle.scored import load_scored

    root = repo_root(model)
    if root is None:
        raise GitError(f"{model} is not in a git repository")
    relative = model.resolve().relative_to(root).as_posix()
    commit = resolve_commit(root, revision)
    info = commit_info(root, commit)
    with tempfile.TemporaryDirectory(prefix="threatloom-rev-") as folder:
        materialised = materialise(root, commit, relative, Path(folder))
        try:
            # the temporary folder stands for the work tree the files came from
            scored = load_scored(materialised, rules, today=today,
                                 files_root=FilesRoot(Path(folder).resolve(), f"the repository at {revision}"))
        except InputError as exc:
            raise InputError([_relocated(p, Path(folder), revision) for p in exc.problems]) from None
    return info, scored.analysis


def commit_info(root: Path, commit: str) -> Commit:
    fields = git(["show", "-s", "--format=%H%x1f%cI%x1f%an%x1f%s", commit], root).strip().split("\x1f")
    return Commit(*fields) if len(fields) == 4 else Commit(commit, "", "", "")


def _relocated(problem: Problem, folder: Path, revision: str) -> Problem:
    try:
        relative = Path(problem.location.file).resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return problem
    return msgspec.structs.replace(problem, location=msgspec.structs.replace(problem.location,
                                                                     file=f"{revision}:{relative}"))
