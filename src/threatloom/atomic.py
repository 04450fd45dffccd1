"""Atomic file writes: a reader sees the old file or the new one, never half of either.

A command can also name the files it reads (:func:`keep_inputs`): until :func:`release_inputs`, a write
that would replace one of them is refused, so that `-o` pointing at the model never overwrites it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from threatloom.errors import ThreatloomError

_kept: set[tuple[int, int]] = set()  # (device, inode) of each file the running command reads


class OutputError(ThreatloomError):
    """A file cannot be written where it was asked for: the path, not the program, is at fault."""


class InputOverwriteError(OutputError):
    """A write would replace a file the running command reads."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} is an input of this command (the model, a file it includes or another file "
                         "it reads); writing there would replace it")
        self.path = path


def keep_inputs(paths: Iterable[str | Path]) -> None:
    """Refuse every write that would replace one of these files, until :func:`release_inputs`. Files are
    known by device and inode, so no spelling of the path (relative, `..`, a symlink, another case on a
    case-insensitive disk, a hard link) gets past."""
    for path in paths:
        try:
            found = Path(path).stat()
        except OSError:  # gone or unreadable: nothing there to protect
            continue
        if stat.S_ISREG(found.st_mode):  # a folder is never written over: writing to one is refused anyway
            _kept.add((found.st_dev, found.st_ino))


def release_inputs() -> None:
    _kept.clear()


def _is_kept(target: Path) -> bool:
    try:
        found = target.stat()
    except OSError:
        return False
    return (found.st_dev, found.st_ino) in _kept


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` through a temporary file in the same folder, then rename it into place."""
    with _replacing(path) as handle:
        handle.write(data)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


BLOCK = 1 << 20  # chunks are gathered into writes of about this size: one call per chunk costs more


def write_chunks(path: str | Path, chunks: Iterable[str | bytes]) -> Path:
    """Stream chunks (text, written as UTF-8, or bytes) to a temporary file, then rename it into place."""
    with _replacing(path) as handle:
        pending: list[bytes] = []
        size = 0
        for chunk in chunks:
            data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
            pending.append(data)
            size += len(data)
            if size >= BLOCK:
                handle.write(b"".join(pending))
                pending.clear()
                size = 0
        handle.write(b"".join(pending))
    return Path(path)


@contextmanager
def _replacing(path: str | Path) -> Iterator[IO[bytes]]:
    """A handle on a temporary file beside `path` that replaces it once written; OutputError, naming
    `path`, when the folder or the file cannot be written."""
    target = Path(path)
    if _kept and _is_kept(target):
        raise InputOverwriteError(target)
    if target.is_dir():
        raise OutputError(f"{target} is a folder, not a file")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder {target.parent}: {exc.strerror or exc}") from None
    import tempfile  # here, not at the top: commands that write nothing need not import it

    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:  # named by the file asked for, not by the temporary one
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        # mkstemp makes the file private (0600); give it the mode a plain write would: the replaced
        # file's, or what the umask allows
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), _mode_for(target))
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        try:
            Path(tmp).replace(target)
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode_for(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
