"""Standards versions: which exist, how a manifest is dispatched on its version, and how
old versions migrate forward.

Compatibility policy
--------------------
* Every manifest states its `standards_version`; the loader validates it against the
  schema of *that* version, then migrates it step by step to the current one.
* A **minor** version (1.0 -> 1.1) only adds optional fields or renames a field whose
  migration carries the old name forward automatically: every manifest of an earlier
  minor version keeps loading unchanged.
* A **major** version (1.x -> 2.0) may remove or change the meaning of fields. It ships a
  migration function, a changelog entry saying what moved where, and keeps the old schema
  importable.
* Requirements apply from the version that introduced them: a 1.0 manifest is not held
  to a requirement added in 1.1.
* Released versions are never edited; a fix is a new version.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from pydantic import BaseModel

from . import v1_0, v1_1, v1_2

VERSIONS: dict[str, ModuleType] = {"1.0": v1_0, "1.1": v1_1, "1.2": v1_2}
CURRENT_VERSION = "1.2"

#: One entry per released version, newest first. The docs render this list.
CHANGELOG: list[dict[str, Any]] = [
    {
        "version": "1.2",
        "date": "2026-11-30",
        "changes": [
            "Added `distillation.tokenizer`: a tokenizer folder for building a new student when the teacher "
            "lends none (a `recorded` or `endpoint` teacher).",
            "Added `distillation.classification` and `distillation.generation`: the settings of each task's "
            "distillation recipe (all optional, with the recipes' defaults).",
            "`distillation.classification.augment`: teacher-labelled noisy copies of the transfer set (word "
            "dropout, swaps, typos, words replaced by the teacher's nearest word embeddings; one copy per message "
            "by default) and `unlabelled` in-domain text ({path, sha256, input}); the gold-label term counts only "
            "rows with a gold label.",
            "`distillation.classification.init_from_teacher` (on by default): a new student starts from the "
            "teacher's weights where the shapes allow, its embeddings projected onto the student's width otherwise.",
            "`distillation.classification.layerwise` (off by default): hidden states and, where the head counts "
            "match, attention follow the teacher's, through a learned projection when the widths differ.",
            "`distillation.classification.dev` and `patience`: agreement on a dev split (5% of the transfer set by "
            "default, or a named file) after every epoch; the best epoch's student is kept, training stops after "
            "`patience` (3) epochs without a better one (agreement decides; on a tie, the lower dev loss). 1.1 "
            "manifests get these defaults when they migrate.",
            "Added `sha256` to `hub` models (optional): the artifact hash of the snapshot folder.",
            "1.1 manifests migrate automatically (only the version string changes).",
        ],
    },
    {
        "version": "1.1",
        "date": "2026-11-28",
        "changes": [
            "Added `description`: one paragraph on what the model does (optional).",
            "Added `distillation`: the settings `stillhouse distill` trains with, and the "
            "architecture of a new student (optional).",
            "Renamed `monitoring.sample_path` to `monitoring.production_sample`; "
            "1.0 manifests migrate automatically.",
            "Added requirement DIST-001 (should): the distillation recipe is recorded.",
        ],
    },
    {
        "version": "1.0",
        "date": "2026-11-28",
        "changes": [
            "First release: project manifest, teacher-versioning policy, quality bars per slice, "
            "ownership and lifecycle, redistillation triggers, monitoring, eval and fleet reports.",
        ],
    },
]


class UnknownVersion(ValueError):
    """The manifest names a standards version this release does not know."""


def version_key(version: str) -> tuple[int, ...]:
    """A version string as numbers, for ordering (`1.10` after `1.9`); unparseable ones sort first."""
    try:
        return tuple(int(p) for p in version.split("."))
    except ValueError:
        return (0,)


_key = version_key


def version_at_most(version: str, other: str) -> bool:
    """True when ``version`` <= ``other`` (numeric comparison)."""
    return _key(version) <= _key(other)


def manifest_model(version: str) -> type[BaseModel]:
    """The pydantic model of the manifest of ``version``."""
    try:
        return VERSIONS[version].Manifest  # type: ignore[no-any-return]
    except KeyError:
        raise UnknownVersion(version) from None


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Carry manifest data of any released version forward to the current version."""
    version = data.get("standards_version")
    ordered = sorted(VERSIONS, key=_key)
    if version not in VERSIONS:
        raise UnknownVersion(str(version))
    for v in ordered[ordered.index(version):-1]:
        data = VERSIONS[v].migrate_to_next(data)
    return data


def parse_manifest(data: dict[str, Any]) -> BaseModel:
    """Validate ``data`` against its own version's schema, then return it as a current
    `standards.Manifest`. Raises `UnknownVersion` or `pydantic.ValidationError` (whose
    locations refer to the file as written)."""
    version = data.get("standards_version")
    if not isinstance(version, str) or version not in VERSIONS:
        raise UnknownVersion(str(version))
    manifest_model(version).model_validate(data)
    return manifest_model(CURRENT_VERSION).model_validate(migrate(data))


def field_hint(version: str, dotted: str) -> str | None:
    """Say what became of an unknown field: renamed in a later version, or only known
    from a later version."""
    for v, mod in VERSIONS.items():
        if dotted in mod.RENAMED:
            new, since = mod.RENAMED[dotted]
            if version_at_most(since, version):
                return f"`{dotted}` was renamed to `{new}` in standards {since}"
    for v in sorted(VERSIONS, key=_key):
        if _key(v) <= _key(version):
            continue
        if _has_path(VERSIONS[v].Manifest, dotted.split(".")):
            return f"`{dotted}` is a field of standards {v}: declare standards_version: \"{v}\" to use it"
    return None


def _has_path(model: type[BaseModel], parts: list[str]) -> bool:
    import typing

    current: Any = model
    for part in parts:
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return False
        ann = fields[part].annotation
        nxt = None
        for cand in (ann, *typing.get_args(ann)):
            if isinstance(cand, type) and issubclass(cand, BaseModel):
                nxt = cand
                break
        current = nxt
    return True
