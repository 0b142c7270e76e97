"""`stillhouse distill`: train a student from its teacher. Each recipe reads top to bottom:
`_classification.py` (soft labels) and `_generative.py` (causal LMs, sequence or token
level); batching and tokenizer handling sit beside them.

Light to import: torch and transformers are imported when a student is trained."""

from __future__ import annotations

from ._batching import GROUP_BATCHES, length_grouped_batches
from ._classification import RECORD_FILE, DistillResult, distill, teacher_logits, train_student
from ._generative import divergence, train_generative
from ._tokenizers import prune_vocabulary, tokenizer_mismatch

__all__ = ["GROUP_BATCHES", "RECORD_FILE", "DistillResult", "distill", "divergence", "length_grouped_batches",
           "prune_vocabulary", "teacher_logits", "tokenizer_mismatch", "train_generative", "train_student"]
