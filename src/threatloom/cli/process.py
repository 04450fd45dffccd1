"""What the `threatloom` process does that the application run in-process (as the tests run it) must not."""

from __future__ import annotations

import gc

_state = {"own_process": False}


def own_process() -> None:
    """Called by the console entry point: the command's objects live as long as this process does."""
    _state["own_process"] = True


def keep_until_exit() -> None:
    """Once the model and its analysis are built they live until the command ends: moved out of the cycle
    collector's sight, they are not walked again by every collection the output sets off, nor by the one
    at exit (half a second at 10,000 elements). In-process callers keep the collector as it is, since
    frozen objects are never collected."""
    if _state["own_process"]:
        gc.freeze()
