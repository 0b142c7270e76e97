"""Noisy copies of the transfer set, for the teacher to label (TinyBERT's augmented transfer set).

A student distilled on a fixed set of messages learns to copy its teacher on those
wordings and little else. Each copy here is a message with a few of its words changed:

* **dropout**: a word left out ("block my card now" -> "block card now");
* **swap**: two neighbouring words trade places;
* **typo**: one letter of a word swapped with the next, dropped, doubled, or replaced by a
  neighbouring key;
* **replace**: a word replaced by one of its nearest neighbours among the teacher's own word
  embeddings ("goodbye" -> "farewell", "cancel" -> "terminate"): a word the transfer set never
  used, in a context it did. TinyBERT draws its replacements the same way (from BERT's
  predictions and GloVe neighbours).

The copies carry no gold label: the teacher labels them, so a replacement that changes the
meaning ("hello" for "goodbye") gets the teacher's new answer, not the old label.

Deterministic: copy ``c`` of row ``i`` is drawn from its own `random.Random` seeded with
``(seed, i, c)``, so a row's copies do not depend on the other rows or the thread count.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

#: Letters next to each other on a QWERTY keyboard, for typos that hit a neighbouring key.
KEYBOARD = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
_NEAR: dict[str, str] = {}
for _row_i, _row in enumerate(KEYBOARD):
    for _j, _ch in enumerate(_row):
        _near = _row[max(0, _j - 1):_j] + _row[_j + 1:_j + 2]
        for _other in (KEYBOARD[_row_i - 1] if _row_i else "", KEYBOARD[_row_i + 1] if _row_i < 2 else ""):
            _near += _other[_j:_j + 1]
        _NEAR[_ch] = _near

#: A word as the copies see it: its letters, with any punctuation around them kept in place.
_WORD = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)


@dataclass(frozen=True)
class Noise:
    """Per-word probabilities of each change (see the module docstring)."""

    dropout: float
    swap: float
    typo: float
    replace: float


def noisy_copy(text: str, noise: Noise, rng: random.Random, neighbours: dict[str, list[str]]) -> str:
    """One noisy copy of ``text``. Every word may be changed; if none was, one change is forced,
    so a copy is never its source (unless the text has nothing to change)."""
    words = text.split()
    out = _pass(words, noise, rng, neighbours)
    if out == words and words:
        out = _force_one(words, noise, rng, neighbours)
    return " ".join(out)


def _pass(words: list[str], noise: Noise, rng: random.Random, neighbours: dict[str, list[str]]) -> list[str]:
    out: list[str] = []
    for w in words:
        r = rng.random()                          # one draw per word picks at most one change
        if r < noise.dropout:
            if len(words) == 1:                   # a one-word message keeps its word
                out.append(w)
        elif r < noise.dropout + noise.replace:
            out.append(_replacement(w, rng, neighbours) or w)
        elif r < noise.dropout + noise.replace + noise.typo:
            out.append(_typo(w, rng) or w)
        else:
            out.append(w)
    if not out:                                   # every word dropped: keep one
        out = [rng.choice(words)]
    for i in range(len(out) - 1):
        if rng.random() < noise.swap:
            out[i], out[i + 1] = out[i + 1], out[i]
    return out


def _force_one(words: list[str], noise: Noise, rng: random.Random, neighbours: dict[str, list[str]]) -> list[str]:
    """Apply one change of a kind the settings allow, to a word where it applies."""
    kinds = [k for k, p in (("dropout", noise.dropout), ("swap", noise.swap), ("typo", noise.typo),
                            ("replace", noise.replace)) if p > 0]
    rng.shuffle(kinds)
    for kind in kinds:
        order = list(range(len(words)))
        rng.shuffle(order)
        for i in order:
            out = list(words)
            if kind == "dropout" and len(words) > 1:
                del out[i]
                return out
            if kind == "swap" and i + 1 < len(words) and words[i] != words[i + 1]:
                out[i], out[i + 1] = out[i + 1], out[i]
                return out
            if kind == "typo" and (typo := _typo(words[i], rng)) is not None:
                out[i] = typo
                return out
            if kind == "replace" and (alt := _replacement(words[i], rng, neighbours)) is not None:
                out[i] = alt
                return out
    return list(words)


def _replacement(word: str, rng: random.Random, neighbours: dict[str, list[str]]) -> str | None:
    pre, core, post = _WORD.match(word).groups()  # type: ignore[union-attr]  # the pattern matches any string
    alts = neighbours.get(core.lower())
    if not alts:
        return None
    return pre + rng.choice(alts) + post


def _typo(word: str, rng: random.Random) -> str | None:
    """The word with one letter swapped with the next, dropped, doubled, or hit next to its key;
    None for a word of fewer than three letters (a typo there makes another word)."""
    pre, core, post = _WORD.match(word).groups()  # type: ignore[union-attr]
    if len(core) < 3 or not core.isalpha():
        return None
    i = rng.randrange(len(core) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        core = core[:i] + core[i + 1] + core[i] + core[i + 2:]
    elif kind == 1:
        core = core[:i] + core[i + 1:]
    elif kind == 2:
        core = core[:i] + core[i] + core[i:]
    else:
        near = _NEAR.get(core[i].lower(), "")
        if not near:
            return None
        core = core[:i] + rng.choice(near) + core[i + 1:]
    return pre + core + post


def noisy_copies(texts: list[str], copies: int, noise: Noise, seed: int,
                 neighbours: dict[str, list[str]]) -> list[tuple[int, str]]:
    """``copies`` noisy copies of every text, as (source row, copy), in row order. A copy equal
    to its source or to an earlier copy of it is dropped, so the counts can be a little short."""
    out = []
    for i, text in enumerate(texts):
        seen = {text}
        for c in range(copies):
            copy = noisy_copy(text, noise, random.Random(f"{seed}:{i}:{c}"), neighbours)
            if copy not in seen:
                seen.add(copy)
                out.append((i, copy))
    return out


def embedding_neighbours(vocab: dict[str, int], embeddings: Any, words: set[str], k: int) -> dict[str, list[str]]:
    """For each of ``words`` that is a whole word piece of the teacher's vocabulary, its ``k``
    nearest whole-word pieces by cosine similarity of the teacher's input embeddings
    (``embeddings``: (V, d), rows in vocabulary order). Only alphabetic pieces of three or
    more letters take part: stop words, numbers and word fragments are left alone."""
    import torch

    def usable(piece: str) -> bool:
        return len(piece) >= 3 and piece.isalpha() and piece.isascii()

    pool = sorted((i, p) for p, i in vocab.items() if usable(p) and i < embeddings.shape[0])
    queries = sorted(w for w in words if w in vocab and usable(w))
    if not pool or not queries or k <= 0:
        return {}
    pool_ids = torch.tensor([i for i, _ in pool])
    names = [p for _, p in pool]
    e = embeddings.detach().float()
    e = torch.nn.functional.normalize(e - e.mean(0), dim=-1)             # (V, d), centred: cosine of directions
    candidates = e[pool_ids]                                             # (P, d)
    out: dict[str, list[str]] = {}
    for s in range(0, len(queries), 512):
        chunk = queries[s:s + 512]
        sims = e[torch.tensor([vocab[w] for w in chunk])] @ candidates.T  # (q, P)
        top = sims.topk(min(k + 1, len(names)), dim=-1).indices           # (q, k + 1): the word itself first
        for w, row in zip(chunk, top.tolist()):
            out[w] = [names[j] for j in row if names[j] != w][:k]
    return out
