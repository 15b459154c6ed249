"""The memory newstally keeps between calls."""

from __future__ import annotations

from . import _core


def release_memory() -> int:
    """Give the memory newstally keeps for reuse back to the operating system; return its size in bytes.

    The large blocks a call frees (a count's tables, a fit's document rows) are kept for the next
    call, which takes them instead of fresh pages that the operating system would have to map and
    zero (see the README for what that saves). What is kept never exceeds what the last call had in
    use at its peak, nor 512 MiB. Call this after a large job when the process should shrink back at
    once.

    >>> import newstally
    >>> _ = newstally.count(["A short text."] * 1000)
    >>> newstally.release_memory() >= 0
    True
    """
    return _core.release_memory()
