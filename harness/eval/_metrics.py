"""Text metrics for generation: SQuAD-style normalisation, exact match and token F1.

Every interval and test lives in `harness._stats`; this module only scores texts."""

from __future__ import annotations

import re
import string
from collections import Counter

# --- text -----------------------------------------------------------------------------

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def normalise_text(text: str) -> str:
    """SQuAD-style normalisation: lower case, no punctuation, no articles, single spaces."""
    text = str(text).lower().translate(_PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, reference: str) -> bool:
    """Equal after `normalise_text`."""
    return normalise_text(prediction) == normalise_text(reference)


def token_f1(prediction: str, reference: str) -> float:
    """Token-level F1 after `normalise_text` (SQuAD definition); two empty texts score 1."""
    p, r = normalise_text(prediction).split(), normalise_text(reference).split()
    if not p or not r:
        return float(p == r)
    common = sum((Counter(p) & Counter(r)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(r)
    return 2 * precision * recall / (precision + recall)
