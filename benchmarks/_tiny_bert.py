"""The benchmarks' tiny BERT classifiers: a word-level tokenizer over a fixed word list and
a BERT built from a config (random weights, seeded), saved as safetensors."""

from __future__ import annotations

from pathlib import Path


def tiny_bert(folder: Path, words: set[str], labels: list[str], *, hidden: int, layers: int, heads: int,
              intermediate: int, seed: int) -> None:
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
    vocab = {w: i for i, w in enumerate(specials + sorted(words))}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", model_max_length=32)
    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                     intermediate_size=intermediate, max_position_embeddings=32, num_labels=len(labels),
                     id2label=dict(enumerate(labels)), label2id={x: i for i, x in enumerate(labels)})
    BertForSequenceClassification(cfg).eval().save_pretrained(folder, safe_serialization=True)
    fast.save_pretrained(folder)
