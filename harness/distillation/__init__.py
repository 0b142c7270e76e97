"""`stillhouse distill`: train a student from its teacher. The recipe reads top to bottom in
`_classification.py`; batching and tokenizer handling sit beside it.

Light to import: torch and transformers are imported when a student is trained."""

from __future__ import annotations

from ._batching import GROUP_BATCHES, length_grouped_batches
from ._classification import RECORD_FILE, DistillResult, distill, teacher_logits, train_student
from ._tokenizers import prune_vocabulary, tokenizer_mismatch

__all__ = ["GROUP_BATCHES", "RECORD_FILE", "DistillResult", "distill", "length_grouped_batches", "prune_vocabulary",
           "teacher_logits", "tokenizer_mismatch", "train_student"]
