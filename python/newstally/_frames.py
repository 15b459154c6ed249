"""Tables out as pandas, polars or Arrow, each library imported only when asked for."""

from __future__ import annotations

from typing import Any

import numpy as np

_EXTRA = {"pandas": "pandas", "polars": "polars", "pyarrow": "arrow"}


def _need(module: str, method: str) -> Any:
    try:
        return __import__(module)
    except ImportError:
        raise ImportError(f"{method}() needs {module}: pip install 'newstally[{_EXTRA[module]}]'") from None


def build(kind: str, columns: dict[str, Any]) -> Any:
    """A frame of ``columns`` (lists of str, or integer arrays stored as int64) for ``kind``:
    "pandas", "polars" or "arrow"."""
    cols = {k: (np.asarray(v, dtype=np.int64) if k in ("count", "df", "documents", "tokens") else list(v))
            for k, v in columns.items()}
    if kind == "pandas":
        return _need("pandas", "to_pandas").DataFrame(cols)
    if kind == "polars":
        return _need("polars", "to_polars").DataFrame(cols)
    pa = _need("pyarrow", "to_arrow")
    return pa.table({k: pa.array(v) for k, v in cols.items()})
