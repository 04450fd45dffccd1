"""The cycle collector, paused around work that allocates many objects and makes no reference cycles."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Loading a model or the catalog and analysing allocate many objects that stay alive, and no
    cycles. Each burst of allocations would set the cycle collector off, and its full passes walk every
    object alive, the whole loaded model among them, again and again. Reference counting still frees
    what is dropped meanwhile; the collector is left as it was found."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
