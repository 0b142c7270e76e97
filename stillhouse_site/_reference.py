"""The reference pages: the manifest and report schemas by YAML path, the commands and the
Python API, each generated from the code at build time.

- Schemas read as the files people write: one section per top-level key, one row per YAML
  path (`teacher.sha256`, `slices[].rule.column`), and the model kinds of `teacher` and
  `student` side by side, one column each.
- Commands in the order a project meets them (`cli.list_commands`), each with its usage,
  what it does, its arguments and options as tables, and its worked examples.
- The API grouped by task, each callable with its signature, its docstring and a table of
  its parameters read from the live signature.
- Requirement IDs link to their section wherever these pages mention them (`link_ids`).
"""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import json
import os
import re
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

import standards

# --------------------------------------------------------------------- requirement links

_ID_RE = re.compile(r"\b([A-Z]{2,6}-\d{3})\b")
# Code spans and existing links are left alone.
_PROTECTED_RE = re.compile(r"(`+)(?:.+?)\1|\[[^\]]*\]\([^)]*\)")


def requirement_pages() -> dict[str, str]:
    """Requirement ID -> docs path of its area page."""
    return {r.id: f"standards/{r.area}.md" for r in standards.load_catalogue().requirements}


def link_ids(text: str, from_page: str, pages: dict[str, str] | None = None) -> str:
    """``text`` (Markdown) with every known requirement ID outside code spans and links
    turned into a link to its section, relative to the page ``from_page`` (a docs path)."""
    pages = requirement_pages() if pages is None else pages
    base = os.path.dirname(from_page)

    def link(m: re.Match[str]) -> str:
        rid = m.group(1)
        if rid not in pages:
            return rid
        target = os.path.relpath(pages[rid], base) if base else pages[rid]
        href = "" if pages[rid] == from_page else target
        return f"[{rid}]({href}#{rid.lower()})"

    out, last = [], 0
    for m in _PROTECTED_RE.finditer(text):
        out.append(_ID_RE.sub(link, text[last:m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_ID_RE.sub(link, text[last:]))
    return "".join(out)


def _cell(text: str | None) -> str:
    """One line, safe in a table cell (ours: from docstrings and field descriptions)."""
    return " ".join((text or "").split()).replace("|", "\\|")


# --------------------------------------------------------------------------- schemas


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        out += [m for m in _models_in(arg) if m not in out]
    return out


def _is_list(ann: Any) -> bool:
    ann = _strip(ann)
    return typing.get_origin(ann) in (list, Sequence) or any(
        typing.get_origin(a) in (list, Sequence) for a in typing.get_args(ann) if a is not type(None))


def _strip(ann: Any) -> Any:
    if typing.get_origin(ann) is typing.Annotated:
        return typing.get_args(ann)[0]
    return ann


def type_text(ann: Any) -> str:
    """A field's type in words: `string`, `list of string`, `"local"`, `one of ...`."""
    ann = _strip(ann)
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if ann is type(None):
        return "null"
    if origin in (typing.Union, types.UnionType):
        parts = [type_text(a) for a in args if a is not type(None)]
        text = " or ".join(dict.fromkeys(parts))
        return text + (" or null" if type(None) in args else "")
    if origin is typing.Literal:
        return " or ".join(f"`{json.dumps(a)}`" for a in args)
    if origin in (list, Sequence):
        return f"list of {type_text(args[0])}" if args else "list"
    if origin is dict:
        return f"mapping of {type_text(args[0])} to {type_text(args[1])}" if args else "mapping"
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return "mapping"
    if isinstance(ann, type) and issubclass(ann, enum.Enum):
        return "one of " + ", ".join(f"`{m.value}`" for m in ann)
    names = {str: "string", int: "integer", float: "number", bool: "boolean", dt.date: "date",
             dt.datetime: "date-time", Any: "any"}
    if ann in names:
        return names[ann]
    return f"`{getattr(ann, '__name__', str(ann))}`"


def default_text(finfo: Any) -> str:
    if finfo.is_required():
        return "**required**"
    if finfo.default_factory is not None:
        made = finfo.default_factory()
        if isinstance(made, BaseModel):
            return "defaults of each field"
        return f"`{json.dumps(made)}`"
    value = finfo.default
    if value is PydanticUndefined:
        return "**required**"
    if isinstance(value, enum.Enum):
        value = value.value
    return f"`{json.dumps(value, default=str)}`"


@dataclass
class FieldRow:
    path: str
    type: str
    default: str
    description: str
    required: bool
    model: str | None = None  # the mapping this row opens, if any: it carries that model's anchor


def _kind_of(model: type[BaseModel]) -> str | None:
    f = model.model_fields.get("kind")
    if f is None:
        return None
    args = typing.get_args(_strip(f.annotation))
    if typing.get_origin(_strip(f.annotation)) is typing.Literal and len(args) == 1:
        return str(args[0])
    if isinstance(f.default, str):
        return f.default
    return None


def field_rows(model: type[BaseModel], prefix: str = "", _seen: tuple[type, ...] = ()) -> Iterator[FieldRow]:
    """One row per YAML path under ``model``: its own fields (``kind`` first), then each
    nested mapping's fields under the parent's path. A union of several mappings (the
    model kinds) is left to `kinds_table`."""
    names = sorted(model.model_fields, key=lambda n: n != "kind")
    for name in names:
        finfo = model.model_fields[name]
        path = f"{prefix}{name}"
        models = _models_in(finfo.annotation)
        nested = [m for m in models if m not in (*_seen, model)]
        listed = _is_list(finfo.annotation)
        desc = _cell(finfo.description)
        if models and not nested:  # a rule made of rules: its fields are the ones just listed
            desc += f" Each one has the fields of `{prefix.rstrip('.')}`."
        yield FieldRow(path + ("[]" if listed and models else ""), type_text(finfo.annotation), default_text(finfo),
                       desc, finfo.is_required(), nested[0].__name__ if len(nested) == 1 else None)
        if len(nested) == 1:
            yield from field_rows(nested[0], f"{path}{'[]' if listed else ''}.", (*_seen, model))


def _anchor(prefix: str, model: str | None) -> str:
    """An empty element with the id `{prefix}{model}`: links written against the schema's
    class names (`manifest.md#manifest-localmodel`) still land on the right row."""
    return f'<span id="{prefix}{model.lower()}"></span>' if model and prefix else ""


def _row(r: FieldRow, page: str, anchors: str = "") -> str:
    return f"| {_anchor(anchors, r.model)}`{r.path}` | {r.type} | {r.default} | {link_ids(r.description, page)} |"


def kinds_table(models: Sequence[type[BaseModel]], prefix: str, page: str, anchors: str = "") -> list[str]:
    """The model kinds side by side: one row per YAML path, one column per kind, each cell
    saying whether that kind requires the field, allows it, or has no such field."""
    kinds = [_kind_of(m) or m.__name__ for m in models]
    rows: dict[str, dict[str, FieldRow]] = {}
    for kind, m in zip(kinds, models):
        for r in field_rows(m, prefix):
            rows.setdefault(r.path, {})[kind] = r
    head = ["field", *[f"{_anchor(anchors, m.__name__)}`{k}`" for k, m in zip(kinds, models)], "type and description"]
    # In a box of its own, so the description column keeps a readable width (docs/assets/stillhouse.css).
    out = ['<div class="sh-kinds" markdown="1">', "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for path, by_kind in rows.items():
        first = next(iter(by_kind.values()))
        cells = []
        for k in kinds:
            r = by_kind.get(k)
            if r is None:
                cells.append("—")
            elif path.endswith(".kind") or path == "kind":
                cells.append(f"`{k}`")
            else:
                cells.append("**required**" if r.required else "optional")
        desc = next((r.description for r in by_kind.values() if r.description), "")
        kind_row = path.endswith(".kind") or path == "kind"
        if kind_row:  # its own description speaks for one kind only
            desc = "Which kind of model this is; it decides the other fields, one column each."
        out.append(f"| {_anchor(anchors, first.model)}`{path}` | " + " | ".join(cells) + f" | "
                   f"*{'string' if kind_row else first.type}*. {link_ids(desc, page)} |")
    return out + ["", "</div>"]


def yaml_reference(root: type[BaseModel], page: str, *, level: int = 2, anchor_prefix: str = "",
                   model_anchors: str = "") -> str:
    """The reference of a YAML (or JSON) document whose schema is ``root``, by path: one
    section per top-level key holding a mapping, a table of the plain top-level keys first.
    With ``model_anchors``, each mapping's row also carries the id `{model_anchors}{class}`."""
    hashes = "#" * level
    plain: list[FieldRow] = []
    sections: list[str] = []
    fields = root.model_fields
    # Keys with the same union of mappings (teacher and student) share one section.
    done: set[str] = set()
    for name, finfo in fields.items():
        if name in done:
            continue
        nested = _models_in(finfo.annotation)
        if not nested:
            plain.append(FieldRow(name, type_text(finfo.annotation), default_text(finfo), _cell(finfo.description),
                                  finfo.is_required()))
            continue
        twins = [n for n, f in fields.items() if n not in done and _models_in(f.annotation) == nested]
        done.update(twins)
        listed = _is_list(finfo.annotation)
        keys = " and ".join(f"`{n}{'[]' if listed else ''}`" for n in twins)
        anchor = f"{anchor_prefix}{'-'.join(twins)}".replace("_", "-")
        req = "required" if finfo.is_required() else "optional"
        doc = _cell(finfo.description or (nested[0].__doc__ if len(nested) == 1 else ""))
        sections += [f"{hashes} {keys} {{#{anchor}}}", ""]
        if len(nested) == 1 and model_anchors:
            sections += [_anchor(model_anchors, nested[0].__name__), ""]
        if len(nested) > 1:
            kinds = ", ".join(f"`{_kind_of(m) or m.__name__}`" for m in nested)
            sections += [f"{link_ids(doc, page)} {req.capitalize()}. One of {len(nested)} kinds, chosen by `kind`: "
                         f"{kinds}; the table shows which fields each kind has.".strip(), ""]
            sections += kinds_table(nested, f"{twins[0]}.", page, model_anchors) + [""]
            if len(twins) > 1:
                sections += [f"`{twins[1]}` has the same fields under `{twins[1]}.`.", ""]
            continue
        if doc:
            sections += [f"{link_ids(doc, page)} ({req}{', a list' if listed else ''})", ""]
        sections += _fields_box([_row(r, page, model_anchors)
                                 for r in field_rows(nested[0], f"{name}{'[]' if listed else ''}.")])
    top = [f"{hashes} Top-level keys {{#{anchor_prefix}top-level}}", ""] + _fields_box([_row(r, page) for r in plain])
    return "\n".join(top + sections)


def _fields_box(rows: list[str]) -> list[str]:
    """A field table in a box of its own: on a phone its rows stack (docs/assets/stillhouse.css),
    so the description is not pushed off the side of the screen."""
    return ['<div class="sh-fields" markdown="1">', "", "| field | type | default | description |",
            "| --- | --- | --- | --- |", *rows, "", "</div>", ""]


# --------------------------------------------------------------------------- commands


def _param_type(p: Any) -> str:
    import click

    t = p.type
    if isinstance(t, click.Choice):
        return " or ".join(f"`{c}`" for c in t.choices)
    if getattr(p, "is_flag", False):
        return "flag"
    if isinstance(t, click.Path):
        return "path"
    if isinstance(t, click.IntRange):
        lo, hi = t.min, t.max
        return "integer" + (f" {lo}–{hi}" if lo is not None and hi is not None else f" ≥ {lo}" if lo is not None else "")
    return {"INT": "integer", "FLOAT": "number", "TEXT": "text", "BOOL": "flag"}.get(t.name.upper(), t.name.lower())


def _param_default(p: Any) -> str:
    d = p.default
    if getattr(p, "is_flag", False) or d is None or d == () or repr(d) == "Sentinel.UNSET" or callable(d):
        return "—"
    return f"`{d}`"


def cli_reference_markdown() -> str:
    """Every `stillhouse` command in workflow order: usage, what it does, arguments and
    options as tables, worked examples, all from the click definitions."""
    import click

    from harness.cli import cli

    page = "harness/commands.md"
    root = click.Context(cli, info_name="stillhouse", terminal_width=100, max_content_width=100)
    names = [n for n in cli.list_commands(root) if not cli.commands[n].hidden]
    lines = ["# Commands", "",
             "Every `stillhouse` command, in the order a project meets them, generated from the command "
             "definitions at build time (`stillhouse COMMAND --help` prints the same). Exit codes mean one "
             "thing everywhere: **0** ok, **1** a standard or gate failed, **2** unusable input.", "",
             "| command | what it does |", "| --- | --- |"]
    for name in names:
        short = cli.commands[name].get_short_help_str(limit=120)
        lines.append(f"| [`stillhouse {name}`](#stillhouse-{name}) | {link_ids(_cell(short), page)} |")
    lines.append("")
    for name in names:
        cmd = cli.commands[name]
        ctx = click.Context(cmd, info_name=name, parent=root, terminal_width=100, max_content_width=100)
        usage = " ".join(cmd.collect_usage_pieces(ctx))
        help_text = inspect.cleandoc(cmd.help or "")
        paras = [" ".join(p.split()) for p in help_text.split("\n\n") if p.strip()]
        lines += [f"## stillhouse {name} {{#stillhouse-{name}}}", "", "```text", f"Usage: stillhouse {name} {usage}",
                  "```", ""]
        lines += [link_ids(p, page) + "\n" for p in paras]
        args = [p for p in cmd.params if isinstance(p, click.Argument)]
        opts = [p for p in cmd.params if isinstance(p, click.Option) and not p.hidden]
        if args:
            lines += ["| argument | type | default |", "| --- | --- | --- |"]
            for a in args:
                req = "**required**" if a.required else _param_default(a)
                lines.append(f"| `{a.human_readable_name}`{'…' if a.nargs == -1 else ''} | {_param_type(a)} | {req} |")
            lines.append("")
        if opts:
            lines += ["| option | type | default | what it does |", "| --- | --- | --- | --- |"]
            for o in opts:
                flags = ", ".join(f"`{x}`" for x in [*o.opts, *o.secondary_opts])
                metavar = "" if o.is_flag else f" `{o.make_metavar(ctx)}`" if o.metavar else ""
                lines.append(f"| {flags}{metavar} | {_param_type(o)} | {_param_default(o)} | "
                             f"{link_ids(_cell(o.help), page)} |")
            lines.append("")
        examples = [line.strip() for line in (cmd.epilog or "").splitlines()[2:] if line.strip()]
        if examples:
            lines += ["Examples:", "", "```sh", *examples, "```", ""]
    return "\n".join(lines)


# ------------------------------------------------------------------------------- the API

#: The public names of each package, grouped by what a reader wants to do. A name in
#: `__all__` that no group lists lands in "Everything else", so the page always shows all.
API_GROUPS: dict[str, list[tuple[str, list[str]]]] = {
    "harness": [
        ("Check a project", ["load_project", "validate", "checklist_markdown", "init_project", "retire_project",
                             "Project", "ValidationResult"]),
        ("Evaluate and report", ["evaluate", "report_markdown", "report_html"]),
        ("Distil", ["distill", "DistillResult"]),
        ("Watch the fleet", ["build_fleet", "fleet_markdown", "compute_drift"]),
        ("Errors", ["StillhouseError", "InputError", "ManifestError", "IntegrityError", "AdapterError",
                    "StandardFailed", "Problem"]),
    ],
    "standards": [
        ("Manifests and versions", ["Manifest", "parse_manifest", "manifest_model", "migrate", "field_hint",
                                    "UnknownVersion", "is_placeholder", "CURRENT_VERSION", "VERSIONS",
                                    "PLACEHOLDER_PREFIX", "CHANGELOG"]),
        ("Pins and hashes", ["artifact_sha256", "file_sha256", "is_sha256", "model_pin", "pin_problem"]),
        ("Slices", ["slice_masks", "matches", "rule_columns"]),
        ("Requirements and checks", ["load_catalogue", "run_checks", "Catalogue", "Area", "Requirement",
                                     "CheckContext", "CheckResult", "RequirementResult", "CHECKS"]),
        ("The evaluation report", ["EvalReport", "SliceResult", "Estimate", "PairedComparison", "Gate", "BarResult",
                                   "ModelSummary", "Latency", "Cost", "Provenance", "Signature", "report_mismatches",
                                   "provenance_mismatches", "expected_provenance", "REPORT_DIR"]),
        ("The fleet and drift", ["FleetReport", "FleetModel", "FleetSlice", "RolloutFigures", "TriggerFired",
                                 "Problem", "DriftRecord", "DriftWindow", "DriftBaseline", "DriftSummary",
                                 "Teachers", "TeacherRelease", "People", "Person", "RegistryEntry",
                                 "RegistrySettings", "TRIGGER_CODES"]),
        ("Schema files", ["schema_documents", "write_schemas", "SCHEMA_DIR"]),
    ],
}


def api_groups(pkg: str, names: Sequence[str]) -> list[tuple[str, list[str]]]:
    """``names`` (a package's `__all__`) in their groups; version modules left out."""
    mod = __import__(pkg)
    names = [n for n in names if not isinstance(getattr(mod, n), types.ModuleType)]
    out, placed = [], set()
    for title, group in API_GROUPS.get(pkg, []):
        members = [n for n in group if n in names]
        placed.update(members)
        if members:
            out.append((title, members))
    rest = [n for n in names if n not in placed]
    if rest:
        out.append(("Everything else", rest))
    return out


def _annotation_text(ann: Any) -> str:
    if ann is inspect.Parameter.empty:
        return "—"
    text = ann if isinstance(ann, str) else inspect.formatannotation(ann)
    return f"`{text}`"


def _signature(obj: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        return None


def parameter_table(obj: Callable[..., Any]) -> list[str]:
    """| parameter | type | default | from the live signature (``self`` left out)."""
    sig = _signature(obj)
    if sig is None:
        return []
    params = [p for p in sig.parameters.values() if p.name not in ("self", "cls")]
    if not params:
        return []
    out = ["| parameter | type | default |", "| --- | --- | --- |"]
    for p in params:
        name = p.name if p.kind is not p.VAR_POSITIONAL else f"*{p.name}"
        name = name if p.kind is not p.VAR_KEYWORD else f"**{p.name}"
        kw = " (keyword)" if p.kind is p.KEYWORD_ONLY else ""
        default = "**required**" if p.default is p.empty else f"`{p.default!r}`"
        out.append(f"| `{name}`{kw} | {_annotation_text(p.annotation)} | {default} |")
    return out + [""]


def _fields_table(model: type[BaseModel]) -> list[str]:
    out = ["| field | type | default | description |", "| --- | --- | --- | --- |"]
    for name, finfo in model.model_fields.items():
        out.append(f"| `{name}` | {type_text(finfo.annotation)} | {default_text(finfo)} | {_cell(finfo.description)} |")
    return out + [""]


def _constant_text(value: Any) -> str:
    text = repr(value) if not isinstance(value, dict | list) else f"{type(value).__name__} of {len(value)}"
    return text if len(text) <= 60 else text[:57] + "…"


def api_reference_markdown() -> str:
    """The API reference: each package's `__all__`, grouped by task. Every callable gets
    its docstring (mkdocstrings) and a table of its parameters from the live signature;
    pydantic models their fields; constants their value."""
    import sys

    lines = ["# API reference", "",
             "The public Python surface, generated at build time: each package's `__all__`, grouped by what you "
             "want to do. A test asserts `__all__` equals the names each package defines, so this surface "
             "changes only on purpose. Most people need only the [commands](../harness/commands.md).", ""]
    for pkg in ("harness", "standards"):
        mod = sys.modules[pkg] if pkg in sys.modules else __import__(pkg)
        lines += [f"## `{pkg}`", ""]
        for title, names in api_groups(pkg, mod.__all__):
            lines += [f"### {title}", ""]
            consts = [n for n in names if not (callable(getattr(mod, n)) or isinstance(getattr(mod, n), type))]
            for name in names:
                if name in consts:
                    continue
                obj = getattr(mod, name)
                lines += [f"::: {pkg}.{name}", "    options:", "      heading_level: 4", "      show_root_full_path: true",
                          "      members: false", ""]
                if isinstance(obj, type) and issubclass(obj, BaseModel):
                    lines += ["**Fields**", ""] + _fields_table(obj)
                elif isinstance(obj, type) and issubclass(obj, BaseException):
                    table = parameter_table(obj.__init__)
                    lines += (["**Arguments**", ""] + table) if table else []
                else:
                    table = parameter_table(obj)
                    lines += (["**Parameters**", ""] + table) if table else []
            if consts:
                lines += ["| constant | value | what it is |", "| --- | --- | --- |"]
                for name in consts:
                    lines.append(f"| `{pkg}.{name}` | `{_constant_text(getattr(mod, name))}` | "
                                 f"{_cell(_constant_doc(pkg, name))} |")
                lines.append("")
    return "\n".join(lines)


def _constant_doc(pkg: str, name: str) -> str:
    """The `#:` comment above a constant in its package's source, if any."""
    import importlib.util

    spec = importlib.util.find_spec(pkg)
    origin = spec.origin if spec else None
    if not origin:
        return ""
    text = open(origin, encoding="utf-8").read()
    m = re.search(rf"((?:^#:.*\n)+)^{re.escape(name)}\b", text, flags=re.M)
    return " ".join(line[2:].strip() for line in m.group(1).splitlines()) if m else ""
