"""Where the files a model names (its includes and rule files) may lie.

A model may come from someone else (a pull request, a vendor): the paths it names must not make
threatloom read other files of the machine it runs on, nor git's own files (where CI keeps its token).
"""

from __future__ import annotations

from pathlib import Path

import msgspec


class FilesRoot(msgspec.Struct, frozen=True):
    """The folder a model's own files must lie in, and how error messages name it."""

    folder: Path  # resolved
    words: str  # "the model's git work tree /srv/repo"

    def refusal(self, path: Path) -> str | None:
        """Why `path` (links followed) may not be read for the model, or None when it may."""
        real = path.resolve()
        if not real.is_relative_to(self.folder):
            return f"is outside {self.words}"
        if ".git" in real.relative_to(self.folder).parts:
            return "is one of git's own files"
        return None


def files_root_for(model_file: Path) -> FilesRoot:
    """The top of the git work tree holding a model file (the nearest folder with a `.git`, a folder or
    a worktree's file), else the model's folder. The folder is the one the path names the file in, links
    in it followed: the model's includes are looked up from there."""
    folder = model_file.absolute().parent.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return FilesRoot(candidate, f"the model's git work tree {candidate}")
    return FilesRoot(folder, f"the model's folder {folder}")
