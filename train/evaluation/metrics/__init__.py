"""Local ``evaluate`` metrics of the scheme's scores.

Each metric is a self-contained ``evaluate`` script in its own folder
(``<name>/<name>.py``), loaded from that folder by absolute path, so nothing
is fetched from the Hugging Face Hub.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import evaluate

#: metric names, each the name of a folder next to this file
METRICS: tuple[str, ...] = ("qawl_entities", "qawl_quotes")


def metric_path(name: str) -> Path:
    """Absolute path of a metric's folder (holding ``<name>.py``)."""
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r} (known: {', '.join(METRICS)})")
    return Path(__file__).resolve().parent / name


def load_metric(name: str, **kwargs: Any) -> evaluate.EvaluationModule:
    """Load a metric by name from its local folder.

    ``kwargs`` go to ``evaluate.load``: ``config_name`` (``"spans"`` for
    ``qawl_entities`` on labelled spans), and for several processes sharing
    one file system ``num_process``, ``process_id`` and one ``experiment_id``
    common to all of them; ``keep_in_memory``, ``cache_dir``.
    """
    import evaluate  # slow to import (it pulls in transformers and torch)

    return evaluate.load(str(metric_path(name)), **kwargs)
