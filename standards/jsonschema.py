"""Export every versioned schema as JSON Schema (for editors and other tools)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from .fleet import DriftRecord, FleetReport, People, RegistryEntry, RegistrySettings, Teachers
from .report import EvalReport
from .training import TrainingRecord
from .versions import VERSIONS

SCHEMA_DIR = Path(__file__).with_name("schemas")


#: The non-manifest schemas: (title, file name, model, anchor prefix). The docs render
#: this same list, so a schema added here appears on the site and in `stillhouse schema`.
DOCUMENT_SCHEMAS: tuple[tuple[str, str, type[BaseModel], str], ...] = (
    ("Evaluation report", "eval-report-1.1.schema.json", EvalReport, "report"),
    ("Fleet report", "fleet-report-1.1.schema.json", FleetReport, "fleet"),
    ("Registry: registry.yaml", "registry-1.1.schema.json", RegistrySettings, "registry"),
    ("Registry: a pointer entry (models/NAME/entry.yaml)", "registry-entry-1.0.schema.json", RegistryEntry, "entry"),
    ("Registry: teachers.yaml", "teachers-1.1.schema.json", Teachers, "teachers"),
    ("Registry: people.yaml", "people-1.0.schema.json", People, "people"),
    ("Drift record", "drift-record-1.0.schema.json", DriftRecord, "drift"),
    ("Training record (training/record.json)", "training-record-1.0.schema.json", TrainingRecord, "training"),
)


def schema_documents() -> dict[str, str]:
    """File name -> JSON text of every exported schema."""
    models: dict[str, type[BaseModel]] = {
        f"manifest-{v}.schema.json": mod.Manifest for v, mod in VERSIONS.items()
    }
    models.update({filename: model for _title, filename, model, _prefix in DOCUMENT_SCHEMAS})
    out = {}
    for name, model in models.items():
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = name
        out[name] = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return out


def write_schemas(out_dir: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema into ``out_dir`` (atomically, file by file); return the paths."""
    import os
    import tempfile

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_documents().items():
        target = out_dir / name
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, target)
        written.append(target)
    return written
