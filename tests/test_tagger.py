"""The two-layer tagger: losses, CRF, decoding, encoder cutting, layer depths."""
from __future__ import annotations

import copy
import itertools
import math

import pytest
import torch

from qawl.data.schema import layer_tags
from qawl.models.modeling_qawl import (
    LinearChainCRF,
    QawlForTokenClassification,
    QawlTaggerConfig,
    build_bio_masks,
    compact,
)
from qawl.models.tagger import build_tagger, find_encoder_blocks
from tiny import make_tiny_base

LAYERS = {"ner": layer_tags("ner"), "quote": layer_tags("quote")}


@pytest.fixture(scope="module")
def bert_base(tmp_path_factory) -> str:
    return make_tiny_base(tmp_path_factory.mktemp("bert"), "bert", layers=4)


@pytest.fixture(scope="module")
def tagger(bert_base) -> QawlForTokenClassification:
    torch.manual_seed(1)
    return build_tagger(bert_base, LAYERS, crf=["quote"]).eval()


def make_batch(vocab: int, batch: int = 3, length: int = 12, seed: int = 0) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, vocab, (batch, length), generator=gen)
    mask = torch.ones(batch, length, dtype=torch.long)
    mask[0, length - 4 :] = 0  # one padded row
    return {"input_ids": ids, "attention_mask": mask}


def make_labels(batch: dict, n_tags: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, n_tags, batch["input_ids"].shape, generator=gen)
    labels[:, 0] = -100  # the [CLS] position
    labels[batch["attention_mask"] == 0] = -100
    labels[1, 3:5] = -100  # non-first subwords inside a row
    return labels


def is_valid_bio(tags: list[str]) -> bool:
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            return False
        previous = tag
    return True


# ---------------------------------------------------------------- losses


def test_logits_have_one_entry_per_layer_with_its_tag_count(tagger):
    batch = make_batch(tagger.encoder.config.vocab_size)
    out = tagger(**batch)
    assert out.loss is None
    assert {name: tuple(t.shape) for name, t in out.logits.items()} == {
        name: (3, 12, len(tags)) for name, tags in LAYERS.items()
    }


@pytest.mark.parametrize("layer", ["ner", "quote"])  # cross-entropy layer, CRF layer
def test_layer_with_all_labels_ignored_adds_exactly_zero(tagger, layer):
    batch = make_batch(tagger.encoder.config.vocab_size)
    ignored = torch.full(batch["input_ids"].shape, -100)
    out = tagger(**batch, labels={layer: ignored})
    assert torch.isfinite(out.loss) and out.loss.item() == 0.0
    out.loss.backward()
    grads = [p.grad for p in tagger.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    tagger.zero_grad()

    other = "quote" if layer == "ner" else "ner"
    scored = make_labels(batch, len(LAYERS[other]), seed=3)
    alone = tagger(**batch, labels={other: scored}).loss
    both = tagger(**batch, labels={other: scored, layer: ignored}).loss
    assert both.item() == pytest.approx(alone.item(), abs=1e-6)


def test_loss_is_weighted_sum_of_layer_losses(bert_base):
    torch.manual_seed(2)
    model = build_tagger(bert_base, LAYERS, crf=["quote"], loss_weights={"ner": 0.5, "quote": 2.0}, dropout=0.0)
    model.eval()
    batch = make_batch(model.encoder.config.vocab_size)
    ner = make_labels(batch, len(LAYERS["ner"]), seed=4)
    quote = make_labels(batch, len(LAYERS["quote"]), seed=5)
    total = model(**batch, labels={"ner": ner, "quote": quote}).loss
    ner_only = model(**batch, labels={"ner": ner}).loss
    quote_only = model(**batch, labels={"quote": quote}).loss
    assert total.item() == pytest.approx(ner_only.item() + quote_only.item(), rel=1e-5)

    logits = model(**batch).logits["ner"]
    expected = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), ner.reshape(-1), ignore_index=-100)
    assert ner_only.item() == pytest.approx(0.5 * expected.item(), rel=1e-5)


def test_bad_labels_are_refused_with_the_layer_named(tagger):
    batch = make_batch(tagger.encoder.config.vocab_size)
    with pytest.raises(ValueError, match="unknown layer"):
        tagger(**batch, labels={"pos": torch.zeros(3, 12, dtype=torch.long)})
    too_big = torch.full((3, 12), len(LAYERS["ner"]))
    with pytest.raises(ValueError, match="'ner'.*class id 9"):
        tagger(**batch, labels={"ner": too_big})
    with pytest.raises(ValueError, match="shape"):
        tagger(**batch, labels={"ner": torch.zeros(3, 5, dtype=torch.long)})


def test_config_naming_unknown_layers_is_refused(bert_base):
    with pytest.raises(ValueError, match="unknown layer"):
        build_tagger(bert_base, LAYERS, crf=["quotes"])
    with pytest.raises(ValueError, match="distinct tags"):
        build_tagger(bert_base, {"ner": ["O", "B-PER", "B-PER"]})


# ---------------------------------------------------------------- CRF


def make_crf(tags: list[str], seed: int) -> LinearChainCRF:
    gen = torch.Generator().manual_seed(seed)
    crf = LinearChainCRF(tags)
    with torch.no_grad():
        for param in (crf.transitions, crf.start, crf.end):
            param.copy_(torch.randn(param.shape, generator=gen))
    return crf


def score_path(crf: LinearChainCRF, emissions: list[list[float]], path: tuple[int, ...]) -> float:
    trans, start, end = crf.transitions.tolist(), crf.start.tolist(), crf.end.tolist()
    score = start[path[0]] + end[path[-1]] + sum(emissions[t][tag] for t, tag in enumerate(path))
    return score + sum(trans[a][b] for a, b in zip(path, path[1:]))


def test_crf_nll_equals_brute_force_over_all_paths():
    tags = layer_tags("ner")[:5]  # O, B-PER, I-PER, B-ORG, I-ORG
    crf = make_crf(tags, seed=7)
    gen = torch.Generator().manual_seed(8)
    emissions = torch.randn(2, 3, len(tags), generator=gen)
    gold = torch.tensor([[1, 2, 0], [3, 4, 0]])
    mask = torch.tensor([[True, True, True], [True, True, False]])
    got = crf.compute_nll(emissions, gold, mask).item()

    expected = 0.0
    for row, length in enumerate((3, 2)):
        ems = emissions[row, :length].tolist()
        paths = itertools.product(range(len(tags)), repeat=length)
        log_z = math.log(sum(math.exp(score_path(crf, ems, p)) for p in paths))
        expected += log_z - score_path(crf, ems, tuple(gold[row, :length].tolist()))
    assert got == pytest.approx(expected, rel=1e-5)


def test_crf_loss_uses_only_scored_positions_in_order(tagger):
    logits = torch.randn(1, 6, len(LAYERS["quote"]), generator=torch.Generator().manual_seed(9))
    sparse = torch.tensor([[-100, 1, -100, 2, 0, -100]])
    dense = torch.tensor([[1, 2, 0]])
    kept = logits[:, [1, 3, 4]]
    assert tagger.compute_layer_loss("quote", logits, sparse).item() == pytest.approx(
        tagger.compute_layer_loss("quote", kept, dense).item(), rel=1e-6
    )


def test_compact_moves_kept_positions_to_the_front():
    values = torch.arange(12).reshape(2, 6)
    keep = torch.tensor([[False, True, False, True, True, False], [False] * 6])
    packed, mask = compact(values, keep)
    assert packed[0].tolist() == [1, 3, 4]
    assert mask.tolist() == [[True, True, True], [False, False, False]]


def test_bio_constraints_forbid_exactly_the_invalid_steps():
    tags = layer_tags("quote")
    start_ok, step_ok = build_bio_masks(tags)
    for j, tag in enumerate(tags):
        assert start_ok[j].item() == (not tag.startswith("I-"))
        for i, prev in enumerate(tags):
            lead_in = ["B-" + prev[2:]] if prev.startswith("I-") else []  # so that prev itself is valid
            assert step_ok[i, j].item() == is_valid_bio(lead_in + [prev, tag])


def test_viterbi_equals_brute_force_over_valid_paths():
    tags = layer_tags("quote")
    gen = torch.Generator().manual_seed(11)
    for case in range(12):
        crf = make_crf(tags, seed=100 + case)
        lengths = [1 + (case + k) % 4 for k in range(3)]
        emissions = 3 * torch.randn(3, 4, len(tags), generator=gen)
        mask = torch.arange(4).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)
        decoded = crf.decode_best(emissions, mask)
        for row, length in enumerate(lengths):
            ems = emissions[row, :length].tolist()
            valid = (p for p in itertools.product(range(len(tags)), repeat=length) if is_valid_bio([tags[t] for t in p]))
            best = max(valid, key=lambda p: score_path(crf, ems, p))
            assert tuple(decoded[row]) == best


def test_decode_gives_valid_bio_for_crf_layers_and_argmax_otherwise(tagger):
    gen = torch.Generator().manual_seed(12)
    tagger = copy.deepcopy(tagger)
    with torch.no_grad():
        tagger.crfs["quote"].transitions.copy_(torch.randn(7, 7, generator=gen))
    # emissions strongly favour I- tags everywhere, so unconstrained decoding would break BIO
    logits = {
        "ner": torch.randn(4, 30, len(LAYERS["ner"]), generator=gen),
        "quote": torch.randn(4, 30, len(LAYERS["quote"]), generator=gen) + torch.tensor([0, 0, 4, 0, 4, 0, 4.0]),
    }
    mask = torch.rand(4, 30, generator=gen) > 0.3
    mask[3] = False
    decoded = tagger.decode(logits, mask)
    for row in range(4):
        quote = [LAYERS["quote"][i] for i in decoded["quote"][row]]
        assert len(quote) == int(mask[row].sum()) and is_valid_bio(quote)
        assert decoded["ner"][row] == logits["ner"][row][mask[row]].argmax(-1).tolist()
    assert decoded["quote"][3] == [] and decoded["ner"][3] == []
    assert any(tag.startswith("I-") for row in decoded["quote"] for tag in (LAYERS["quote"][i] for i in row))


# ---------------------------------------------------------------- encoder


def test_keep_layers_keeps_the_bottom_blocks_and_reinit_top_resets_the_highest(bert_base, tmp_path):
    from transformers import AutoModel

    base = AutoModel.from_pretrained(bert_base)
    model = build_tagger(bert_base, LAYERS, keep_layers=2, reinit_top=1)
    blocks = find_encoder_blocks(model.encoder)
    assert len(blocks) == 2 and model.config.encoder["num_hidden_layers"] == 2
    base_blocks = base.encoder.layer
    assert torch.equal(blocks[0].attention.self.query.weight, base_blocks[0].attention.self.query.weight)
    assert not torch.equal(blocks[1].attention.self.query.weight, base_blocks[1].attention.self.query.weight)
    assert torch.equal(model.encoder.embeddings.word_embeddings.weight, base.embeddings.word_embeddings.weight)

    model.save_pretrained(tmp_path)
    again = QawlForTokenClassification.from_pretrained(tmp_path).eval()
    model.eval()
    batch = make_batch(model.encoder.config.vocab_size)
    assert len(find_encoder_blocks(again.encoder)) == 2
    with torch.no_grad():
        for name, logits in model(**batch).logits.items():
            assert torch.allclose(again(**batch).logits[name], logits, atol=1e-6)


def test_keep_layers_out_of_range_is_refused(bert_base):
    with pytest.raises(ValueError, match="has 4 layers"):
        build_tagger(bert_base, LAYERS, keep_layers=5)
    with pytest.raises(ValueError, match="reinit_top"):
        build_tagger(bert_base, LAYERS, keep_layers=2, reinit_top=3)


def test_default_config_builds_without_layers():
    config = QawlTaggerConfig()
    assert config.layers == {} and config.crf == [] and config.loss_weights == {}


def test_base_missing_encoder_weights_is_refused(bert_base, tmp_path):
    import shutil

    from safetensors.torch import load_file, save_file

    broken = tmp_path / "broken"
    shutil.copytree(bert_base, broken)
    weights = load_file(broken / "model.safetensors")
    del weights["encoder.layer.1.output.dense.weight"]
    save_file(weights, broken / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(ValueError, match=r"lacks encoder weights \['encoder.layer.1.output.dense.weight'\]"):
        build_tagger(str(broken), LAYERS)


def test_resized_vocabulary_is_recorded_and_reloads(bert_base, tmp_path):
    model = build_tagger(bert_base, LAYERS, keep_layers=2)
    model.resize_token_embeddings(50)
    assert model.config.encoder["vocab_size"] == 50
    model.save_pretrained(tmp_path)
    again = QawlForTokenClassification.from_pretrained(tmp_path)
    assert again.get_input_embeddings().weight.shape == (50, 32)
    assert torch.equal(again.get_input_embeddings().weight, model.get_input_embeddings().weight)
