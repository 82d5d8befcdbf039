"""Configs: every shipped file loads; bad keys and types fail with their names."""
from __future__ import annotations

from pathlib import Path

import pytest

from qawl.train.config import Config, ConfigError, load_config, save_config
from qawl.train.recipe.setup import parse_cli

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml"))


def test_there_are_configs():
    names = {p.stem for p in CONFIGS}
    assert {"default", "anercorp", "arabert", "polnear", "mixed"} <= names


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_config_loads_and_round_trips(path, tmp_path):
    cfg = load_config(path, check_paths=False)  # some name files made by an earlier step (runs/silver/...)
    assert isinstance(cfg, Config)
    assert cfg.data.corpora, "a config without corpora trains on nothing"
    for c in cfg.data.corpora:
        assert c.format in {"jsonl", "conll", "brat", "standoff"}
        assert c.train or c.test
    assert set(cfg.model.layers) <= {"ner", "quote"}
    save_config(cfg, tmp_path / "merged.yaml")
    assert load_config(tmp_path / "merged.yaml", check_paths=False) == cfg


def test_dotted_overrides_apply():
    cfg = parse_cli(["train.lr=3e-5", "model.crf=[ner]", "data.corpora.0.weight=2", "train.resume_from=latest"])
    assert cfg.train.lr == pytest.approx(3e-5)
    assert cfg.model.crf == ["ner"]
    assert cfg.data.corpora[0].weight == 2.0
    assert cfg.train.resume_from == "latest"


@pytest.mark.parametrize(
    "override, named",
    [
        ("train.lrr=1", "train.lrr"),
        ("trian.lr=1", "trian"),
        ("data.corpora.0.trian=[x]", "data.corpora.0.trian"),
        ("train.epochs=many", "train.epochs"),
        ("model.keep_layers=1.5", "model.keep_layers"),
        ("train.group_by_length=3", "train.group_by_length"),
        ("data.corpora.5.name=x", "data.corpora.5.name"),
    ],
)
def test_bad_override_names_the_key(override, named):
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        parse_cli([override])


def test_bad_key_in_file_names_it(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("train:\n  lr: 1.0e-4\n  warmup: 0.1\n")
    with pytest.raises(ConfigError, match=r"train\.warmup") as err:
        load_config(bad)
    assert str(bad) in str(err.value)


def test_corpus_sample_draws_a_seeded_subset_of_train_only():
    from qawl.train.corpora import load_articles

    root = Path(__file__).resolve().parents[1] / "data" / "sample"
    cfg = load_config(Path(__file__).resolve().parents[1] / "configs" / "default.yaml")
    corpus = cfg.data.corpora[0]
    corpus.train, corpus.dev, corpus.test = [str(root / "train.jsonl")], [str(root / "dev.jsonl")], []
    corpus.sample = 5

    def ids(seed: int) -> dict[str, list[str]]:
        return {s: [a["id"] for _, arts in parts for a in arts] for s, parts in load_articles(cfg.data, seed).items()}

    first = ids(13)
    assert len(first["train"]) == 5 and len(set(first["train"])) == 5
    assert len(first["dev"]) == 8  # dev and test are never sampled
    assert ids(13) == first
    assert ids(14)["train"] != first["train"]
    corpus.sample = 1000  # more than there are: all of them
    assert len(ids(13)["train"]) == 32
    corpus.sample = -1
    with pytest.raises(ValueError, match="sample"):
        load_articles(cfg.data, 13)


def test_a_corpus_dev_fraction_overrides_the_data_one():
    """A silver corpus with no dev split stays out of dev when another corpus carves one."""
    import copy

    from qawl.train.corpora import load_articles

    root = Path(__file__).resolve().parents[1] / "data" / "sample"
    cfg = load_config(Path(__file__).resolve().parents[1] / "configs" / "default.yaml")
    carved = cfg.data.corpora[0]
    carved.name, carved.train, carved.dev, carved.test = "carved", [str(root / "train.jsonl")], [], []
    silver = copy.deepcopy(carved)
    silver.name, silver.dev_fraction = "silver", 0.0
    cfg.data.corpora = [carved, silver]
    cfg.data.dev_fraction = 0.25
    parts = load_articles(cfg.data, 13)
    assert [(c.name, len(a)) for c, a in parts["dev"]] == [("carved", 8)]
    assert [(c.name, len(a)) for c, a in parts["train"]] == [("carved", 24), ("silver", 32)]
    silver.dev_fraction, cfg.data.dev_fraction = 0.5, 0.0  # the corpus's own value, without a data one
    parts = load_articles(cfg.data, 13)
    assert [(c.name, len(a)) for c, a in parts["dev"]] == [("silver", 16)]
    with pytest.raises(ConfigError, match=r"data\.corpora\.0\.dev_fraction"):
        load_config(Path(__file__).resolve().parents[1] / "configs" / "default.yaml",
                    ["data.corpora.0.dev_fraction=1.5"])


def test_threads_default_to_the_cores_per_process_unless_set():
    import os

    from qawl.train.recipe.setup import choose_threads

    cores = len(os.sched_getaffinity(0))
    assert choose_threads(3, {"OMP_NUM_THREADS": "1"}) == 3  # train.threads wins
    assert choose_threads(0, {"OMP_NUM_THREADS": "2"}) == 2  # an explicit OMP_NUM_THREADS
    assert choose_threads(0, {"OMP_NUM_THREADS": "1"}) == 1  # set by the user, not by accelerate
    # accelerate launch's own OMP_NUM_THREADS=1 on CPU does not count
    assert choose_threads(0, {"OMP_NUM_THREADS": "1", "ACCELERATE_MIXED_PRECISION": "no"}) == cores
    assert choose_threads(0, {"ACCELERATE_MIXED_PRECISION": "no", "LOCAL_WORLD_SIZE": "2"}) == max(1, cores // 2)
    assert choose_threads(0, {}) == cores


def test_a_window_longer_than_the_encoder_is_refused_before_any_corpus_is_read(tiny_bert):
    from qawl.train.config import ConfigError, load_config
    from qawl.train.recipe.setup import load_base

    cfg = load_config("default", [f"model.base={tiny_bert}", "model.keep_pieces=null", "data.max_length=4096",
                                  "data.corpora.0.train=[data/sample/train.jsonl]"])
    with pytest.raises(ConfigError, match="data.max_length=4096: the encoder .* takes at most 128 tokens"):
        load_base(cfg)
