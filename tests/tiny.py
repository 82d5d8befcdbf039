"""Tiny random encoders with small fast Arabic tokenizers, built offline.

``make_tiny_base(path, kind)`` writes a folder that ``AutoModel`` and
``AutoTokenizer`` load with no network: a random 32-wide encoder (BERT,
XLM-R or ELECTRA) and a tokenizer trained here, with the `tokenizers`
library, on the few sentences below (WordPiece for BERT and ELECTRA, Unigram
with a Metaspace pre-tokenizer for XLM-R, as in the real models).
"""
from __future__ import annotations

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


def train_wordpiece(vocab_size: int, texts: Sequence[str] = ()):
    """A BERT-style WordPiece ``tokenizers.Tokenizer`` trained on :data:`SENTENCES` and ``texts``."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    # no lower-casing and no accent stripping: Arabic diacritics stay as written
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, strip_accents=False, lowercase=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##")
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=specials)
    tok.train_from_iterator([*SENTENCES, *texts], trainer)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    return tok


def train_unigram(vocab_size: int, texts: Sequence[str] = ()):
    """An XLM-R-style Unigram ``tokenizers.Tokenizer`` trained on :data:`SENTENCES` and ``texts``."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # XLM-R ids 0..4
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    trainer = trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=specials, unk_token="<unk>")
    tok.train_from_iterator([*SENTENCES, *texts], trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))],
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
