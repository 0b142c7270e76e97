"""Bad and hostile input ends in exit 2, naming the file and field, without a traceback,
in bounded time and memory, leaving nothing half-written (issue #15, items 5-11)."""

from __future__ import annotations

import json
import shutil
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from standards import file_sha256

from ._projects import classification_project, eval_rows, write_jsonl
from .conftest import EXAMPLES, run_cli


def _no_traceback(res) -> None:
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout, res.stderr[-2000:]


def _set(project: Path, change) -> None:
    m = yaml.safe_load((project / "stillhouse.yaml").read_text())
    change(m)
    (project / "stillhouse.yaml").write_text(yaml.safe_dump(m, sort_keys=False))


def _repin_eval(project: Path, rows: list[dict]) -> None:
    write_jsonl(project / "data" / "eval.jsonl", rows)
    _set(project, lambda m: m["eval_set"].update(sha256=file_sha256(project / "data" / "eval.jsonl"), rows=len(rows)))


def test_a_long_input_is_cut_at_what_the_model_accepts(tmp_path: Path) -> None:
    """The student accepts 32 positions; the manifest's token limit says 64."""
    project = classification_project(tmp_path / "p", teacher="recorded", n=20)
    rows = eval_rows(20)
    rows[0]["text"] = " ".join(["refund"] * 200)
    _repin_eval(project, rows)
    preds = [{"id": r["id"], "output": r["label"], "probs": [0.8, 0.2] if r["label"] == "billing" else [0.2, 0.8]}
             for r in rows]
    write_jsonl(project / "teacher" / "predictions.jsonl", preds)
    _set(project, lambda m: (m["teacher"].update(sha256=file_sha256(project / "teacher" / "predictions.jsonl")),
                             m.update(distillation={"train_set": {"path": "data/eval.jsonl",
                                                                  "sha256": file_sha256(project / "data" / "eval.jsonl")},
                                                    "max_length": 64})))
    res = run_cli("eval", project, "--quiet")
    assert res.code == 0, res.stderr  # the report is written; no gate was asked for
    _no_traceback(res)


@pytest.mark.parametrize("reason", ["bell \x07 rings", "not a character \ufffe", "bad byte \udcff"])
def test_retire_refuses_control_characters(minimal_project: Path, reason: str) -> None:
    before = (minimal_project / "stillhouse.yaml").read_bytes()
    res = run_cli("retire", minimal_project, "--reason", reason) if "\udcff" not in reason else None
    if res is None:  # an argument that is not UTF-8 at all reaches Python as a lone surrogate
        import subprocess
        import sys

        from .conftest import ROOT

        proc = subprocess.run([sys.executable, "-m", "harness", "retire", str(minimal_project), "--reason",
                               b"bad byte \xff"], capture_output=True, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        code, err = proc.returncode, proc.stderr
    else:
        code, err = res.code, res.stderr
    assert code == 2 and "retirement_reason" in err and "Traceback" not in err, err
    assert (minimal_project / "stillhouse.yaml").read_bytes() == before


@pytest.mark.parametrize("stamp", [1e300, "Infinity", "9999-12-31T23:59:59Z", -1e20])
def test_drift_refuses_impossible_timestamps(tmp_path: Path, stamp) -> None:
    project = tmp_path / "ticket-router"
    import shutil

    shutil.copytree(EXAMPLES / "demo-fleet" / "models" / "ticket-router", project)
    rows = [{"timestamp": "2026-11-20T10:00:00Z", "input": "refund please", "output": "billing"}] * 3
    rows.append({"timestamp": stamp, "input": "refund please", "output": "billing"})
    (tmp_path / "prod.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    res = run_cli("drift", project, "--production", tmp_path / "prod.jsonl", "--now", "2026-11-28")
    assert res.code == 2 and "row 4.timestamp" in res.stderr, res.stderr
    _no_traceback(res)


def test_eval_into_an_unwritable_folder_is_exit_2(minimal_project: Path) -> None:
    res = run_cli("eval", minimal_project, "--quiet", "--out", "/proc/sys")
    assert res.code == 2 and "/proc/sys" in res.stderr
    _no_traceback(res)


def test_an_oversized_eval_row_is_refused_before_any_model_runs(minimal_project: Path) -> None:
    rows = [json.loads(x) for x in (minimal_project / "data" / "eval.jsonl").read_text().splitlines()]
    rows[7]["text"] = "x" * (2 << 20)
    _repin_eval(minimal_project, rows)
    started = time.monotonic()
    res = run_cli("eval", minimal_project, "--quiet")
    assert res.code == 2 and "line 8" in res.stderr and "at most" in res.stderr, res.stderr
    assert time.monotonic() - started < 60
    _no_traceback(res)


@pytest.mark.parametrize("depth, ok", [(31, True), (32, True), (33, False)])
def test_a_deeply_nested_eval_row_is_refused_past_the_limit(tmp_path: Path, depth: int, ok: bool) -> None:
    """Nesting is counted in levels of JSON values: the row object is level 1, a value in it
    level 2. Brackets inside strings count for nothing, however many there are."""
    from standards.tabular import MAX_DEPTH, TableError, read_rows

    assert MAX_DEPTH == 32
    nested: object = "x"
    for _ in range(depth - 2):  # "x" at level `depth`
        nested = [nested]
    path = tmp_path / "rows.jsonl"
    rows = [{"id": "a", "text": "[{" * 100}, {"id": "b", "text": "deep", "extra": nested}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    if ok:
        assert [r["id"] for r in read_rows(path)] == ["a", "b"]
    else:
        with pytest.raises(TableError, match="line 2: JSON nested more than 32 levels"):
            read_rows(path)


@pytest.mark.parametrize("line, where", [('{"id": "b", "text": "x"', "column 23"),
                                         ('{"id": "b"} {"id": "c"}', "trailing characters, column 13"),
                                         ('{"id": "b", "text": nope}', "column 22")])
def test_a_broken_json_row_is_named_by_line_and_column(tmp_path: Path, line: str, where: str) -> None:
    from standards.tabular import TableError, read_rows

    path = tmp_path / "rows.jsonl"
    path.write_text('{"id": "a", "text": "fine"}\n\n' + line + "\n", encoding="utf-8")
    with pytest.raises(TableError, match=r"^line 3: not valid JSON \(.*" + where + r"\)$"):
        read_rows(path)


def test_a_row_nested_past_the_parser_limit_is_refused_like_any_deep_row(tmp_path: Path) -> None:
    from standards.tabular import TableError, read_rows

    path = tmp_path / "rows.jsonl"
    path.write_text('{"id": "a", "x": ' + "[" * 5000 + "]" * 5000 + "}\n", encoding="utf-8")
    with pytest.raises(TableError, match="line 1: JSON nested more than 32 levels"):
        read_rows(path)


def test_a_symlink_out_of_the_project_is_refused(tmp_path: Path) -> None:
    project = classification_project(tmp_path / "p", teacher="recorded", n=20)
    outside = tmp_path / "elsewhere.json"
    outside.write_text((project / "student" / "config.json").read_text())
    (project / "student" / "config.json").unlink()
    os.symlink(outside, project / "student" / "config.json")
    from standards import artifact_sha256

    _set(project, lambda m: m["student"].update(sha256=artifact_sha256(project / "student")))
    res = run_cli("eval", project, "--quiet")
    assert res.code == 2 and "outside the project" in res.stderr, res.stderr
    _no_traceback(res)


class _Misbehaving:
    """A chat-completions server that trickles its answer one byte a second, or announces a huge body."""

    def __init__(self, mode: str):
        self.mode = mode
        mode_ = mode

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers["Content-Length"]))
                body = b'{"choices": [{"message": {"content": "billing"}}]}'
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    if mode_ == "huge":
                        self.send_header("Content-Length", str(400 << 20))
                        self.end_headers()
                        chunk = b" " * (1 << 20)
                        for _ in range(400):
                            self.wfile.write(chunk)
                        return
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    for b in body:
                        self.wfile.write(bytes([b]))
                        self.wfile.flush()
                        time.sleep(1.0)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.parametrize("mode, words", [("trickle", "no whole answer within 2 s"), ("huge", "bytes or more")])
def test_an_endpoint_that_trickles_or_floods_is_cut_off(tmp_path: Path, mode: str, words: str) -> None:
    server = _Misbehaving(mode)
    try:
        project = classification_project(tmp_path / "p", teacher="recorded", n=20)
        _set(project, lambda m: m.update(teacher={"kind": "endpoint", "base_url": server.url,
                                                  "model": "slow-llm-2026-01-01", "timeout_s": 2, "max_retries": 1,
                                                  "max_concurrency": 2}))
        started = time.monotonic()
        res = run_cli("eval", project, "--quiet")
        elapsed = time.monotonic() - started
        assert res.code == 2 and words in res.stderr, res.stderr
        assert elapsed < 60, elapsed  # two attempts of at most 2 s each, per request in flight
        assert len(res.stderr) < 2000  # a short excerpt, never the body
        _no_traceback(res)
    finally:
        server.close()


def test_markdown_tables_hold_whatever_a_manifest_says(minimal_project: Path) -> None:
    """`|`, carriage returns and line breaks in manifest strings never add a cell or a row."""
    _set(minimal_project, lambda m: (m["owner"].update(handle="ada | admin", team="ml\r\n| x | y |"),
                                     m.update(description="line one\nline | two\r\nthree")))
    res = run_cli("checklist", minimal_project)
    _no_traceback(res)
    header = next(line for line in res.stdout.splitlines() if line.startswith("Standards "))
    assert "\r" not in res.stdout and "ada \\| admin" in header
    assert run_cli("eval", minimal_project, "--quiet").code == 0
    md = (minimal_project / "report" / "report.md").read_text()
    for line in md.splitlines():
        if line.startswith("|"):
            cells = line.strip().strip("|").split(" | ")
            assert not any(c.strip() == "x" for c in cells), line


def test_a_callable_answering_probabilities_that_are_not_numbers_is_exit_2(tmp_path: Path) -> None:
    project = classification_project(tmp_path / "p", n=10, module="wordy_teacher")
    (project / "wordy_teacher.py").write_text(
        "def answer(texts):\n    return [{'output': 'billing', 'probs': 'very likely'} for _ in texts]\n")
    res = run_cli("eval", project, "--quiet")
    assert res.code == 2 and "'probs' should be a list of numbers, found 'very likely'" in res.stderr, res.stderr
    _no_traceback(res)
    assert not (project / "report" / "report.json").exists()


def test_a_slice_on_a_column_no_row_has_is_refused_naming_the_rule(tmp_path: Path) -> None:
    project = classification_project(tmp_path / "p", teacher="recorded", n=20)
    _set(project, lambda m: m["slices"].append(
        {"name": "short-email", "rule": {"all_of": [{"column": "chanel", "equals": "email"},
                                                    {"text_length": {"max_words": 4}}]}}))
    res = run_cli("eval", project, "--quiet")
    assert res.code == 2, res.stderr
    _no_traceback(res)
    assert "slices[1].rule.all_of[0].column: expected a column of data/eval.jsonl" in res.stderr
    assert "found 'chanel' (did you mean 'channel'?) [EVAL-004]" in res.stderr
    assert not (project / "report").exists()


def test_control_characters_in_a_manifest_never_reach_the_terminal(minimal_project: Path) -> None:
    """An escape sequence in a handle would clear a reviewer's screen or plant a link in a CI
    log; a right-to-left override would reverse the rest of the line. Each shows as a symbol."""
    _set(minimal_project, lambda m: m["owner"].update(handle="ada\x1b[2J\x1b]8;;http://evil.example/\x07x\u202e"))
    for args in (("validate", minimal_project), ("checklist", minimal_project)):
        res = run_cli(*args)
        _no_traceback(res)
        assert "ada␛[2J␛]8;;http://evil.example/␇x\ufffd" in res.stdout.replace("\\", ""), res.stdout
        assert not {"\x1b", "\x07", "\u202e"} & set(res.output), args


@pytest.mark.parametrize("folder", ["x[/]", "y[bold red]z", "exp[old]"])
def test_a_path_that_reads_as_console_markup_prints_as_typed(tmp_path: Path, folder: str) -> None:
    """A folder name is printed as it is: `[/]` used to crash the gate's last line after the
    report was written (exit 1, read as a failing gate), and `[old]` vanished from it."""
    project = tmp_path / folder
    shutil.copytree(EXAMPLES / "minimal", project, ignore=shutil.ignore_patterns("report", ".stillhouse"))
    res = run_cli("eval", project, "--gate")
    _no_traceback(res)
    assert res.code == 0 and f"Open {project / 'report'}/report.html" in res.stdout.replace("\n", ""), res.output
    (project / "stillhouse.yaml").write_text("name: [\n")
    res = run_cli("validate", project)
    _no_traceback(res)
    assert res.code == 2 and f"in {project / 'stillhouse.yaml'}" in res.stderr.replace("\n", ""), res.stderr


@pytest.mark.parametrize("body, words", [
    ("return [{'output': 'billing', 'probs': [float('nan'), -3.0]} for _ in texts]", "finite probabilities"),
    ("return [{'output': 'billing', 'probs': [0.2, 0.3, 0.5]} for _ in texts]", "2 probabilities (one per label)"),
    ("return ['Billing' for _ in texts]", "expected one of the manifest's labels (billing, technical); found 'Billing'"),
])
def test_a_callable_answer_out_of_contract_is_exit_2_as_in_record(tmp_path: Path, body: str, words: str) -> None:
    """`record` refused these answers while `eval` scored them: a NaN divergence, a crash in
    the metrics, or a teacher that is simply wrong on every row."""
    project = classification_project(tmp_path / "p", n=10, module="odd_teacher")
    (project / "odd_teacher.py").write_text(f"def answer(texts):\n    {body}\n")
    res = run_cli("eval", project, "--quiet")
    assert res.code == 2 and words in res.stderr and "row 'ex-0000'" in res.stderr, res.stderr
    _no_traceback(res)
    assert not (project / "report").exists()


def test_a_callable_module_that_fails_to_import_is_exit_2(tmp_path: Path) -> None:
    project = classification_project(tmp_path / "p", n=10, module="broken_teacher")
    (project / "broken_teacher.py").write_text("import os\nTOKEN = os.environ['NO_SUCH_VARIABLE']\n")
    res = run_cli("eval", project, "--quiet")
    assert res.code == 2 and "importing 'broken_teacher'" in res.stderr and "KeyError" in res.stderr, res.stderr
    _no_traceback(res)


def test_ctrl_c_is_exit_130_not_a_failed_gate(tmp_path: Path) -> None:
    """Click turned Ctrl-C into "Aborted!" and exit 1, which CI reads as a failed gate."""
    import signal
    import subprocess
    import sys

    from .conftest import ROOT

    project = classification_project(tmp_path / "p", n=10, module="slow_teacher")
    started = tmp_path / "started"
    (project / "slow_teacher.py").write_text(
        f"import pathlib, time\ndef answer(texts):\n    pathlib.Path({str(started)!r}).touch()\n"
        "    time.sleep(60)\n    return ['billing' for _ in texts]\n")
    # a test worker may ignore SIGINT, and a child inherits that: the command gets it as a shell gives it
    proc = subprocess.Popen([sys.executable, "-m", "harness", "eval", str(project), "--quiet"], cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while not started.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130 and "interrupted" in err and "Aborted" not in err, (proc.returncode, err)
    assert "Traceback" not in err and not (project / "report").exists()


def test_a_model_folder_without_its_tokenizer_is_exit_2(tmp_path: Path) -> None:
    """transformers builds a five-token tokenizer from config.json alone: every word became
    [UNK] and the report's figures looked real (a failing gate, exit 1)."""
    project = classification_project(tmp_path / "p", n=10)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        (project / "student" / name).unlink(missing_ok=True)
    from standards import artifact_sha256

    _set(project, lambda m: m["student"].update(sha256=artifact_sha256(project / "student")))
    res = run_cli("eval", project, "--quiet")
    assert res.code == 2 and "no tokenizer in student/" in res.stderr and "save_pretrained" in res.stderr, res.stderr
    _no_traceback(res)
    assert not (project / "report").exists()


def test_labels_in_another_order_than_the_model_s_outputs_is_exit_2(tmp_path: Path) -> None:
    """Only the count was compared: each output was scored as the other class (distill refused)."""
    project = classification_project(tmp_path / "p", n=10)
    _set(project, lambda m: m.update(labels=list(reversed(m["labels"]))))
    res = run_cli("eval", project, "--quiet")
    assert res.code == 2 and "id2label names its outputs billing, technical" in res.stderr, res.stderr
    assert "the manifest's `labels` are technical, billing" in res.stderr
    _no_traceback(res)


def test_an_empty_eval_set_is_refused_and_the_last_report_kept(minimal_project: Path) -> None:
    assert run_cli("eval", minimal_project, "--quiet").code == 0
    before = (minimal_project / "report" / "report.json").read_bytes()
    (minimal_project / "data" / "eval.jsonl").write_text("")
    _set(minimal_project, lambda m: m["eval_set"].update(sha256=file_sha256(minimal_project / "data" / "eval.jsonl"),
                                                         rows=0))
    res = run_cli("eval", minimal_project, "--quiet")
    assert res.code == 2 and "an eval set with at least one row" in res.stderr and "no rows" in res.stderr, res.stderr
    _no_traceback(res)
    assert (minimal_project / "report" / "report.json").read_bytes() == before
    res = run_cli("validate", minimal_project)
    assert "EVAL-003" in res.stdout and "has no rows" in res.stdout.replace("\n", " "), res.stdout


def test_refusals_say_the_limit_and_the_culprit(minimal_project: Path) -> None:
    """pydantic's own wording ("String should have at least 1 character") and a bare "unique
    labels" reached users; a name one character too long did not say the limit was 80."""
    _set(minimal_project, lambda m: (m.update(name="a" * 81), m["owner"].update(handle=""),
                                     m.update(labels=[m["labels"][0], *m["labels"]])))
    res = run_cli("validate", minimal_project)
    _no_traceback(res)
    out = " ".join(res.stderr.split())
    assert res.code == 2 and "at most 80 characters); found 'aaaa" in out and "(text of 81 characters)" in out, out
    assert "owner.handle: expected text of at least 1 character; found ''" in out
    assert "expected unique labels (`billing` is listed twice)" in out and "String should" not in out
