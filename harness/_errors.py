"""Every error a user can cause, in one hierarchy::

    StillhouseError               .exit_code; never shown with a traceback
    ├── InputError      (exit 2)  unusable input
    │   ├── ManifestError         problems in a manifest or registry file (.problems)
    │   ├── IntegrityError        a file does not match its pin (.expected, .found)
    │   └── AdapterError          a model cannot be loaded or does not answer
    └── StandardFailed  (exit 1)  a standard or a gate failed

An error carries its context as attributes (file, field path, requirement ID), not only
in its text, so the CLI can render it as a table or JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field of one file."""

    file: str
    field: str
    expected: str
    found: str
    line: int | None = None
    hint: str | None = None
    requirement: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.field or '(document)'}: expected {self.expected}; found {self.found}"
        if self.hint:
            text += f" ({self.hint})"
        if self.requirement:
            text += f" [{self.requirement}]"
        return text

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class StillhouseError(Exception):
    """Base of every error a user can cause."""

    exit_code = 2


class InputError(StillhouseError):
    """The input cannot be used: exit code 2."""

    exit_code = 2


class ManifestError(InputError):
    """One or more problems in a manifest (or registry) file, all collected."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def file(self) -> str:
        return self.problems[0].file if self.problems else ""


class IntegrityError(InputError):
    """A file does not match the hash that pins it."""

    def __init__(self, file: str, field: str, expected: str, found: str, requirement: str | None = None):
        self.file, self.field, self.expected, self.found = file, field, expected, found
        self.requirement = requirement
        super().__init__(
            f"{file}: {field}: the pin says {expected} but the file hashes to {found}"
            + (f" [{requirement}]" if requirement else "")
            + "; refusing to run on an unpinned artifact"
        )


class AdapterError(InputError):
    """A model cannot be loaded, or does not answer as its adapter expects."""


class StandardFailed(StillhouseError):
    """A standard or gate failed: exit code 1."""

    exit_code = 1


def first_line(exc: BaseException) -> str:
    """The first line of a library's exception, for a one-line refusal (the rest is usually
    a traceback-like dump); its type's name when it has no text."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
