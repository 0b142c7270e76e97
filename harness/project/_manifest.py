"""Loading a project: find the manifest, read it safely, validate it against its own
standards version, migrate it forward, and keep every path inside the project folder."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

import standards
from standards import CURRENT_VERSION, VERSIONS, UnknownVersion, field_hint, manifest_model, parse_manifest
from standards._base import PLACEHOLDER_RE
from standards.pins import MODEL_KINDS as _KINDS
from standards.v1_0 import URL_WITHOUT_CREDENTIALS

from .._errors import ManifestError, Problem
from .._yaml import read_yaml_file

#: The file names a project's manifest may have, in the order they are looked for.
MANIFEST_NAMES = ("stillhouse.yaml", "stillhouse.yml")


@dataclass
class Project:
    """A loaded, schema-valid project."""

    dir: Path
    manifest_file: Path
    manifest: standards.Manifest
    raw: dict[str, Any]
    declared_version: str
    manifest_sha256: str
    lines: dict[str, int] = field(default_factory=dict)

    def path(self, rel: str) -> Path:
        """A manifest path resolved inside the project (checked at load time)."""
        return (self.dir / rel).resolve()

    def check_context(self, today: dt.date | None = None) -> standards.CheckContext:
        ctx = standards.CheckContext(
            manifest=self.manifest, project_dir=self.dir, manifest_file=self.manifest_file,
            raw=self.raw, declared_version=self.declared_version,
        )
        if today is not None:
            ctx.today = today
        return ctx


def find_manifest(target: Path) -> Path:
    """The manifest file of a project folder, or ``target`` itself if it is a file."""
    target = Path(target)
    if target.is_file():
        return target
    if target.is_dir():
        for name in MANIFEST_NAMES:
            if (target / name).is_file():
                return target / name
        raise ManifestError([Problem(
            file=str(target), field="", expected=f"a project folder with {MANIFEST_NAMES[0]}",
            found="no manifest in it", hint="`stillhouse init NAME` creates one")])
    raise ManifestError([Problem(file=str(target), field="", expected="a project folder or manifest file",
                                 found="no such file or folder")])


def load_project(target: Path | str = ".") -> Project:
    """Load and validate a project; raise `ManifestError` (exit 2) listing every problem."""
    mfile = find_manifest(Path(target))
    name = str(mfile)
    data, lines, raw = read_yaml_file(mfile, display=name)
    if not isinstance(data, dict):
        kind = {list: "a list", str: "a single string", int: "a number", float: "a number",
                bool: "a boolean"}.get(type(data), type(data).__name__)
        raise ManifestError([Problem(name, "", "a mapping of manifest fields", kind, line=1)])
    version = data.get("standards_version")
    if version is None:
        raise ManifestError([Problem(name, "standards_version", f'a version string, e.g. "{CURRENT_VERSION}"',
                                     "nothing (field missing)", line=1)])
    if not isinstance(version, str):
        hint = f'quote it, e.g. standards_version: "{CURRENT_VERSION}"' if isinstance(version, (int, float)) else None
        raise ManifestError([Problem(name, "standards_version", f"a quoted version string: one of {', '.join(VERSIONS)}",
                                     f"{version!r} ({type(version).__name__})", line=lines.get("standards_version"),
                                     hint=hint)])
    try:
        manifest = parse_manifest(data)
    except UnknownVersion:
        raise ManifestError([Problem(name, "standards_version", f"a known version: one of {', '.join(VERSIONS)}",
                                     repr(version), line=lines.get("standards_version"),
                                     hint="this release of Stillhouse may be older than the manifest")]) from None
    except ValidationError as exc:
        raise ManifestError(pydantic_problems(exc, name, data, lines, manifest_model(version), version)) from None
    project_dir = mfile.resolve().parent
    problems = _escaping_paths(manifest, project_dir, name, lines)
    if problems:
        raise ManifestError(problems)
    return Project(dir=project_dir, manifest_file=mfile.resolve(), manifest=manifest,  # type: ignore[arg-type]
                   raw=data, declared_version=version, manifest_sha256=hashlib.sha256(raw).hexdigest(), lines=lines)


def manifest_paths(manifest: Any) -> list[tuple[str, str]]:
    """(field path, value) of every path field in a manifest."""
    out = [("eval_set.path", manifest.eval_set.path)]
    for role in ("teacher", "student"):
        spec = getattr(manifest, role)
        if getattr(spec, "path", None):
            out.append((f"{role}.path", spec.path))
    if manifest.monitoring.production_sample:
        out.append(("monitoring.production_sample", manifest.monitoring.production_sample))
    dist = getattr(manifest, "distillation", None)
    if dist is not None:
        out.append(("distillation.train_set.path", dist.train_set.path))
    return out


def _escaping_paths(manifest: Any, project_dir: Path, name: str, lines: dict[str, int]) -> list[Problem]:
    problems = []
    for fpath, value in manifest_paths(manifest):
        if standards.is_placeholder(value):
            continue
        p = Path(value)
        bad = None
        if p.is_absolute():
            bad = "an absolute path"
        else:
            resolved = (project_dir / p).resolve()
            if resolved != project_dir and project_dir not in resolved.parents:
                bad = f"{value!r}, which resolves outside the project ({resolved})"
        if bad:
            problems.append(Problem(name, fpath, "a relative path inside the project folder", bad,
                                    line=lines.get(fpath), hint="copy or link the file into the project"))
    return problems


# --- pydantic errors -> problems ----------------------------------------------------------


def _data_path(loc: tuple[Any, ...], data: Any) -> tuple[list[Any], Any]:
    """Map a pydantic location onto the data, dropping union/tag steps that are not keys."""
    parts: list[Any] = []
    cur = data
    for i, step in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(cur, dict) and step in cur:
            parts.append(step)
            cur = cur[step]
        elif isinstance(cur, list) and isinstance(step, int) and 0 <= step < len(cur):
            parts.append(step)
            cur = cur[step]
        elif last and isinstance(step, str) and step not in _KINDS and not _is_union_tag(step):
            parts.append(step)
            cur = None
        # else: a union member tag (`int`, `constrained-str`, `local`, ...): skip it
    return parts, cur


def _is_union_tag(step: str) -> bool:
    return step in ("int", "str", "float", "bool", "constrained-str", "list", "dict", "date") or "[" in step


def _dotted(parts: list[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
        if isinstance(value, str):
            return f"{text} (text of {len(value)} characters)"
    return f"{text} ({type(value).__name__})"


def _model_at(model: type[BaseModel], data: Any, parts: list[Any]) -> type[BaseModel] | None:
    """The pydantic model that describes the mapping at ``parts``."""
    cur: Any = model
    node = data
    for p in parts:
        if isinstance(p, int):
            node = node[p] if isinstance(node, list) and p < len(node) else None
            continue
        fields = getattr(cur, "model_fields", None)
        if not fields or p not in fields:
            return None
        node = node.get(p) if isinstance(node, dict) else None
        cur = _pick_model(fields[p].annotation, node)
        if cur is None:
            return None
    return cur if isinstance(cur, type) and issubclass(cur, BaseModel) else None


def _pick_model(ann: Any, node: Any) -> type[BaseModel] | None:
    candidates = []
    stack = [ann]
    while stack:
        a = stack.pop()
        if isinstance(a, type) and issubclass(a, BaseModel):
            candidates.append(a)
        else:
            stack.extend(typing.get_args(a))
    if len(candidates) > 1 and isinstance(node, dict) and "kind" in node:
        for c in candidates:
            kf = c.model_fields.get("kind")
            if kf is not None and node["kind"] in typing.get_args(kf.annotation):
                return c
    return candidates[0] if candidates else None


def _expected(err: Any) -> str:
    t, ctx, msg = err["type"], err.get("ctx") or {}, err["msg"]
    if t == "missing":
        return "a value (required field)"
    if t in ("literal_error", "enum"):
        return f"one of {ctx.get('expected', '')}"
    if t in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sym = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤", "less_than": "<"}[t]
        bound = next(iter(ctx.values()), "")
        return f"a number {sym} {bound}"
    if t == "string_pattern_mismatch":
        pat = ctx.get("pattern", "")
        if pat == PLACEHOLDER_RE.pattern:
            return "a placeholder `<FILL-IN: …>`"
        if pat.startswith("^[a-z0-9]"):
            longest = re.search(r"\{0,(\d+)\}\$$", pat)
            most = f"; at most {int(longest.group(1)) + 1} characters" if longest else ""
            return f"a lower-case name (letters, digits, '.', '_', '-'; starting with a letter or digit{most})"
        return f"text matching {pat}"
    if t in ("string_too_short", "string_too_long", "too_short", "too_long"):
        n = ctx.get("min_length", ctx.get("max_length", 0))
        unit = ("character" if t.startswith("string") else "item") + ("" if n == 1 else "s")
        what = "text" if t.startswith("string") else "a list"
        return f"{what} of {'at least' if t.endswith('short') else 'at most'} {n} {unit}"
    if t == "union_tag_invalid":
        return f"one of {ctx.get('expected_tags', '')}"
    if t == "union_tag_not_found":
        return f"a `kind` field (one of {', '.join(_KINDS)})"
    if t in ("model_type", "model_attributes_type", "dict_type"):
        return "a mapping of fields"
    if t == "value_error":
        return msg.removeprefix("Value error, ")
    if t == "assertion_error":
        return msg.removeprefix("Assertion failed, ")
    msg = msg.removeprefix("Input should be ").removeprefix("Value error, ")
    if msg.startswith("a valid ") and "," in msg:
        msg = msg.split(",", 1)[0]  # "a valid integer, unable to parse ..." -> "a valid integer"
    return msg


def pydantic_problems(exc: ValidationError, file: str, data: Any, lines: dict[str, int],
                      model: type[BaseModel], version: str) -> list[Problem]:
    """Turn a pydantic error into one `Problem` per field, with line numbers and hints."""
    grouped: dict[str, dict[str, Any]] = {}
    for err in exc.errors(include_url=False):
        parts, value = _data_path(tuple(err["loc"]), data)
        if err["type"] == "union_tag_invalid":
            parts, value = [*parts, "kind"], (err.get("ctx") or {}).get("tag")
            err = {**err, "input": value}
        dotted = _dotted(parts)
        entry = grouped.setdefault(dotted, {"expected": [], "found": None, "hint": None, "parts": parts})
        t = err["type"]
        if t == "extra_forbidden":
            parent = _model_at(model, data, parts[:-1])
            known = sorted(parent.model_fields) if parent else []
            entry["expected"].append("a known field" + (f" ({', '.join(known)})" if known else ""))
            entry["found"] = f"unknown field `{parts[-1]}`" if parts else "unknown field"
            dotted_plain = ".".join(str(p) for p in parts if not isinstance(p, int))
            hint = field_hint(version, dotted_plain)
            if hint is None and known:
                close = difflib.get_close_matches(str(parts[-1]), known, n=1)
                hint = f"did you mean `{close[0]}`?" if close else None
            entry["hint"] = hint
            continue
        exp = _expected(err)
        if exp not in entry["expected"]:
            entry["expected"].append(exp)
        if exp == URL_WITHOUT_CREDENTIALS:
            entry["found"] = "a URL with a user name or password (not shown)"
        elif entry["found"] is None:
            entry["found"] = "nothing (field missing)" if t == "missing" else _describe(
                value if isinstance(value, bool) else err.get("input", value))  # a refused bool reaches pydantic as text
    problems = []
    for dotted, e in grouped.items():
        line = None
        parts = e["parts"]
        for k in range(len(parts), -1, -1):
            line = lines.get(_dotted(parts[:k]))
            if line:
                break
        problems.append(Problem(file=file, field=dotted, expected=" or ".join(e["expected"]),
                                found=e["found"] or "?", line=line, hint=e["hint"]))
    return problems
