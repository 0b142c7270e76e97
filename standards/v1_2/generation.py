"""Standards 1.2: the settings of the generative recipe: a causal-LM student learning from
the teacher's outputs (sequence level) or its next-token distributions (token level)."""

from __future__ import annotations

from pydantic import Field

from .._base import StrictModel


class GenerationRecipe(StrictModel):
    """How a causal-LM student is distilled (issue #17 fills these in)."""
