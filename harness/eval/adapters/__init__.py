"""Adapters turn one kind of model into outputs for a batch of inputs, one module per kind:

    kind        module        what it wraps
    local       local.py      a transformers model in a project folder (classifier or causal LM)
    hub         local.py      a hub snapshot already on disk, read like a local folder
    endpoint    endpoint.py   an OpenAI-compatible chat-completions server (vLLM, TGI, hosted APIs)
    recorded    recorded.py   a JSONL file of answers keyed by example id
    callable    callable.py   a Python function `module:function`

A module registers its kind with `@adapter("kind")` on a class or a factory function. The
registry imports a kind's module only when a manifest uses that kind (torch stays unloaded
for an endpoint teacher), and finds a new kind's module by its name: adding a kind is one
new module here, `harness/eval/adapters/<kind>.py`, plus its schema class in `standards`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ..._errors import AdapterError
from ._base import Adapter, Prediction, Settings, pad_batch, torch_device

Factory = Callable[[str, Any, Settings, Path], Adapter]
_F = TypeVar("_F", bound=Callable[..., Any])

#: kind -> the class or function that makes its adapter (filled as modules are imported).
REGISTRY: dict[str, Factory] = {}
#: Kinds whose module is not named after them.
_MODULES = {"hub": "local"}


def adapter(kind: str) -> Callable[[_F], _F]:
    """Register the adapter of model kind ``kind``: a class (instantiated with role, spec,
    settings, project folder) or a function taking the same and returning an `Adapter`."""

    def deco(obj: _F) -> _F:
        if kind in REGISTRY and REGISTRY[kind] is not obj:
            raise ValueError(f"two adapters for kind {kind!r}")
        REGISTRY[kind] = obj
        return obj

    return deco


def adapter_factory(kind: str) -> Factory:
    """The registered maker of ``kind``'s adapters, importing its module on first use."""
    if kind not in REGISTRY:
        module = _MODULES.get(kind, kind)
        try:
            importlib.import_module(f"{__name__}.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{module}":
                raise
    if kind not in REGISTRY:
        raise AdapterError(f"no adapter for model kind {kind!r}; known kinds: {', '.join(known_kinds())}")
    return REGISTRY[kind]


def known_kinds() -> list[str]:
    """Every kind with an adapter in this package (its modules imported to find out)."""
    for path in sorted(Path(__file__).parent.glob("[!_]*.py")):
        importlib.import_module(f"{__name__}.{path.stem}")
    return sorted(REGISTRY)


def make_adapter(role: str, spec: Any, settings: Settings, project_dir: Path) -> Adapter:
    """The adapter for one manifest model spec (not yet loaded: call `load()`)."""
    made = adapter_factory(spec.kind)(role, spec, settings, project_dir)
    if not isinstance(made, Adapter):  # pragma: no cover - a broken registration
        raise AdapterError(f"the adapter registered for kind {spec.kind!r} made a {type(made).__name__}")
    return made


__all__ = ["REGISTRY", "Adapter", "Prediction", "Settings", "adapter", "adapter_factory", "known_kinds",
           "make_adapter", "pad_batch", "torch_device"]
