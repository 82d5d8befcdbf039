"""Entities and attributed quotes from raw text, as a ``transformers`` pipeline.

This file travels inside every saved checkpoint, next to verbatim copies of
the data modules it imports relatively (``models/carry.py`` puts them there
and names the pipeline in ``config.json``), so that

    transformers.pipeline(model=CHECKPOINT, trust_remote_code=True)(text)

gives what ``qawl predict`` gives, with only torch, transformers and the
standard library installed. It is meant to run from a checkpoint folder; in
the source tree its relative imports have nothing next to them.

Per text the output is ``{"entities": [...], "quotes": [...]}`` (a key only
for the layers the model has): entities ``{"start", "end", "label",
"text"}`` and quotes in the annotation scheme's form (``content``,
``source``, ``cue`` as ``[start, end]`` or null, ``speaker``, ``speaker_span``, ``kind``) plus
``text``: part name -> the part's string (null where the part is). Offsets
are Python ``str`` indices into the given text, end exclusive.

A text of any length is cut into overlapping windows exactly as in training
and every word is decided in one window; windows, not texts, make up the
batches (``batch_size``).
"""
from __future__ import annotations

import torch
from transformers.pipelines.base import ChunkPipeline

from .build import article_to_row, special_token_frame, window_rows, window_spec_from_config
from .decode import article_prediction, quote_decoding, scatter_window_tags

#: article id given to each input text (it appears only in error messages)
INPUT_ID = "input"
#: quote parts whose strings the output spells out
QUOTE_PART_KEYS = ("content", "source", "cue")


class QawlPipeline(ChunkPipeline):
    """Text (or list of texts) -> entities and attributed quotes; see the module docstring."""

    _load_tokenizer = True
    _load_processor = False
    _load_image_processor = False
    _load_video_processor = False
    _load_feature_extractor = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.tokenizer is None:
            raise ValueError("QawlPipeline needs the checkpoint's tokenizer")
        if self.tokenizer.padding_side != "right":
            # batches pad windows at the end, as training does (absolute positions start at the first token)
            raise ValueError(f"QawlPipeline pads windows on the right; the tokenizer pads on the {self.tokenizer.padding_side}")
        self.spec = window_spec_from_config(getattr(self.model.config, "qawl_windows", None))
        self.frame = special_token_frame(self.tokenizer)
        self.label_lists = {name: list(tags) for name, tags in self.model.config.layers.items()}
        self.decoding = quote_decoding(self.model.config)  # how quotes are cut and attributed

    def _sanitize_parameters(self, **kwargs):
        if kwargs:
            raise TypeError(f"QawlPipeline takes no option(s) {sorted(kwargs)} (only batch_size and num_workers)")
        return {}, {}, {}

    def preprocess(self, text):
        """One model input per window of ``text``; the last also carries the text's words."""
        if not isinstance(text, str):
            raise TypeError(f"QawlPipeline takes a string or a list of strings, got {type(text).__name__}")
        row = article_to_row({"id": INPUT_ID, "text": text})
        windows = window_rows(row, self.tokenizer, self.spec, self.frame)
        if not windows:
            # no word at all: one window of special tokens only, nothing scored
            pre, post = self.frame
            ids = pre + post
            windows = [{"input_ids": ids, "attention_mask": [1] * len(ids), "word_ids": [-1] * len(ids), "scored": [0] * len(ids)}]
        last = len(windows) - 1
        for k, win in enumerate(windows):
            yield {
                "input_ids": torch.tensor([win["input_ids"]], dtype=torch.long),
                "attention_mask": torch.tensor([win["attention_mask"]], dtype=torch.long),
                "scored": torch.tensor([win["scored"]], dtype=torch.long),
                "window": {"word_ids": win["word_ids"], "scored": win["scored"]},
                "article": row if k == last else None,
                "is_last": k == last,
            }

    def _forward(self, model_inputs):
        """Tag ids per layer, ``(B, T)`` with -1 where a position is not scored."""
        input_ids = model_inputs["input_ids"]
        scored = model_inputs["scored"].bool()
        out = self.model(input_ids=input_ids, attention_mask=model_inputs["attention_mask"])
        decoded = self.model.decode(out.logits, scored)
        result = {}
        for layer in self.label_lists:
            tags = torch.full_like(input_ids, -1)
            for b, seq in enumerate(decoded[layer]):
                tags[b, scored[b]] = torch.as_tensor(seq, dtype=tags.dtype, device=tags.device)
            result[f"tags_{layer}"] = tags
        result.update({key: model_inputs[key] for key in ("window", "article", "is_last")})
        return result

    def postprocess(self, windows):
        """Window decisions -> word tags -> entities and quotes of one text."""
        row = windows[-1]["article"]
        n_words = len(row["words"])
        word_tags: dict[str, list[int | None]] = {layer: [None] * n_words for layer in self.label_lists}
        for win in windows:
            for layer in self.label_lists:
                tags = win[f"tags_{layer}"][0]
                decided = tags[tags >= 0].tolist()
                scatter_window_tags(win["window"]["word_ids"], win["window"]["scored"], decided, word_tags[layer])
        text = row["text"]
        pred = article_prediction(INPUT_ID, text, row["word_offsets"], word_tags, self.label_lists, decoding=self.decoding)
        out = {}
        if "entities" in pred:
            out["entities"] = [{**e, "text": text[e["start"] : e["end"]]} for e in pred["entities"]]
        if "quotes" in pred:
            out["quotes"] = [{**q, "text": quote_texts(text, q)} for q in pred["quotes"]]
        return out


def quote_texts(text: str, quote: dict) -> dict[str, str | None]:
    """Part name -> the part's string in ``text`` (None for a missing part)."""
    return {key: None if quote[key] is None else text[quote[key][0] : quote[key][1]] for key in QUOTE_PART_KEYS}
