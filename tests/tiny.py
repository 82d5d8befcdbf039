"""Tiny random encoders with small fast Arabic tokenizers, built offline.

``make_tiny_base(path, kind)`` writes a folder that ``AutoModel`` and
``AutoTokenizer`` load with no network: a random 32-wide encoder (BERT,
XLM-R or ELECTRA) and a tokenizer built here, with the `tokenizers`
library, from the few sentences below (WordPiece for BERT and ELECTRA, Unigram
with a Metaspace pre-tokenizer for XLM-R, as in the real models). Both are
built the same in every process, so everything trained on them is too.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Sequence

#: short news-style sentences the tokenizers are trained on
SENTENCES = (
    "قال وزير الخارجية أحمد الكبير إن المحادثات مع الجانب الأردني كانت “مثمرة وصريحة”.",
    "وأكدت وزارة الصحة في بيان، الأحد، أن عدد الإصابات تراجع بنسبة 12 في المئة.",
    "أعلنت شركة الطيران الوطنية عن رحلات جديدة بين الرباط والقاهرة ابتداء من الشهر المقبل.",
    "وأوضح المتحدث باسم الحكومة أن الاجتماع سيعقد في مدينة تونس يوم الخميس.",
    "«لن نتراجع عن مطالبنا»، قالت رئيسة النقابة سلمى العبيدي أمام الصحفيين.",
    "وتابع أن الأمم المتحدة ستبعث فريقا إلى المنطقة خلال الأسبوع القادم.",
    "وبحسب ما ذكرت وكالة الأنباء، فقد وصل الوفد إلى بيروت مساء السبت.",
    "يرى الخبير الاقتصادي يوسف الحداد أن ارتفاع الأسعار سيستمر حتى نهاية العام.",
    "وشدد رئيس البلدية على ضرورة إصلاح الطرق قبل فصل الشتاء.",
    "فاز نادي الوداد بكأس البطولة بعد مباراة صعبة في الدار البيضاء.",
    "وقالت المنظمة: إن المساعدات لم تصل بعد إلى سكان القرى الجبلية.",
    "ذكرت صحيفة محلية أن البرلمان صادق على القانون بأغلبية 87 صوتا.",
    "وَقَالَ الشَّيْخُ: الحَمْدُ لِلَّهِ، ثم غادر المسجد (في الساعة 5:30).",
    # every Arabic letter at a word start and inside a word, so any Arabic text tokenizes without unknowns
    "ا ب ت ث ج ح خ د ذ ر ز س ش ص ض ط ظ ع غ ف ق ك ل م ن ه و ي ء آ أ إ ؤ ئ ى ة ـ",
    "ءآأؤإئابةتثجحخدذرزسشصضطظعغـفقكلمنهوىيًٌٍَُِّْ ًٌٍَُِّْيىوهنملكقفـغعظطضصشسزرذدخحجثتةبائإؤأآء",
    "0123456789 ٠١٢٣٤٥٦٧٨٩ . , ، ؛ ؟ ! : ( ) [ ] « » “ ” \" ' - / %",
)

KINDS = ("bert", "xlmr", "electra")

#: shared encoder size: hidden 32, FFN 64, 2 heads
HIDDEN, FFN, HEADS = 32, 64, 2


def count_words(pre_tokenizer, normalizer, texts: Sequence[str]) -> Counter:
    """How often each pre-tokenized word occurs in :data:`SENTENCES` and ``texts``."""
    counts: Counter = Counter()
    for text in [*SENTENCES, *texts]:
        counts.update(w for w, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)))
    return counts


def frequent_first(counts: Counter) -> list[str]:
    """Words by falling count, ties in code-point order: the same list in every process.

    (The ``tokenizers`` trainers are not: their hash maps are seeded per
    process, so ties fall differently, the vocabulary changes from run to run,
    and so does every model trained on it.)"""
    return sorted(counts, key=lambda w: (-counts[w], w))


def subword_pieces(counts: Counter, n: int) -> list[str]:
    """The ``n`` most useful word beginnings (2-3 letters) and ``##`` letter pairs
    of longer words, so that words outside the vocabulary split into a few
    pieces rather than into letters (about 1.4 pieces a word on the sample corpus)."""
    gain: Counter = Counter()
    for w, k in counts.items():
        if len(w) < 4:
            continue
        for size in (2, 3):
            gain[w[:size]] += k * (size - 1)
        for j in range(2, len(w) - 1):
            gain["##" + w[j:j + 2]] += k
    return frequent_first(gain)[:n]


def train_wordpiece(vocab_size: int, texts: Sequence[str] = ()):
    """A BERT-style WordPiece ``tokenizers.Tokenizer`` over :data:`SENTENCES` and ``texts``:
    every character (alone and as a ``##`` continuation), a fifth of the
    vocabulary in common word pieces, then whole words by frequency up to
    ``vocab_size``."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    # no lower-casing and no accent stripping: Arabic diacritics stay as written
    normalizer = normalizers.BertNormalizer(clean_text=True, strip_accents=False, lowercase=False)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    counts = count_words(pre_tokenizer, normalizer, texts)
    words = frequent_first(counts)
    chars = sorted({c for w in words for c in w})
    vocab = [*specials, *chars, *("##" + c for c in chars)]
    known = set(vocab)
    for w in subword_pieces(counts, vocab_size // 5) + words:
        if len(vocab) >= vocab_size:
            break
        if w not in known:
            vocab.append(w)
            known.add(w)
    tok = Tokenizer(models.WordPiece({piece: i for i, piece in enumerate(vocab)}, unk_token="[UNK]"))
    tok.normalizer, tok.pre_tokenizer = normalizer, pre_tokenizer
    tok.decoder = decoders.WordPiece(prefix="##")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)],
    )
    return tok


def train_unigram(vocab_size: int, texts: Sequence[str] = ()):
    """An XLM-R-style Unigram ``tokenizers.Tokenizer`` over :data:`SENTENCES` and ``texts``:
    every character, then whole words (``▁``-prefixed) by frequency up to
    ``vocab_size``, each scored by its log frequency."""
    import math

    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # XLM-R ids 0..4
    normalizer = normalizers.NFKC()
    pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    counts = count_words(pre_tokenizer, normalizer, texts)
    chars: Counter = Counter()
    for w, n in counts.items():
        for c in w:
            chars[c] += n
    total = sum(chars.values())
    pieces = [(p, 0.0) for p in specials]
    pieces += [(c, math.log(chars[c] / total) - 10) for c in frequent_first(chars)]  # letters: last resort
    known = {p for p, _ in pieces}
    for w in frequent_first(counts):
        if len(pieces) >= vocab_size:
            break
        if w not in known:
            pieces.append((w, math.log(counts[w] / total)))
            known.add(w)
    tok = Tokenizer(models.Unigram(pieces, unk_id=3))
    tok.normalizer, tok.pre_tokenizer = normalizer, pre_tokenizer
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", 0), ("</s>", 2)],
    )
    return tok


def make_tokenizer(kind: str, texts: Sequence[str] = (), vocab_size: int = 400, max_length: int = 128):
    """A transformers fast tokenizer for ``kind`` wrapping a freshly trained backend.

    ``texts`` are trained on besides :data:`SENTENCES`; with a larger
    ``vocab_size`` they tokenize into whole words rather than letters;
    ``max_length`` is the tokenizer's ``model_max_length`` in tokens.
    """
    from transformers import PreTrainedTokenizerFast

    if kind == "xlmr":
        return PreTrainedTokenizerFast(
            tokenizer_object=train_unigram(vocab_size, texts),
            bos_token="<s>",
            eos_token="</s>",
            cls_token="<s>",
            sep_token="</s>",
            pad_token="<pad>",
            unk_token="<unk>",
            mask_token="<mask>",
            model_input_names=["input_ids", "attention_mask"],
            model_max_length=max_length,
        )
    return PreTrainedTokenizerFast(
        tokenizer_object=train_wordpiece(vocab_size, texts),
        cls_token="[CLS]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        unk_token="[UNK]",
        mask_token="[MASK]",
        model_max_length=max_length,
    )


def make_config(kind: str, vocab_size: int, pad_id: int, layers: int, positions: int = 128):
    """Encoder config of ``kind`` at the tiny size, for inputs of up to ``positions`` tokens."""
    from transformers import BertConfig, ElectraConfig, XLMRobertaConfig

    common = dict(
        vocab_size=vocab_size,
        hidden_size=HIDDEN,
        num_hidden_layers=layers,
        num_attention_heads=HEADS,
        intermediate_size=FFN,
        pad_token_id=pad_id,
    )
    if kind == "bert":
        return BertConfig(max_position_embeddings=positions, **common)
    if kind == "xlmr":
        # XLM-R positions start after the padding id, hence 2 extra rows
        return XLMRobertaConfig(max_position_embeddings=positions + 2, type_vocab_size=1, bos_token_id=0, eos_token_id=2, **common)
    if kind == "electra":
        # a narrower embedding than hidden exercises ELECTRA's projection
        return ElectraConfig(max_position_embeddings=positions, embedding_size=16, **common)
    raise ValueError(f"unknown tiny base kind {kind!r}; choose one of {KINDS}")


def make_tiny_base(
    path: str | Path,
    kind: str,
    *,
    layers: int = 4,
    seed: int = 0,
    texts: Sequence[str] = (),
    vocab_size: int = 400,
    positions: int = 128,
) -> str:
    """Write a tiny random ``kind`` encoder and its tokenizer into ``path``; returns ``str(path)``.

    ``kind``: ``"bert"`` | ``"xlmr"`` | ``"electra"``; ``layers``: transformer
    blocks (2-4 keeps tests fast); ``seed`` fixes the random weights;
    ``texts`` and ``vocab_size`` go to the tokenizer (:func:`make_tokenizer`);
    ``positions`` is the longest input in tokens.
    """
    import torch
    from transformers import AutoModel

    if kind not in KINDS:
        raise ValueError(f"unknown tiny base kind {kind!r}; choose one of {KINDS}")
    tokenizer = make_tokenizer(kind, texts, vocab_size, positions)
    config = make_config(kind, len(tokenizer), tokenizer.pad_token_id, layers, positions)
    torch.manual_seed(seed)
    model = AutoModel.from_config(config)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)
