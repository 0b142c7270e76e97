"""Standards as data: the catalogue, the checks, versions and migration, JSON Schemas."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

import standards
from standards import CHECKS, CURRENT_VERSION, VERSIONS, load_catalogue, migrate, parse_manifest, schema_documents

from .conftest import EXAMPLES


def minimal_data() -> dict:
    return yaml.safe_load((EXAMPLES / "minimal" / "stillhouse.yaml").read_text())


def test_every_automatic_requirement_has_exactly_one_check():
    cat = load_catalogue()
    automatic = {r.id for r in cat.requirements if r.check == "automatic"}
    assert automatic == set(CHECKS)


def test_catalogue_records_are_complete():
    cat = load_catalogue()
    assert len(cat.requirements) >= 20
    for r in cat.requirements:
        assert r.text.strip() and r.rationale.strip()
        assert r.introduced in VERSIONS
        if r.check == "manual":
            assert r.question
    ids = [r.id for r in cat.requirements]
    # the three standards that matter most, plus ownership and triggers
    for rid in ("EVAL-001", "EVAL-002", "TEACH-001", "BAR-001", "BAR-002", "OWN-001", "OWN-002",
                "TRIG-001", "MON-001", "EVAL-005", "SAFE-002", "LIFE-001", "LIFE-002"):
        assert rid in ids


def test_catalogue_rejects_a_manual_requirement_without_question(tmp_path):
    data = yaml.safe_load(standards.catalogue.CATALOGUE_PATH.read_text())
    data["requirements"][0]["check"] = "manual"
    data["requirements"][0].pop("question", None)
    p = tmp_path / "cat.yaml"
    p.write_text(yaml.safe_dump(data))
    with pytest.raises(ValidationError, match="reviewer's question"):
        load_catalogue(p)


def test_current_manifest_parses_and_is_the_current_model():
    m = parse_manifest(minimal_data())
    assert isinstance(m, standards.Manifest)
    assert m.standards_version == CURRENT_VERSION


def test_a_1_0_manifest_migrates_forward_with_its_renamed_field():
    data = minimal_data()
    data["standards_version"] = "1.0"
    for k in ("description", "distillation"):
        data.pop(k)
    data["monitoring"] = {"sample_path": "monitoring/prod.jsonl", "spot_check_share": 0.1}
    before = copy.deepcopy(data)
    m = parse_manifest(data)
    assert data == before, "migration must not mutate the caller's data"
    assert m.standards_version == standards.CURRENT_VERSION
    assert m.monitoring.production_sample == "monitoring/prod.jsonl"
    assert m.distillation is None
    assert migrate(data)["monitoring"] == {"production_sample": "monitoring/prod.jsonl", "spot_check_share": 0.1}


def test_1_0_schema_refuses_fields_added_in_1_1():
    data = minimal_data()
    data["standards_version"] = "1.0"
    with pytest.raises(ValidationError):
        parse_manifest(data)
    assert "standards 1.1" in standards.field_hint("1.0", "description")


def test_renamed_field_hint_names_the_new_field():
    hint = standards.field_hint("1.1", "monitoring.sample_path")
    assert hint == "`monitoring.sample_path` was renamed to `monitoring.production_sample` in standards 1.1"


def test_unknown_version_is_refused():
    data = minimal_data()
    data["standards_version"] = "7.0"
    with pytest.raises(standards.UnknownVersion):
        parse_manifest(data)


def test_every_version_has_a_changelog_entry():
    assert {c["version"] for c in standards.CHANGELOG} == set(VERSIONS)


def test_committed_json_schemas_are_in_sync():
    """Regenerate every schema and compare with the committed files: run
    `stillhouse schema` after changing a schema."""
    docs = schema_documents()
    committed = {p.name: p.read_text() for p in standards.SCHEMA_DIR.glob("*.json")}
    assert set(committed) == set(docs), "stale or missing schema files: run `stillhouse schema`"
    for name, text in docs.items():
        assert committed[name] == text, f"{name} is out of date: run `stillhouse schema`"
    for text in docs.values():
        json.loads(text)


def test_json_schema_accepts_the_example_manifest():
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is an optional test aid")
    schema = json.loads((standards.SCHEMA_DIR / f"manifest-{CURRENT_VERSION}.schema.json").read_text())
    data = json.loads(json.dumps(minimal_data(), default=str))
    jsonschema.validate(data, schema)


def test_teacher_pin_policy():
    from standards.v1_0 import CallableModel, EndpointModel, HubModel, LocalModel

    assert standards.pin_problem(LocalModel(kind="local", path="t", sha256="a" * 64)) is None
    assert "64 hex" in standards.pin_problem(LocalModel(kind="local", path="t", sha256="abc"))
    assert standards.pin_problem(HubModel(kind="hub", repo="o/m", revision="0" * 40, path="t")) is None
    assert "moving branch" in standards.pin_problem(HubModel(kind="hub", repo="o/m", revision="main", path="t"))
    assert "40-hex" in standards.pin_problem(HubModel(kind="hub", repo="o/m", revision="v1.2", path="t"))
    ok = EndpointModel(kind="endpoint", base_url="http://127.0.0.1:1/v1", model="gpt-4o-2024-08-06")
    assert standards.pin_problem(ok) is None
    assert standards.pin_problem(ok.model_copy(update={"model": "claude-3-5-sonnet-20241022"})) is None
    for floating in ("gpt-4o", "gpt-4o-latest", "latest", "my-model:main"):
        assert standards.pin_problem(ok.model_copy(update={"model": floating})), floating
    assert standards.pin_problem(CallableModel(kind="callable", target="m:f", version="latest"))
    assert standards.pin_problem(CallableModel(kind="callable", target="m:f", version="1.4.2")) is None


def test_slice_rules():
    from standards.v1_0 import SliceRule

    rows = [{"text": "a b c", "domain": "billing", "score": "0.5"}, {"text": "one two three four five six", "domain": "tech", "score": 2}]
    def sel(**rule):
        return [standards.matches(SliceRule(**rule), r, "text") for r in rows]
    assert sel(column="domain", equals="billing") == [True, False]
    assert sel(column="domain", one_of=["tech", "x"]) == [False, True]
    assert sel(column="score", range={"min": 1}) == [False, True]
    assert sel(column="score", range={"max": 0.5}) == [True, False]
    assert sel(text_length={"max_words": 3}) == [True, False]
    assert sel(matches=r"\bsix$") == [False, True]
    assert sel(all_of=[{"column": "domain", "equals": "tech"}, {"text_length": {"min_words": 6}}]) == [False, True]
    assert sel(text_length={"min_chars": 6}) == [False, True]
    assert sel(text_length={"max_chars": 5, "max_words": 1}) == [False, False]
    assert sel(column="missing", text_length={"max_chars": 0}) == [True, True]  # a missing value is ""
    assert sel(column="missing", matches="^$") == [True, True]
    assert sel(column="missing", range={"min": 0}) == [False, False]
    assert sel(column="score", equals=2) == [False, True]
    rules = [SliceRule(column="domain", one_of=["billing"]), SliceRule(text_length={"min_words": 4, "max_chars": 40}),
             SliceRule(all_of=[{"matches": "o"}, {"column": "score", "range": {"min": 0.1, "max": 3}}])]
    slices = [type("S", (), {"name": f"s{k}", "rule": r})() for k, r in enumerate(rules)]
    masks = standards.slice_masks(slices, rows, "text")
    assert masks == {"all": [True, True], **{f"s{k}": [standards.matches(r, row, "text") for row in rows]
                                            for k, r in enumerate(rules)}}
    assert masks["s0"] == [True, False] and masks["s1"] == [False, True] and masks["s2"] == [False, True]
    with pytest.raises(ValidationError, match="exactly one"):
        SliceRule(column="domain", equals="x", one_of=["y"])
    with pytest.raises(ValidationError, match="regular expression"):
        SliceRule(matches="(unclosed")


def test_requirements_apply_from_their_version(minimal_project):
    import harness

    text = (minimal_project / "stillhouse.yaml").read_text()
    data = yaml.safe_load(text)
    data["standards_version"] = "1.0"
    data.pop("description")
    data.pop("distillation")
    data["monitoring"]["sample_path"] = data["monitoring"].pop("production_sample")
    (minimal_project / "stillhouse.yaml").write_text(yaml.safe_dump(data))
    ids = {r.id for r in harness.validate(minimal_project).results}
    assert "DIST-001" not in ids  # introduced in 1.1
    assert "EVAL-001" in ids
