"""Progress bars for long runs: tqdm's auto mode (a widget in notebooks, text in terminals), optional."""

from __future__ import annotations

import sys
from typing import Any


class _NoBar:
    """Stands in for a bar when none is shown."""

    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def bar(progress: bool | None, total: int | None, desc: str) -> Any:
    """A progress bar counting documents, or a stand-in.

    ``progress=None`` shows one only in interactive sessions (stderr is a terminal, or a Jupyter kernel
    runs) and when tqdm is installed; ``True`` requires tqdm; ``False`` never shows one.
    """
    if progress is False:
        return _NoBar()
    if progress is None:
        interactive = "ipykernel" in sys.modules or (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())
        if not interactive:
            return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if progress:
            raise ImportError("progress=True needs tqdm: pip install 'newstally[progress]'") from None
        return _NoBar()
    return tqdm(total=total, desc=desc, unit="doc", unit_scale=True, leave=False)
