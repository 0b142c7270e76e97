"""What both recipes put into a training record alike, and the one way a record is written:
validated against `standards.TrainingRecord` first, then replaced atomically, so a record
on disk is always a whole, valid one."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

from standards import model_pin
from standards.training import RECORD_VERSION, TrainingRecord
from standards.v1_0 import LocalModel

from .._io import atomic_write_text
from ..project import Project

RECORD_FILE = "training/record.json"
SCHEDULE = "AdamW (weight decay 0.01); linear warm-up over 5% of steps, then linear decay to 0"
#: The config fields a record names of the student's architecture, where its config has them.
ARCHITECTURE = ("model_type", "num_hidden_layers", "hidden_size", "num_attention_heads", "intermediate_size",
                "vocab_size", "max_position_embeddings")


def count_parameters(weights: Path) -> int | None:
    """Parameters in a safetensors file, read from its header (no weights loaded)."""
    if not weights.is_file():
        return None
    from safetensors import safe_open

    n = 0
    with safe_open(str(weights), "pt") as f:
        for k in f.keys():
            n += math.prod(f.get_slice(k).get_shape())
    return n


def head(project: Project, key: str, key_inputs: dict[str, Any], dist: Any) -> dict[str, Any]:
    """The fields a record opens with: what was trained, under which reuse key and settings."""
    return {"record_version": RECORD_VERSION, "project": project.manifest.name, "key": key,
            "key_inputs": key_inputs, "config": dist.model_dump(mode="json"), "seed": dist.seed,
            "schedule": SCHEDULE}


def teacher_entry(project: Project, teacher: Any, cached: bool, recording: dict[str, Any] | None) -> dict[str, Any]:
    params = count_parameters(project.path(teacher.path) / "model.safetensors") \
        if isinstance(teacher, LocalModel) else None
    return {"kind": teacher.kind, "path": teacher.path, "pin": model_pin(teacher), "parameters": params,
            "outputs_from_cache": cached, "recording": recording}


def architecture(config: Any) -> dict[str, Any]:
    return {k: getattr(config, k) for k in ARCHITECTURE if hasattr(config, k)}


def tail(started: dt.datetime, libraries: dict[str, str] | None = None) -> dict[str, Any]:
    """The fields a record closes with: threads, library versions, start and end times."""
    import tokenizers
    import torch
    import transformers

    return {"threads": torch.get_num_threads(),
            "libraries": {"torch": torch.__version__, "transformers": transformers.__version__,
                          "tokenizers": tokenizers.__version__, **(libraries or {})},
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


def write_record(project: Project, record: dict[str, Any], say: Any) -> None:
    TrainingRecord.model_validate(record)  # what is written is a valid record, or nothing is
    atomic_write_text(project.dir / RECORD_FILE, json.dumps(record, indent=2) + "\n")
    say(f"saved {record['student']['path']} (sha256 {record['student']['sha256']}) and {RECORD_FILE} in "
        f"{record['wall_s']['total']:.1f} s", markup=False)
