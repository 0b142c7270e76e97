"""`callable` models: an in-house model exposed as a Python function `module:function`."""

from __future__ import annotations

import importlib
import numbers
import sys
from collections.abc import Callable
from typing import Any

from ..._errors import AdapterError
from . import adapter
from ._base import Adapter, Prediction


def _coerce(obj: Any, where: str) -> Prediction:
    if isinstance(obj, Prediction):
        return obj
    if isinstance(obj, str):
        return Prediction(obj)
    if isinstance(obj, dict) and "output" in obj:
        probs = obj.get("probs")
        if probs is None:
            return Prediction(str(obj["output"]))
        if isinstance(probs, (list, tuple)) and all(isinstance(x, numbers.Real) and not isinstance(x, bool)
                                                    for x in probs):
            return Prediction(str(obj["output"]), tuple(float(x) for x in probs))
        raise AdapterError(f"{where}: 'probs' should be a list of numbers, found {probs!r:.80}")
    raise AdapterError(f"{where}: expected a string or {{'output': ..., 'probs': [...]}} per input, found {obj!r:.80}")


@adapter("callable")
class CallableAdapter(Adapter):
    """A function `module:function` that takes a list of inputs and returns one answer per input:
    a string, or `{"output": ..., "probs": [...]}`. The project folder is on `sys.path` while
    it is imported, so a module beside the manifest works."""

    kind = "callable"
    takes_batch_size = True

    def load(self) -> None:
        module_name, fn_name = self.spec.target.split(":")
        added = str(self.project_dir) not in sys.path
        if added:
            sys.path.insert(0, str(self.project_dir))
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise self._fail(f"cannot import {module_name!r} for {self.spec.target}: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - the user's module failed while it was imported
            raise self._fail(f"importing {module_name!r} for {self.spec.target} raised "
                             f"{type(exc).__name__}: {exc}") from None
        finally:
            if added:
                sys.path.remove(str(self.project_dir))
        fn = getattr(module, fn_name, None)
        if not callable(fn):
            raise self._fail(f"{module_name} has no function {fn_name!r}")
        self.fn: Callable[[list[str]], list[Any]] = fn

    def predict(self, ids: list[str], inputs: list[str]) -> list[Prediction]:
        prompts = [self.settings.prompt(x) for x in inputs] if self.settings.task == "generation" else inputs
        try:
            out = list(self.fn(prompts))
        except AdapterError:
            raise
        except Exception as exc:
            raise self._fail(f"{self.spec.target} raised {type(exc).__name__}: {exc}") from None
        if len(out) != len(inputs):
            raise self._fail(f"{self.spec.target} returned {len(out)} answers for {len(inputs)} inputs")
        return [_coerce(o, self.spec.target) for o in out]
