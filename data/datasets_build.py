"""The two dataset levels as ``datasets`` objects.

Columns are documented in :mod:`data.build`, which makes the rows as plain
Python values; this module only wraps them (and imports ``datasets`` inside
its functions, so importing it stays cheap).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from .build import WINDOW_COLUMNS, WindowSpec, article_to_row, special_token_frame, window_rows
from .schema import LAYERS, layer_tags


def word_features():
    """The ``datasets.Features`` of the word-level dataset."""
    from datasets import ClassLabel, Features, List, Value

    return Features(
        {
            "id": Value("string"),
            "text": Value("string"),
            "words": List(Value("string")),
            "word_offsets": List(List(Value("int32"))),
            "ner_tags": List(ClassLabel(names=layer_tags("ner"))),
            "quote_tags": List(ClassLabel(names=layer_tags("quote"))),
            "corpus": Value("string"),
        }
    )


def articles_to_dataset(articles: Iterable[dict], corpus: str = ""):
    """Word-level ``datasets.Dataset`` (one row per article) from validated articles."""
    from datasets import Dataset

    rows = [article_to_row(a, corpus) for a in articles]
    cols = {k: [r[k] for r in rows] for k in word_features()}
    return Dataset.from_dict(cols, features=word_features())


def tokenize_windows(word_ds, tokenizer, spec: WindowSpec, weight: float = 1.0, num_proc: int | None = None):
    """Window-level ``datasets.Dataset`` from a word-level one."""
    frame = special_token_frame(tokenizer)

    def explode(batch):
        rows = [dict(zip(batch, vals)) for vals in zip(*batch.values())]
        out: dict[str, list] = {}
        for r in rows:
            for w in window_rows(r, tokenizer, spec, frame, weight):
                for key, val in w.items():
                    out.setdefault(key, []).append(val)
        return out

    windows = word_ds.map(explode, batched=True, batch_size=64, remove_columns=word_ds.column_names, num_proc=num_proc)
    if windows.num_rows == 0:  # no article has a word: datasets keeps no column of a map that yields no row
        from datasets import Dataset

        windows = Dataset.from_dict({key: [] for key in WINDOW_COLUMNS}, features=window_features())
    return windows


def window_features():
    """The ``datasets.Features`` a window-level dataset gets from its rows (see :mod:`data.build`)."""
    from datasets import Features, List, Value

    ints = List(Value("int64"))
    return Features({"id": Value("string"), "window": Value("int64"), "input_ids": List(Value("int32")),
                     "attention_mask": List(Value("int8")), "word_ids": ints, "scored": ints,
                     "num_tokens": Value("int64"), "weight": Value("float64"),
                     **{f"labels_{layer}": ints for layer in LAYERS}})


def mix(datasets_: Sequence):
    """Concatenate datasets with identical columns (several corpora in one)."""
    from datasets import concatenate_datasets

    return concatenate_datasets(list(datasets_))
