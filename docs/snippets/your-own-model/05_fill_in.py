# Fill in the manifest. In your project you edit stillhouse.yaml by hand, pasting the pins
# `stillhouse hash` printed; this script writes the same values so the page can run as is.
# --8<-- [start:run]
from pathlib import Path

from ruamel.yaml import YAML

from standards import artifact_sha256, file_sha256

project = Path("support-router")
yaml = YAML()  # round-trip: the template's comments stay
manifest = yaml.load(project / "stillhouse.yaml")
manifest["description"] = "Routes support messages to billing, shipping or account."
manifest["owner"].update(handle="ada", team="support-ml", backup="grace")
manifest["labels"] = ["account", "billing", "shipping"]           # the teacher's output order
manifest["teacher"].update(family="support-router-teacher", sha256=artifact_sha256(project / "teacher"))
manifest["eval_set"].update(sha256=file_sha256(project / "data" / "eval.jsonl"), rows=150)
manifest["slices"] = [{"name": "email", "description": "Came in by e-mail.",
                       "rule": {"column": "channel", "equals": "email"}},
                      {"name": "short", "description": "Three words or fewer.",
                       "rule": {"text_length": {"max_words": 3}}}]
manifest["quality_bars"] = [
    {"slice": "*", "metric": "accuracy", "minimum": 0.80, "min_examples": 30},
    {"slice": "*", "metric": "agreement", "minimum": 0.80, "min_examples": 30},
    {"slice": "all", "metric": "accuracy", "max_drop_vs_teacher": 0.10, "min_examples": 100}]
manifest["budgets"] = {"latency_p95_ms": 50, "cost_per_1k_calls_usd": 0.01}
manifest["distillation"]["train_set"]["sha256"] = file_sha256(project / "data" / "train.jsonl")
manifest["distillation"]["epochs"] = 10
manifest["distillation"]["student"].update(layers=1, hidden_size=64, heads=2, intermediate_size=128)
yaml.dump(manifest, project / "stillhouse.yaml")
print("filled in every <FILL-IN> but student.sha256, which distill writes")
# --8<-- [end:run]
