"""Atomic file writes: a reader sees the old file or the new one, never half of either.

A command can also name the files it reads (:func:`keep_inputs`): until :func:`release_inputs`, a write
that would replace one of them is refused, so that `-o` pointing at the model never overwrites it.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from threatloom.errors import ThreatloomError

_kept: set[tuple[int, int]] = set()  # (device, inode) of each file the running command reads


PATH_HINT = "check the path: its folders must exist or be creatable, and the file must not be a folder or read-only"
ROOM_HINT = ("make room on that disk, raise the file size limit or write elsewhere; a file already there "
             "is unchanged")
# errors that say a disk, a quota or the file size limit is full: never a fault of the program
OUT_OF_ROOM = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})


class OutputError(ThreatloomError):
    """A file cannot be written where it was asked for: the path or the disk, not the program, is at
    fault. `hint` says what to do about it."""

    def __init__(self, message: str, hint: str = PATH_HINT) -> None:
        super().__init__(message)
        self.hint = hint


class InputOverwriteError(OutputError):
    """A write would replace a file the running command reads."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} is an input of this command (the model, a file it includes or another file "
                         "it reads); writing there would replace it", "give another path with -o")
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


def check_outputs(paths: Iterable[str | Path]) -> None:
    """The error a write to one of `paths` would meet at once (it is a kept input, or a folder), raised
    now: a command that writes several files checks them all before it writes the first."""
    for path in map(Path, paths):
        if _kept and _is_kept(path):
            raise InputOverwriteError(path)
        if path.is_dir():
            raise OutputError(f"{path} is a folder, not a file")


def release_inputs() -> None:
    _kept.clear()


def _is_kept(target: Path) -> bool:
    try:
        found = target.stat()
    except OSError:
        return False
    return (found.st_dev, found.st_ino) in _kept


class _Sink(Protocol):
    def __call__(self, data: bytes, /) -> None: ...


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` through a temporary file in the same folder, then rename it into place."""
    with _replacing(path) as put:
        put(data)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


BLOCK = 1 << 20  # chunks are gathered into writes of about this size: one call per chunk costs more


def write_chunks(path: str | Path, chunks: Iterable[str | bytes]) -> Path:
    """Stream chunks (text, written as UTF-8, or bytes) to a temporary file, then rename it into place."""
    with _replacing(path) as put:
        pending: list[bytes] = []
        size = 0
        for chunk in chunks:
            data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
            pending.append(data)
            size += len(data)
            if size >= BLOCK:
                put(b"".join(pending))
                pending.clear()
                size = 0
        put(b"".join(pending))
    return Path(path)


@contextmanager
def _replacing(path: str | Path) -> Iterator[_Sink]:
    """A function that writes bytes to a temporary file beside `path`, which replaces `path` once the
    block ends; OutputError, naming `path`, when the folder or the file cannot be written (a full disk
    too). An error raised by the block itself passes through as it is. Either way `path` is untouched
    and the temporary file is gone."""
    target = Path(path)
    if _kept and _is_kept(target):
        raise InputOverwriteError(target)
    if target.is_dir():
        raise OutputError(f"{target} is a folder, not a file")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot(f"create the folder {target.parent}", exc) from None
    import tempfile  # here, not at the top: commands that write nothing need not import it

    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:  # named by the file asked for, not by the temporary one
        raise _cannot(f"write {target}", exc) from None

    def put(data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:  # a raw write may take part of the data, as it does when the disk fills up
                view = view[os.write(fd, view):]
        except OSError as exc:
            raise _cannot(f"write {target}", exc) from None

    try:
        try:
            # mkstemp makes the file private (0600); give it the mode a plain write would: the
            # replaced file's, or what the umask allows
            os.fchmod(fd, _mode_for(target))
        except OSError as exc:
            raise _cannot(f"write {target}", exc) from None
        yield put
        try:
            os.fsync(fd)  # a full disk can show only here, on file systems that write late
            closing, fd = fd, -1  # closed even when close() fails: never close it twice
            os.close(closing)
            Path(tmp).replace(target)
        except OSError as exc:
            raise _cannot(f"write {target}", exc) from None
    except BaseException:
        if fd != -1:
            os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        raise


def _cannot(action: str, exc: OSError) -> OutputError:
    hint = ROOM_HINT if exc.errno in OUT_OF_ROOM else PATH_HINT
    return OutputError(f"cannot {action}: {exc.strerror or exc}", hint)


def _mode_for(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
