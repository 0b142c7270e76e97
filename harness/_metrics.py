"""The figures of the standard report, as plain functions of plain lists.

Methods, stated once (the report repeats them next to every interval):

- proportions (accuracy, agreement, exact match): the **Wilson score interval** at 95%;
  it keeps its coverage near 95% for small slices and for proportions near 0 or 1,
  where the textbook normal interval collapses to a point;
- means of per-item scores (token F1): the normal interval, mean ± 1.96·s/√n;
- the student vs the teacher on the same items: the **paired bootstrap** of the
  difference in accuracy (2,000 resamples, fixed seed, so a report is reproducible),
  with an exact McNemar p-value on the discordant pairs;
- divergences between probability vectors: Jensen-Shannon in bits (0 to 1) and
  KL(teacher || student) in nats, each averaged over items.

numpy is imported inside the functions that need it; this module loads with the
light commands.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence
from typing import Any

Z95 = 1.959963984540054
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0
WILSON = "wilson"
NORMAL = "normal (mean ± 1.96·s/√n)"


def z_for(confidence: float, two_sided: bool = True) -> float:
    """The standard normal quantile for ``confidence``."""
    from statistics import NormalDist

    tail = (1 - confidence) / 2 if two_sided else 1 - confidence
    return NormalDist().inv_cdf(1 - tail)


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for ``successes`` out of ``n`` (n ≥ 1)."""
    if n <= 0:
        raise ValueError("wilson needs n ≥ 1")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie in 0..{n}, found {successes}")
    z = Z95 if confidence == 0.95 else z_for(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # Clamp away rounding: at p = 0 the lower end is exactly 0 (and 1 at p = 1).
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def proportion(flags: Sequence[bool]) -> tuple[float, float, float] | None:
    """(value, low, high) of the share of true flags with its Wilson interval; None if empty."""
    n = len(flags)
    if n == 0:
        return None
    k = sum(bool(f) for f in flags)
    low, high = wilson(k, n)
    return k / n, low, high


def mean_interval(values: Sequence[float]) -> tuple[float, float, float] | None:
    """(mean, low, high) with the normal interval; a single value has a zero-width one."""
    n = len(values)
    if n == 0:
        return None
    m = sum(values) / n
    if n == 1:
        return m, m, m
    var = sum((v - m) ** 2 for v in values) / (n - 1)
    half = Z95 * math.sqrt(var / n)
    return m, max(0.0, m - half), min(1.0, m + half)


# --- divergences ------------------------------------------------------------------------

_EPS = 1e-12


def _normalise(p: Sequence[float]) -> list[float]:
    s = float(sum(p))
    if s <= 0:
        raise ValueError("a probability vector must have a positive sum")
    return [max(float(x), 0.0) / s for x in p]


def kl_divergence(p: Sequence[float], q: Sequence[float]) -> float:
    """KL(p || q) in nats; q is clipped at 1e-12 so a zero where p has mass stays finite."""
    p, q = _normalise(p), _normalise(q)
    return sum(pi * math.log(pi / max(qi, _EPS)) for pi, qi in zip(p, q) if pi > 0)


def js_divergence(p: Sequence[float], q: Sequence[float]) -> float:
    """Jensen-Shannon divergence in bits: 0 for equal vectors, 1 for disjoint ones."""
    p, q = _normalise(p), _normalise(q)
    m = [(a + b) / 2 for a, b in zip(p, q)]

    def kl2(a: list[float], b: list[float]) -> float:
        return sum(x * math.log2(x / y) for x, y in zip(a, b) if x > 0)

    return max(0.0, 0.5 * kl2(p, m) + 0.5 * kl2(q, m))


def mean_divergences(p: Sequence[Sequence[float]], q: Sequence[Sequence[float]]) -> tuple[float, float]:
    """(mean JS in bits, mean KL(p || q) in nats) over paired rows, vectorised; same
    definitions as `js_divergence` and `kl_divergence`."""
    import numpy as np

    a = np.clip(np.asarray(p, dtype=np.float64), 0, None)
    b = np.clip(np.asarray(q, dtype=np.float64), 0, None)
    a /= a.sum(axis=1, keepdims=True)
    b /= b.sum(axis=1, keepdims=True)
    m = (a + b) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        def kl2(x: Any, y: Any) -> Any:
            return np.where(x > 0, x * np.log2(x / y), 0.0).sum(axis=1)

        js = np.maximum(0.5 * kl2(a, m) + 0.5 * kl2(b, m), 0.0)
        kl = np.where(a > 0, a * np.log(a / np.maximum(b, _EPS)), 0.0).sum(axis=1)
    return float(js.mean()), float(kl.mean())


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


# --- paired comparison --------------------------------------------------------------------


def mcnemar_p(student_only: int, teacher_only: int) -> float:
    """Exact two-sided McNemar p-value from the discordant pairs."""
    n = student_only + teacher_only
    if n == 0:
        return 1.0
    k = min(student_only, teacher_only)
    # Binomial(n, 1/2) lower tail, summed in log space: exact to float precision, O(k).
    log_terms = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) - n * math.log(2)
                 for i in range(k + 1)]
    top = max(log_terms)
    tail = math.exp(top) * sum(math.exp(t - top) for t in log_terms)
    return min(1.0, 2 * tail)


def bootstrap_deltas(student: Sequence[bool], teacher: Sequence[bool],
                     resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> list[float]:
    """Resampled means of (student − teacher) over items, sorted ascending.

    Each item's difference is −1, 0 or +1, so resampling n items with replacement is a
    multinomial draw over those three outcomes: exact, and cheap for any n."""
    import numpy as np

    n = len(student)
    if n == 0 or n != len(teacher):
        raise ValueError("paired lists must be non-empty and of equal length")
    up = sum(1 for s, t in zip(student, teacher) if s and not t)
    down = sum(1 for s, t in zip(student, teacher) if t and not s)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, [up / n, down / n, 1 - (up + down) / n], size=resamples)
    deltas = (counts[:, 0] - counts[:, 1]) / n
    return sorted(float(d) for d in deltas)


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile of already sorted values."""
    if not sorted_values:
        raise ValueError("quantile of nothing")
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def paired_comparison(student: Sequence[bool], teacher: Sequence[bool],
                      confidence: float = 0.95) -> dict[str, float | str]:
    """Student minus teacher on the same items: delta, two-sided bootstrap interval, McNemar p."""
    deltas = bootstrap_deltas(student, teacher)
    n = len(student)
    delta = (sum(map(bool, student)) - sum(map(bool, teacher))) / n
    alpha = 1 - confidence
    up = sum(1 for s, t in zip(student, teacher) if s and not t)
    down = sum(1 for s, t in zip(student, teacher) if t and not s)
    return {
        "delta": delta,
        "low": quantile(deltas, alpha / 2),
        "high": quantile(deltas, 1 - alpha / 2),
        "confidence": confidence,
        "method": f"paired bootstrap ({BOOTSTRAP_RESAMPLES} resamples, seed {BOOTSTRAP_SEED}); exact McNemar p",
        "p_value": mcnemar_p(up, down),
    }


def paired_lower_bound(student: Sequence[bool], teacher: Sequence[bool], confidence: float) -> float:
    """One-sided lower confidence bound of (student − teacher) accuracy: the bound a
    "not worse than the teacher by more than δ" bar compares with −δ."""
    return quantile(bootstrap_deltas(student, teacher), 1 - confidence)


# --- latency ----------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear interpolation between order statistics."""
    return quantile(sorted(values), q / 100)
