"""Adding a model kind is one adapter module plus its schema class: a toy kind goes through
the whole evaluation pipeline with no other change, and every kind the standards know has
exactly one adapter."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

import pytest
from pydantic import Field

import standards
from harness.eval import OutputStore, run_gate, run_model, slice_figures
from harness.eval._data import EvalData
from harness.eval._progress import progress_for
from harness.eval._run import _summary
from harness.eval.adapters import REGISTRY, Adapter, Prediction, Settings, adapter, known_kinds, make_adapter
from harness.project import load_project
from standards.pins import MODEL_KINDS
from standards.v1_0 import _ModelBase

from .conftest import EXAMPLES


class ToyModel(_ModelBase):
    """What a new standards version would add: the schema class, its capabilities, its pin."""

    files: ClassVar[str] = "none"
    kind: Literal["toy"] = Field(description="`toy`: answers one label, always.")
    answer: str
    version: str

    def pin(self) -> str:
        return f"toy:{self.answer}@{self.version}"

    def pin_problem(self) -> str | None:
        return None if self.version != "latest" else "version floats"


@pytest.fixture
def toy_kind():
    """What the new module `harness/eval/adapters/toy.py` would hold, registered the same way."""

    @adapter("toy")
    class ToyAdapter(Adapter):
        kind = "toy"
        takes_batch_size = True

        def predict(self, ids: list[str], inputs: list[str]) -> list[Prediction]:
            labels = self.settings.labels or [self.spec.answer]
            probs = [1.0 if lab == self.spec.answer else 0.0 for lab in labels]
            return [Prediction(self.spec.answer, tuple(probs)) for _ in ids]

    yield ToyAdapter
    REGISTRY.pop("toy", None)


def test_a_toy_kind_runs_through_the_pipeline_untouched(toy_kind, tmp_path: Path) -> None:
    project = load_project(EXAMPLES / "minimal")
    m = project.manifest
    rows = [{"id": f"r{i}", "text": f"message {i}", "label": "billing" if i % 2 else "technical"} for i in range(40)]
    data = EvalData(ids=[r["id"] for r in rows], inputs=[r["text"] for r in rows], references=[r["label"] for r in rows],
                    rows=rows, masks={"all": [True] * 40}, sha256="0" * 64)
    settings = Settings(task="classification", labels=list(m.labels), prompt_template="{input}", max_new_tokens=8,
                        max_length=None)
    spec = ToyModel(kind="toy", answer="billing", version="1.0")
    assert isinstance(make_adapter("student", spec, settings, tmp_path), toy_kind)
    runs = {}
    for role in ("teacher", "student"):
        store = OutputStore(tmp_path, role, f"{role}-toy-key")
        runs[role] = run_model(role, spec, settings, data, project, store, use_cache=False, keep=False,
                               batch_size=8, checkpoint_rows=16, checkpoint_seconds=0.0, latency_calls=5,
                               latency_threads=None, progress=progress_for(True))
    assert runs["student"].kind == "toy" and len(runs["student"].latency_ms or []) == 5
    res, flags = slice_figures("all", list(range(40)), "classification", runs["teacher"].predictions,
                               runs["student"].predictions, data.references)
    assert res.student_accuracy.value == 0.5 and res.agreement.value == 1.0
    summary = _summary("student", runs["student"], spec, m, 40)
    assert summary.pin == "toy:billing@1.0" and summary.latency is not None
    gate = run_gate(m, {"all": res}, {"all": flags}, summary, 40)
    by = {(b.slice, b.metric): b for b in gate.bars}
    assert by[("all", "accuracy")].value == 0.5 and by[("all", "agreement")].passed
    assert not by[("short", "accuracy")].passed  # slices this toy set does not have fail, as they must
    assert standards.pin_problem(spec) is None and standards.model_pin(spec) == "toy:billing@1.0"


def test_every_kind_of_the_standards_has_exactly_one_adapter() -> None:
    assert set(known_kinds()) == set(MODEL_KINDS)


def test_an_unknown_kind_lists_the_known_ones(tmp_path: Path) -> None:
    from harness import AdapterError

    class Nowhere:
        kind = "nowhere"

    settings = Settings(task="classification", labels=None, prompt_template="{input}", max_new_tokens=8,
                        max_length=None)
    with pytest.raises(AdapterError, match="known kinds: callable, endpoint, hub, local, recorded"):
        make_adapter("teacher", Nowhere(), settings, tmp_path)


def test_a_prediction_is_a_plain_immutable_record() -> None:
    """One per row per model: its probabilities a tuple of floats, which the collector stops
    tracking (a full collection then does not walk every row's probabilities); it reads and
    writes the cache's JSON both ways."""
    import gc

    pred = Prediction.from_json({"output": "billing", "probs": [0.75, 0.25]})
    with pytest.raises(AttributeError):
        pred.output = "other"  # type: ignore[misc]
    assert pred.probs == (0.75, 0.25)
    gc.collect()
    assert not gc.is_tracked(pred.probs)
    assert Prediction.from_json(pred.to_json()) == pred
    assert Prediction.from_json({"output": "x", "probs": [0.5, 0.5]}).probs == (0.5, 0.5)
