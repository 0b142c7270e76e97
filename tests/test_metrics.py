"""The report's figures against values computed by hand, and interval coverage on simulated data."""

from __future__ import annotations

import math
import random

import pytest

from harness import _stats as M
from harness.eval import _metrics as T
from harness.eval.adapters import Prediction
from harness.eval import slice_figures


def test_wilson_matches_hand_computed_values():
    # 8 of 10, z = 1.96: centre (0.8 + 1.9208/10) / 1.38415 = 0.71674,
    # half 1.96 * sqrt(0.016 + 0.00096) / 1.38415 = 0.18443
    low, high = M.wilson(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    # edges: 0 of n starts at exactly 0, n of n ends at exactly 1
    assert M.wilson(0, 10) == (0.0, pytest.approx(0.2775, abs=1e-4))
    assert M.wilson(10, 10) == (pytest.approx(0.7225, abs=1e-4), 1.0)
    # a slice of one: 1 of 1 -> [z²/(n+z²)... ] = [0.2065, 1]
    assert M.wilson(1, 1) == (pytest.approx(1 / (1 + M.Z95**2), abs=1e-6), 1.0)
    with pytest.raises(ValueError):
        M.wilson(0, 0)


@pytest.mark.parametrize("p", [0.03, 0.5, 0.9])
@pytest.mark.parametrize("n", [20, 200])
def test_wilson_covers_the_true_proportion_about_95_percent_of_the_time(p, n):
    rng = random.Random(1234)
    trials = 2000
    covered = 0
    for _ in range(trials):
        k = sum(rng.random() < p for _ in range(n))
        low, high = M.wilson(k, n)
        covered += low <= p <= high
    # Wilson's coverage oscillates around 95%; over 2000 trials the binomial noise is ±1%.
    assert 0.91 <= covered / trials <= 0.99, covered / trials


def test_paired_bootstrap_interval_covers_the_true_difference():
    rng = random.Random(7)
    n, trials, covered = 150, 200, 0
    for _ in range(trials):
        t = [rng.random() < 0.80 for _ in range(n)]
        s = [x if rng.random() < 0.9 else not x for x in t]  # true delta = 0.1*(0.2 - 0.8) = -0.06
        res = M.paired_comparison(s, t)
        covered += res["low"] <= -0.06 <= res["high"]
    assert 0.88 <= covered / trials <= 1.0


def test_divergences_by_hand():
    assert M.js_divergence([0.5, 0.5], [0.5, 0.5]) == pytest.approx(0.0)
    assert M.js_divergence([1, 0], [0, 1]) == pytest.approx(1.0)
    # KL([0.5,0.5] || [0.9,0.1]) = 0.5 ln(0.5/0.9) + 0.5 ln(0.5/0.1)
    assert M.kl_divergence([0.5, 0.5], [0.9, 0.1]) == pytest.approx(0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(5))
    assert M.kl_divergence([2, 2], [9, 1]) == pytest.approx(M.kl_divergence([0.5, 0.5], [0.9, 0.1]))


def test_text_metrics_by_hand():
    assert T.exact_match("The Cat sat.", "cat sat")
    assert not T.exact_match("cat sat", "cat sat down")
    # prediction "x1 b c d", reference "x1 b e": common 2, P = 2/4, R = 2/3, F1 = 4/7
    assert T.token_f1("x1 b c d", "x1 b e") == pytest.approx(4 / 7)
    assert T.token_f1("", "") == 1.0 and T.token_f1("x", "") == 0.0
    assert T.token_f1("a", "") == 1.0  # "a" is an article: both normalise to nothing
    assert T.token_f1("q", "r") == 0.0


def test_mcnemar_by_hand():
    # 8 discordant pairs split 1/7: p = 2 * (C(8,0)+C(8,1)) / 2^8 = 18/256
    assert M.mcnemar_p(1, 7) == pytest.approx(18 / 256)
    assert M.mcnemar_p(0, 0) == 1.0


def test_percentiles_by_hand():
    assert M.percentile([1, 2, 3, 4, 5], 50) == 3
    assert M.percentile([1, 2, 3, 4], 50) == 2.5
    assert M.percentile(list(range(1, 101)), 95) == pytest.approx(95.05)


def _preds(outputs, probs=None):
    return [Prediction(o, probs[i] if probs else None) for i, o in enumerate(outputs)]


def test_all_correct_slice():
    refs = ["a", "b", "a", "b"]
    res, flags = slice_figures("s", [0, 1, 2, 3], "classification", _preds(refs), _preds(refs), refs)
    assert res.n == 4
    assert res.student_accuracy.value == 1.0 and res.student_accuracy.high == 1.0
    assert res.student_accuracy.low == pytest.approx(M.wilson(4, 4)[0])
    assert res.agreement.value == 1.0
    assert res.paired.delta == 0.0 and res.paired.low == 0.0 and res.paired.high == 0.0 and res.paired.p_value == 1.0
    assert flags.student_correct == [True] * 4


def test_all_wrong_slice_and_divergences():
    refs = ["a", "b", "a"]
    teacher = _preds(["a", "b", "a"], [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    student = _preds(["b", "a", "b"], [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    res, _ = slice_figures("s", [0, 1, 2], "classification", teacher, student, refs)
    assert res.student_accuracy.value == 0.0 and res.student_accuracy.low == 0.0
    assert res.teacher_accuracy.value == 1.0
    assert res.agreement.value == 0.0
    assert res.paired.delta == -1.0 and res.paired.high == -1.0
    assert res.paired.p_value == pytest.approx(2 * 1 / 8)  # 3 discordant pairs, all the teacher's
    assert res.js_divergence == pytest.approx(1.0)


def test_slice_of_one_and_empty_slice():
    refs = ["a", "b"]
    res, _ = slice_figures("one", [1], "classification", _preds(["a", "b"]), _preds(["a", "a"]), refs)
    assert res.n == 1 and res.student_accuracy.value == 0.0 and res.teacher_accuracy.value == 1.0
    assert res.student_accuracy.high == pytest.approx(M.wilson(0, 1)[1])
    empty, _ = slice_figures("none", [], "classification", _preds(["a", "b"]), _preds(["a", "a"]), refs)
    assert empty.n == 0 and empty.student_accuracy is None and empty.agreement is None


def test_generation_slice_figures():
    refs = ["three one", "four"]
    teacher = _preds(["three one", "four"])
    student = _preds(["three two", "Four."])
    res, _ = slice_figures("all", [0, 1], "generation", teacher, student, refs)
    assert res.student_accuracy.value == 0.5  # "Four." normalises to "four"
    assert res.agreement.value == 0.5
    assert res.token_f1.value == pytest.approx((0.5 + 1.0) / 2)
    assert res.reference_token_f1.value == pytest.approx(0.75)
    assert res.js_divergence is None


def test_vectorised_divergences_equal_the_plain_ones():
    rng = random.Random(3)
    p = [[rng.random() for _ in range(4)] for _ in range(50)] + [[1, 0, 0, 0]]
    q = [[rng.random() for _ in range(4)] for _ in range(50)] + [[0, 1, 0, 0]]
    js, kl = M.mean_divergences(p, q)
    assert js == pytest.approx(sum(M.js_divergence(a, b) for a, b in zip(p, q)) / 51)
    assert kl == pytest.approx(sum(M.kl_divergence(a, b) for a, b in zip(p, q)) / 51)


def test_mcnemar_is_fast_and_exact_for_large_counts():
    assert M.mcnemar_p(4000, 4000) == pytest.approx(1.0)
    # n = 10: k = 2 -> 2 * (1 + 10 + 45) / 1024
    assert M.mcnemar_p(2, 8) == pytest.approx(2 * 56 / 1024)
    assert M.mcnemar_p(3000, 3300) < 1e-3
