"""Batches of windows: length-grouped sampling, padding, and the DataLoader that
training, evaluation and prediction all read windows through."""
from __future__ import annotations

import math
import random
from collections.abc import Sequence

import torch
from torch.utils.data import DataLoader

from qawl.data.align import IGNORE


class LengthGroupedBatches:
    """A batch sampler that draws each window ``weight`` times per epoch on
    average and batches windows of similar length together (less padding).

    Deterministic for a given ``seed`` and epoch (``set_epoch``), so a resumed
    run sees the same batches in the same order.
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        *,
        weights: Sequence[float] | None = None,
        seed: int = 0,
        shuffle: bool = True,
        group_by_length: bool = True,
        pool: int = 50,  # batches per sorting pool: wider pools pad less, mix less
    ):
        self.lengths = list(lengths)
        self.weights = list(weights) if weights is not None else [1.0] * len(self.lengths)
        self.batch_size = batch_size
        self.seed, self.shuffle, self.group, self.pool = seed, shuffle, group_by_length, pool
        self.epoch = 0
        self._cache: tuple[int, list[list[int]]] | None = None

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def batches(self) -> list[list[int]]:
        if self._cache is not None and self._cache[0] == self.epoch:
            return self._cache[1]
        rng = random.Random(self.seed * 100_003 + self.epoch)
        idx: list[int] = []
        for i, w in enumerate(self.weights):
            copies = int(math.floor(w))
            if rng.random() < w - copies:
                copies += 1
            idx += [i] * copies
        if self.shuffle:
            rng.shuffle(idx)
        if self.group:
            span = self.batch_size * self.pool
            pools = [sorted(idx[k : k + span], key=lambda i: -self.lengths[i]) for k in range(0, len(idx), span)]
            idx = [i for p in pools for i in p]
        out = [idx[k : k + self.batch_size] for k in range(0, len(idx), self.batch_size)]
        if self.shuffle and self.group:
            rng.shuffle(out)
        self._cache = (self.epoch, out)
        return out

    def __iter__(self):
        return iter(self.batches())

    def __len__(self) -> int:
        return len(self.batches())


def collate_windows(rows: list[dict], pad_id: int, layers: Sequence[str]) -> dict:
    """Pad a list of window rows into tensors.

    Returns ``input_ids``, ``attention_mask``, ``word_ids`` (-1 padded),
    ``scored`` (0 padded), each ``(batch, seq)``; ``labels``: layer ->
    ``(batch, seq)`` with -100 padding; ``row``: ``(batch,)`` dataset indices.
    """
    width = max(len(r["input_ids"]) for r in rows)

    def pad(key: str, value: int) -> torch.Tensor:
        return torch.tensor([r[key] + [value] * (width - len(r[key])) for r in rows], dtype=torch.long)

    batch = {
        "input_ids": pad("input_ids", pad_id),
        "attention_mask": pad("attention_mask", 0),
        "word_ids": pad("word_ids", -1),
        "scored": pad("scored", 0),
        "labels": {layer: pad(f"labels_{layer}", IGNORE) for layer in layers},
        "row": torch.tensor([r["row"] for r in rows], dtype=torch.long),
    }
    return batch


class WindowCollator:
    """Picklable collate function (DataLoader workers need one)."""

    def __init__(self, pad_id: int, layers: Sequence[str]):
        self.pad_id, self.layers = pad_id, list(layers)

    def __call__(self, rows: list[dict]) -> dict:
        return collate_windows(rows, self.pad_id, self.layers)


def window_loader(windows, batch_size: int, pad_id: int, layers, shuffle: bool = False, seed: int = 0, group: bool = True):
    """A DataLoader over window rows (the window-level dataset), with a ``row`` index for gathering."""
    ds = windows.add_column("row", list(range(len(windows))))
    keep = ["input_ids", "attention_mask", "word_ids", "scored", "row"] + [f"labels_{l}" for l in layers]
    ds = ds.select_columns(keep)
    sampler = LengthGroupedBatches(
        windows["num_tokens"],
        batch_size,
        weights=windows["weight"] if shuffle else None,
        seed=seed,
        shuffle=shuffle,
        group_by_length=group,
    )
    # Its own generator: creating an iterator then draws from it, not from the
    # global RNG, so a resumed run keeps the same dropout masks.
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(ds, batch_sampler=sampler, collate_fn=WindowCollator(pad_id, layers), generator=generator)
