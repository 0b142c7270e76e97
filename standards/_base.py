"""Building blocks shared by every schema version.

Every model forbids unknown fields: a typo in a manifest is an error that names the
field, never a silently ignored setting.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

PLACEHOLDER_PREFIX = "<FILL-IN"
PLACEHOLDER_RE = re.compile(r"^<FILL-IN(:[^>]*)?>$")


class StrictModel(BaseModel):
    """Base of every Stillhouse schema: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", validate_default=True, use_attribute_docstrings=False)


Placeholder = Annotated[
    str,
    StringConstraints(pattern=PLACEHOLDER_RE.pattern),
    Field(description="A placeholder left by `stillhouse init`, e.g. `<FILL-IN: row count>`."),
]
"""A value `stillhouse init` leaves for the user to fill in; validation fails on it (MAN-001)."""

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,79}$"),
]
"""Lower-case name: letters, digits, '.', '_' and '-', at most 80 characters."""

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
"""A number between 0 and 1 inclusive."""


def is_placeholder(value: object) -> bool:
    """True when ``value`` is a string left as a `stillhouse init` placeholder."""
    return isinstance(value, str) and value.strip().startswith(PLACEHOLDER_PREFIX)
