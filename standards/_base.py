"""Building blocks shared by every schema version.

Every model forbids unknown fields: a typo in a manifest is an error that names the
field, never a silently ignored setting.
"""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

PLACEHOLDER_PREFIX = "<FILL-IN"
PLACEHOLDER_RE = re.compile(r"^<FILL-IN(:[^>]*)?>$")


class StrictModel(BaseModel):
    """Base of every Stillhouse schema: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", validate_default=True, use_attribute_docstrings=False)


def _members(annotation: Any) -> list[Any]:
    """The types a field annotation admits, through unions and `Annotated`."""
    if get_origin(annotation) is Annotated:
        return _members(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        return [m for a in get_args(annotation) for m in _members(a)]
    return [annotation]


class ManifestModel(StrictModel):
    """Base of every manifest schema: a `StrictModel` that also refuses `true` or `false`
    where a number goes, which pydantic would read as 1 or 0 (`epochs: true`, `minimum: yes`)."""

    #: Keys of this class's fields that take a number and not a bool; set per class.
    number_fields: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        numbers = []
        for name, info in cls.model_fields.items():
            members = _members(info.annotation)
            if bool not in members and (int in members or float in members):
                numbers.append(info.alias or name)
        cls.number_fields = tuple(numbers)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_for_a_number(cls, data: Any) -> Any:
        if cls.number_fields and isinstance(data, dict):
            for key in cls.number_fields:
                value = data.get(key)
                if value is True or value is False:
                    # As text it fails the number's own check, which names the field and what it found.
                    data = {**data, key: "true" if value else "false"}
        return data


Placeholder = Annotated[
    str,
    StringConstraints(pattern=PLACEHOLDER_RE.pattern),
    Field(description="A placeholder left by `stillhouse init`, e.g. `<FILL-IN: row count>`."),
]
"""A value `stillhouse init` leaves for the user to fill in; validation fails on it (MAN-001)."""

SLUG_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,79}$"

Slug = Annotated[
    str,
    StringConstraints(pattern=SLUG_PATTERN),
]
"""Lower-case name: letters, digits, '.', '_' and '-', at most 80 characters."""

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
"""A number between 0 and 1 inclusive."""


def is_placeholder(value: object) -> bool:
    """True when ``value`` is a string left as a `stillhouse init` placeholder."""
    return isinstance(value, str) and value.strip().startswith(PLACEHOLDER_PREFIX)
