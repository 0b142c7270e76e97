"""Batches for training: rows of similar token length together, so little of a batch is padding."""

from __future__ import annotations

from typing import Any

#: Batches are formed within groups of this many batches' worth of shuffled rows.
GROUP_BATCHES = 50


def length_grouped_batches(lengths: list[int], batch_size: int, generator: Any) -> list[list[int]]:
    """One epoch's batches of row indices: rows shuffled, cut into groups of
    ``GROUP_BATCHES * batch_size``, each group sorted by token length (longest first) and cut
    into batches, and the batches shuffled. Every row appears once; a batch holds rows of
    similar length, so little of it is padding (benchmarks/distill_batching.py measures how
    little), while which rows meet in a batch still changes every epoch. The same idea as transformers' `group_by_length`.
    Deterministic for a given generator state."""
    import torch

    order = torch.randperm(len(lengths), generator=generator).tolist()
    group = GROUP_BATCHES * batch_size
    batches = []
    for start in range(0, len(order), group):
        rows = sorted(order[start:start + group], key=lambda i: -lengths[i])   # stable: ties keep the shuffle
        batches += [rows[s:s + batch_size] for s in range(0, len(rows), batch_size)]
    shuffle = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in shuffle]
