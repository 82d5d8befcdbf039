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
    from qawl.models.base import CACHE_ENV

    path = tmp_path_factory.getbasetemp() / "qawl-cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(path))
        yield path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"external data not found at {SHARED} (see shared/data/README.md)")
    return SHARED


@pytest.fixture(scope="session")
def tiny_checkpoint(tiny_bert, tmp_path_factory) -> Path:
    """A saved (untrained) two-layer checkpoint on the tiny BERT, default run settings."""
    import torch
    from transformers import AutoTokenizer

    from qawl.data.schema import layer_tags
    from qawl.models.tagger import build_tagger
    from qawl.train.config import load_config
    from qawl.train.prediction.predict import default_accelerator
    from qawl.train.recipe.checkpoint import save_checkpoint

    torch.manual_seed(0)
    model = build_tagger(tiny_bert, {"ner": layer_tags("ner"), "quote": layer_tags("quote")}).eval()
    cfg = load_config("default", ["data.max_length=64", "data.stride=16"])
    out = tmp_path_factory.mktemp("tiny-checkpoint") / "model"
    return save_checkpoint(default_accelerator(), model, AutoTokenizer.from_pretrained(tiny_bert), cfg, out)
