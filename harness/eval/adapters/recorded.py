"""`recorded` models: answers given once and kept forever, in a JSONL file keyed by example
id (what `stillhouse record` writes; the format is in `harness.eval._recording`)."""

from __future__ import annotations

from typing import Any

from . import adapter
from ._base import Adapter, Prediction


@adapter("recorded")
class RecordedAdapter(Adapter):
    """Answers recorded once: every row checked when the file is read (unique ids, outputs
    among the labels, probabilities that are probabilities), and each answer's recorded
    input hash checked against the eval set's text before it is used."""

    kind = "recorded"
    latency_mode = None
    keeps_contract = True  # `read_recording` checked every answer
    batch_size = 4096
    #: Which set of a recording this run reads (`eval`; distill reads `distillation`).
    set_name = "eval"

    def load(self) -> None:
        from .._recording import read_recording
        from .local import model_folder

        path = model_folder(self.project_dir, self.spec.path)
        if not path.is_file():
            raise self._fail(f"{self.spec.path} is not a file")
        self.recording = read_recording(path, self.spec.path, labels=self.settings.labels, task=self.settings.task)

    def predict(self, ids: list[str], inputs: list[str]) -> list[Prediction]:
        return self.recording.lookup(self.set_name, ids, inputs, self.spec.path)

    def size_bytes(self) -> int | None:
        p = (self.project_dir / self.spec.path).resolve()
        return p.stat().st_size if p.is_file() else None

    def meta(self) -> dict[str, Any] | None:
        """The recording's own description (what answered, over which sets, at what cost)."""
        return self.recording.meta
