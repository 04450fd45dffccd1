"""Atomic file writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


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
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); give it the mode a plain write would: the replaced
        # file's, or what the umask allows
        os.fchmod(fd, _mode_for(target))
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(target)
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
