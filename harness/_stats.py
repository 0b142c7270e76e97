"""Every statistic Stillhouse reports, once, as plain functions of plain lists.

Methods, stated once (reports and drift records repeat them next to every figure):

- proportions (accuracy, agreement, exact match): the **Wilson score interval**; it keeps
  its coverage near the nominal level for small slices and for proportions near 0 or 1,
  where the textbook normal interval collapses to a point;
- means of per-item scores (token F1): the normal interval, mean ± z·s/√n;
- the student vs the teacher on the same items: the **paired bootstrap** of the
  difference in accuracy (2,000 resamples, fixed seed, so a report is reproducible),
  with an exact McNemar p-value on the discordant pairs;
- divergences between probability vectors: Jensen-Shannon in bits (0 to 1) and
  KL(p || q) in nats; the Jensen-Shannon *distance* is the square root of the divergence;
- distribution shift between two histograms: the population stability index (PSI).

numpy is imported inside the functions that need it; this module loads with the light
commands.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from statistics import NormalDist

Z95 = 1.959963984540054
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0
WILSON = "wilson"
NORMAL = "normal (mean ± 1.96·s/√n)"
#: Shares below this count as this much in PSI, so an empty bin does not make it infinite.
PSI_FLOOR = 1e-4
#: KL's second argument is clipped here, so a zero where the first has mass stays finite.
KL_FLOOR = 1e-12


def z_for(confidence: float, two_sided: bool = True) -> float:
    """The standard normal quantile for ``confidence``."""
    if confidence == 0.95 and two_sided:
        return Z95
    tail = (1 - confidence) / 2 if two_sided else 1 - confidence
    return NormalDist().inv_cdf(1 - tail)


# --- proportions and means ----------------------------------------------------------------


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for ``successes`` out of ``n`` (n ≥ 1)."""
    if n <= 0:
        raise ValueError("wilson needs n ≥ 1")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie in 0..{n}, found {successes}")
    z = z_for(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # Clamp away rounding: at p = 0 the lower end is exactly 0 (and 1 at p = 1).
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def proportion(flags: Sequence[bool]) -> tuple[float, float, float] | None:
    """(value, low, high) of the share of true flags with its Wilson 95% interval; None if empty."""
    n = len(flags)
    if n == 0:
        return None
    k = sum(bool(f) for f in flags)
    low, high = wilson(k, n)
    return k / n, low, high


def mean_interval(values: Sequence[float]) -> tuple[float, float, float] | None:
    """(mean, low, high) of scores in 0..1 with the normal 95% interval; one value has a zero-width one."""
    n = len(values)
    if n == 0:
        return None
    m = sum(values) / n
    if n == 1:
        return m, m, m
    var = sum((v - m) ** 2 for v in values) / (n - 1)
    half = Z95 * math.sqrt(var / n)
    return m, max(0.0, m - half), min(1.0, m + half)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear interpolation between order statistics."""
    return quantile(sorted(values), q / 100)


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile of already sorted values."""
    if not sorted_values:
        raise ValueError("quantile of nothing")
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


# --- divergences --------------------------------------------------------------------------


def _normalise(p: Sequence[float]) -> list[float]:
    s = float(sum(p))
    if not s > 0 or not math.isfinite(s):
        raise ValueError("a probability vector must have a positive, finite sum")
    return [max(float(x), 0.0) / s for x in p]


def kl_divergence(p: Sequence[float], q: Sequence[float]) -> float:
    """KL(p || q) in nats, after normalising both; q is clipped at `KL_FLOOR`."""
    p, q = _normalise(p), _normalise(q)
    return sum(pi * math.log(pi / max(qi, KL_FLOOR)) for pi, qi in zip(p, q) if pi > 0)


def js_divergence(p: Sequence[float], q: Sequence[float]) -> float:
    """Jensen-Shannon divergence in bits, after normalising both: 0 for equal vectors, 1 for disjoint ones."""
    p, q = _normalise(p), _normalise(q)
    m = [(a + b) / 2 for a, b in zip(p, q)]

    def kl2(a: list[float], b: list[float]) -> float:
        return sum(x * math.log2(x / y) for x, y in zip(a, b) if x > 0)

    return max(0.0, 0.5 * kl2(p, m) + 0.5 * kl2(q, m))


def js_distance(p: Sequence[float], q: Sequence[float]) -> float:
    """Jensen-Shannon distance (the square root of `js_divergence`): a metric between 0 and 1.
    Two all-zero mixes have no shape to compare and are 0 apart."""
    if sum(p) <= 0 or sum(q) <= 0:
        return 0.0
    return math.sqrt(js_divergence(p, q))


def mean_divergences(p: Sequence[Sequence[float]], q: Sequence[Sequence[float]]) -> tuple[float, float]:
    """(mean JS divergence in bits, mean KL(p || q) in nats) over paired rows: the same
    definitions as `js_divergence` and `kl_divergence`, vectorised."""
    import numpy as np

    a = np.clip(np.asarray(p, dtype=np.float64), 0, None)
    b = np.clip(np.asarray(q, dtype=np.float64), 0, None)
    a /= a.sum(axis=1, keepdims=True)
    b /= b.sum(axis=1, keepdims=True)
    m = (a + b) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        def kl2(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            return np.where(x > 0, x * np.log2(x / y), 0.0).sum(axis=1)

        js = np.maximum(0.5 * kl2(a, m) + 0.5 * kl2(b, m), 0.0)
        kl = np.where(a > 0, a * np.log(a / np.maximum(b, KL_FLOOR)), 0.0).sum(axis=1)
    return float(js.mean()), float(kl.mean())


# --- distribution shift ---------------------------------------------------------------------


def psi(expected: Sequence[float], actual: Sequence[float]) -> float:
    """Population stability index: sum (a - e) ln(a / e) over bins, shares floored at `PSI_FLOOR`."""
    total = 0.0
    for e, a in zip(expected, actual):
        e, a = max(e, PSI_FLOOR), max(a, PSI_FLOOR)
        total += (a - e) * math.log(a / e)
    return total


def binary_psi(expected_share: float, actual_share: float) -> float:
    """PSI of one membership share: the two bins 'in' and 'not in'."""
    return psi([expected_share, 1 - expected_share], [actual_share, 1 - actual_share])


def quantile_edges(reference: Sequence[float], bins: int) -> list[float]:
    """Upper edges of up to ``bins`` quantile bins of ``reference`` (ties merged)."""
    ref = sorted(reference)
    edges = [ref[min(len(ref) - 1, int(len(ref) * i / bins))] for i in range(1, bins)]
    return sorted(set(edges))


def histogram(values: Sequence[float], edges: Sequence[float]) -> list[float]:
    """Shares of ``values`` in the bins (-inf, e0], (e0, e1], ..., (e_last, inf)."""
    counts = [0] * (len(edges) + 1)
    for v in values:
        counts[bisect.bisect_left(edges, v)] += 1
    n = len(values) or 1
    return [c / n for c in counts]


# --- paired comparison ------------------------------------------------------------------------


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


def _discordant(student: Sequence[bool], teacher: Sequence[bool]) -> tuple[int, int]:
    up = sum(1 for s, t in zip(student, teacher) if s and not t)
    down = sum(1 for s, t in zip(student, teacher) if t and not s)
    return up, down


def bootstrap_deltas(student: Sequence[bool], teacher: Sequence[bool],
                     resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> list[float]:
    """Resampled means of (student − teacher) over items, sorted ascending.

    Each item's difference is −1, 0 or +1, so resampling n items with replacement is a
    multinomial draw over those three outcomes: exact, and cheap for any n."""
    import numpy as np

    n = len(student)
    if n == 0 or n != len(teacher):
        raise ValueError("paired lists must be non-empty and of equal length")
    up, down = _discordant(student, teacher)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, [up / n, down / n, 1 - (up + down) / n], size=resamples)
    deltas = (counts[:, 0] - counts[:, 1]) / n
    return sorted(float(d) for d in deltas)


def paired_comparison(student: Sequence[bool], teacher: Sequence[bool],
                      confidence: float = 0.95) -> dict[str, float | str]:
    """Student minus teacher on the same items: delta, two-sided bootstrap interval, McNemar p."""
    deltas = bootstrap_deltas(student, teacher)
    n = len(student)
    delta = (sum(map(bool, student)) - sum(map(bool, teacher))) / n
    alpha = 1 - confidence
    up, down = _discordant(student, teacher)
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


def certifiable_drop(n: int, discordance: float, confidence: float) -> float:
    """The smallest drop a paired test can rule out on ``n`` items for a student as accurate
    as the teacher that disagrees with it (one right, the other wrong) on a share
    ``discordance`` of them: the normal one-sided bound z·sqrt(d/n) of their mean
    difference, with d at least 1/n. A bar allowing less than this cannot pass on that
    slice, however good the student."""
    if n <= 0:
        return float("inf")
    d = max(discordance, 1.0 / n)
    return z_for(confidence, two_sided=False) * math.sqrt(d / n)
