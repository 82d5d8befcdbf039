"""Shared fixtures: tiny random bases (built once per session) and data paths."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """Tiny models run fastest on one thread; two threads on a busy 2-core box
    spin-wait. (Training subprocesses set their own threads.)"""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> str:
    from tiny import make_tiny_base

    return make_tiny_base(tmp_path_factory.mktemp("tiny-bert"), "bert", layers=2)


@pytest.fixture(scope="session")
def qawl_cache(tmp_path_factory):
    """One base-model cache per test session (the conversion writes ~470 MB
    once), also exported as $QAWL_CACHE so nothing touches the user's cache."""
    from models.base import CACHE_ENV

    path = tmp_path_factory.getbasetemp() / "qawl-cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(path))
        yield path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"external data not found at {SHARED} (see shared/data/README.md)")
    return SHARED
