"""The requirement catalogue, loaded from `catalogue.yaml` beside this module."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, model_validator

from ._base import StrictModel

CATALOGUE_PATH = Path(__file__).with_name("catalogue.yaml")


class Area(StrictModel):
    """A group of requirements; each area is one page of the standards."""

    id: str
    title: str
    summary: str


class Requirement(StrictModel):
    """One rule: its text, why it exists, and how it is checked."""

    id: str = Field(pattern=r"^[A-Z]+-\d{3}$", description="Stable ID, e.g. `EVAL-001`.")
    area: str = Field(description="Area (docs page) it belongs to.")
    level: Literal["must", "should"] = Field(description="`must` fails validation; `should` warns.")
    text: str = Field(description="The requirement.")
    rationale: str = Field(description="Why it exists.")
    check: Literal["automatic", "manual"] = Field(description="Checked by `stillhouse validate`, or by a reviewer.")
    question: str | None = Field(default=None, description="Manual requirements: the reviewer's question.")
    introduced: str = Field(description="Standards version that introduced it.")

    @model_validator(mode="after")
    def _manual_has_question(self) -> Requirement:
        if self.check == "manual" and not self.question:
            raise ValueError(f"{self.id}: a manual requirement needs a reviewer's question")
        return self


class Catalogue(StrictModel):
    """All areas and requirements."""

    areas: list[Area]
    requirements: list[Requirement]

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
        area_ids = {a.id for a in self.areas}
        seen: set[str] = set()
        for r in self.requirements:
            if r.id in seen:
                raise ValueError(f"requirement {r.id} is listed twice")
            seen.add(r.id)
            if r.area not in area_ids:
                raise ValueError(f"requirement {r.id} names unknown area {r.area!r}")
        return self

    def by_id(self, rid: str) -> Requirement:
        for r in self.requirements:
            if r.id == rid:
                return r
        raise KeyError(rid)

    def in_area(self, area: str) -> list[Requirement]:
        return [r for r in self.requirements if r.area == area]


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read a catalogue file (default: the one shipped with `standards`)."""
    if path is None:
        return _default_catalogue()
    return Catalogue.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def _default_catalogue() -> Catalogue:
    return Catalogue.model_validate(yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8")))
