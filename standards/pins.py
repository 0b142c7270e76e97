"""The teacher-versioning policy (TEACH-001) and the canonical pin string of a model.

Each model kind states its own pin and policy (`pin`, `pin_problem` on its schema class);
these functions are the stable names the harness, the fleet and the docs call."""

from __future__ import annotations

import typing
from typing import Any

from .v1_0 import FLOATING, ModelSpec

__all__ = ["FLOATING", "MODEL_KINDS", "model_pin", "pin_problem"]


def _kinds() -> tuple[str, ...]:
    union = typing.get_args(ModelSpec)[0]
    return tuple(typing.get_args(cls.model_fields["kind"].annotation)[0] for cls in typing.get_args(union))


#: Every model kind the current standards know, in the schema's order.
MODEL_KINDS: tuple[str, ...] = _kinds()


def pin_problem(spec: Any) -> str | None:
    """Why ``spec`` (a teacher or student spec) is not pinned immutably, or None if it is."""
    return spec.pin_problem()  # type: ignore[no-any-return]


def model_pin(spec: Any) -> str:
    """The canonical pin string recorded in reports and compared by the fleet."""
    return spec.pin()  # type: ignore[no-any-return]
