"""Files threatloom writes: whole or not at all, with the permissions a plain write would give."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from threatloom.atomic import write_chunks, write_text


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_file_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_text(tmp_path / "report.md", "# hello\n")
    finally:
        os.umask(old)
    assert mode(tmp_path / "report.md") == 0o644
    assert (tmp_path / "report.md").read_text() == "# hello\n"


def test_replacing_keeps_the_existing_mode(tmp_path: Path) -> None:
    target = tmp_path / "model.yaml"
    target.write_text("old\n")
    target.chmod(0o640)
    write_text(target, "new\n")
    assert mode(target) == 0o640
    assert target.read_text() == "new\n"


def test_a_failed_stream_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "threats.json"
    target.write_text("previous\n")

    def chunks() -> Iterator[str]:
        yield "half of "
        raise RuntimeError("renderer failed")

    with pytest.raises(RuntimeError):
        write_chunks(target, chunks())
    assert target.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["threats.json"]


def test_streamed_text_and_bytes_arrive_whole_and_in_order(tmp_path: Path) -> None:
    # more than one block of both kinds of chunk, so that gathered writes meet partial ones
    from threatloom.atomic import BLOCK

    pieces = [f"line {i} é\n" if i % 2 else f"row {i}\n".encode() for i in range(3 * BLOCK // 8)]
    target = tmp_path / "threats.json"
    write_chunks(target, iter(pieces))
    expected = b"".join(p.encode("utf-8") if isinstance(p, str) else p for p in pieces)
    assert target.read_bytes() == expected
