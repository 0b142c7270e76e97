"""The teacher of the generation example: an in-house rules engine exposed as a Python
callable (`spell_teacher:spell`), pinned in the manifest by its version.

It receives the prompts built from the manifest's template and answers one string each.
"""

from __future__ import annotations

NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
VERSION = "2026-11-01"


def spell(prompts: list[str]) -> list[str]:
    """`spell: 3 1 4 =` -> `three one four`."""
    out = []
    for p in prompts:
        digits = p.removeprefix("spell:").removesuffix("=").split()
        out.append(" ".join(NAMES[int(d)] for d in digits))
    return out
