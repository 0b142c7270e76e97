"""The evaluation run: teacher and student on the frozen eval set, the figures per slice,
the gate, and the standard report. Adapters (one module per model kind) live in
`harness.eval.adapters`.

Light to import: torch, transformers and an HTTP client are imported inside the adapters'
`load()`, only for the kinds a manifest uses."""

from __future__ import annotations

from ._cache import OutputStore, output_key
from ._data import EvalData, load_eval_set, offline_hub, verify_file
from ._gate import SliceFlags, check_bar, check_budgets, run_gate
from ._run import ModelRun, evaluate, run_model, settings_of, slice_figures, verify_models

__all__ = [
    "EvalData", "ModelRun", "OutputStore", "SliceFlags", "check_bar", "check_budgets", "evaluate", "load_eval_set",
    "offline_hub", "output_key", "run_gate", "run_model", "settings_of", "slice_figures", "verify_file",
    "verify_models",
]
