"""The evaluation run: teacher and student on the frozen eval set, the figures per slice,
the gate, the standard report, and recording a teacher's answers. Adapters (one module
per model kind) live in `harness.eval.adapters`.

Light to import: torch, transformers and an HTTP client are imported inside the adapters'
`load()`, only for the kinds a manifest uses."""

from __future__ import annotations

from ._cache import OutputStore, output_key
from ._data import EvalData, load_eval_set, offline_hub, verify_file
from ._gate import SliceFlags, check_bar, check_budgets, run_gate
from ._record import RecordResult, record
from ._recording import HEADER_KEY, Recording, read_recording, text_sha256
from ._run import ModelRun, default_report_dir, evaluate, run_model, settings_of, slice_figures, verify_models

__all__ = [
    "HEADER_KEY", "EvalData", "ModelRun", "OutputStore", "RecordResult", "Recording", "SliceFlags", "check_bar",
    "check_budgets", "default_report_dir", "evaluate", "load_eval_set", "offline_hub", "output_key",
    "read_recording", "record", "run_gate", "run_model", "settings_of", "slice_figures", "text_sha256",
    "verify_file", "verify_models",
]
