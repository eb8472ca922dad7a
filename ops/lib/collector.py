"""How often the garbage collector runs while a program's worth of objects is built.

Importing the SDKs and running the program allocate some 300,000 tracked objects each,
and a run leaves about 70,000 of them in reference cycles (futures and their callbacks).
At Python's default threshold (a pass every 700 allocations) the collector starts about
110 times a run, each pass walking every young object that survived the one before: a
third of a run's time. A pass every 100,000 allocations frees the same garbage.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

ALLOCATIONS_PER_PASS = 100_000


@contextmanager
def fewer_passes() -> Iterator[None]:
    """The youngest generation collected every ALLOCATIONS_PER_PASS allocations, inside."""
    previous = gc.get_threshold()
    gc.set_threshold(ALLOCATIONS_PER_PASS, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)
