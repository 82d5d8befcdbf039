"""Reading text files, gzipped or not: the one opener every reader uses."""
from __future__ import annotations

import gzip
import io
from pathlib import Path


def open_text(path: str | Path):
    """A UTF-8 text stream over ``path``, gunzipped when its name ends in ``.gz``."""
    path = Path(path)
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")
