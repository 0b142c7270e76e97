"""Standards 1.2: the settings of the classification recipe beyond 1.1's
`loss = (1 - alpha) * CE(student, gold) + alpha * T^2 * KL(teacher/T || student/T)`."""

from __future__ import annotations

from pydantic import Field

from .._base import StrictModel


class ClassificationRecipe(StrictModel):
    """Extras of the classification recipe (issue #19 fills these in)."""
