"""The endpoint adapter against a real HTTP server on 127.0.0.1 speaking chat completions."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

import harness
from harness import AdapterError

from ._projects import classification_project
from .conftest import run_cli

KEY = "sk-test-not-a-real-key"


class _Server:
    """Answers like an OpenAI-compatible server. The first request for an input containing
    `throttle` gets a 429; the first for `stall` is answered only after the client's timeout."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.auth: list[str | None] = []
        self.seen: set[str] = set()
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                text = body["messages"][0]["content"]
                with server.lock:
                    server.requests.append(body)
                    server.auth.append(self.headers.get("Authorization"))
                    first = text not in server.seen
                    server.seen.add(text)
                if self.path == "/moved/v1/chat/completions":
                    self.send_response(302)
                    self.send_header("Location", "http://127.0.0.2/v1/chat/completions")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path != "/v1/chat/completions":
                    self.send_error(404)
                    return
                if self.headers.get("Authorization") != f"Bearer {KEY}":
                    echo = json.dumps({"error": f"invalid key: {self.headers.get('Authorization')}"}).encode()
                    self.send_response(401)  # as some servers do, it quotes the key it was sent
                    self.send_header("Content-Length", str(len(echo)))
                    self.end_headers()
                    self.wfile.write(echo)
                    return
                if first and "throttle" in text:
                    self.send_response(429)
                    self.send_header("Retry-After", "0")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if first and "stall" in text:
                    time.sleep(1.0)  # the client gave up after 0.3 s; this answer goes nowhere
                words = set(text.split())
                label = "billing" if words & {"refund", "invoice", "charge", "payment", "card"} else "technical"
                if "offlabel" in words:
                    label = "refunds and returns"  # not one of the manifest's labels
                usage = {"prompt_tokens": len(text.split()) + 5, "completion_tokens": 2,
                         "total_tokens": len(text.split()) + 7}
                if "badusage" in words:
                    usage = {"prompt_tokens": -1000000, "completion_tokens": True}
                payload = json.dumps({
                    "id": "cmpl-1", "object": "chat.completion", "model": body["model"],
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": f" {label.title()}."},
                                 "finish_reason": "stop"}],
                    "usage": usage,
                }).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.close()


def _endpoint_project(root: Path, url: str, n: int = 24, **spec: object) -> Path:
    project = classification_project(root, teacher="recorded", n=n)
    m = yaml.safe_load((project / "stillhouse.yaml").read_text())
    m["teacher"] = {"kind": "endpoint", "base_url": url, "model": "teacher-llm-2026-10-01",
                    "api_key_env": "STILLHOUSE_TEST_KEY", "max_concurrency": 4, "timeout_s": 0.3,
                    "max_retries": 3, "pricing": {"usd_per_1k_input_tokens": 0.5, "usd_per_1k_output_tokens": 1.5},
                    **spec}
    rows = [json.loads(x) for x in (project / "data" / "eval.jsonl").read_text().splitlines()]
    rows[0]["text"] += " throttle"
    rows[1]["text"] += " stall"
    (project / "data" / "eval.jsonl").write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    from standards import file_sha256

    m["eval_set"]["sha256"] = file_sha256(project / "data" / "eval.jsonl")
    (project / "stillhouse.yaml").write_text(yaml.safe_dump(m))
    return project


def test_endpoint_teacher_with_a_429_and_a_timeout(server, tmp_path, monkeypatch):
    monkeypatch.setenv("STILLHOUSE_TEST_KEY", KEY)
    monkeypatch.setattr("harness.eval.adapters.endpoint.EndpointAdapter.backoff_s", 0.05)
    project = _endpoint_project(tmp_path / "p", server.url)
    report = harness.evaluate(project)
    # 24 answers, plus one 429 and one timed-out attempt that were retried
    assert len(server.requests) == 26
    assert all(a == f"Bearer {KEY}" for a in server.auth)
    assert all(r["model"] == "teacher-llm-2026-10-01" and r["temperature"] == 0 for r in server.requests)
    assert report.teacher.kind == "endpoint" and report.teacher.pin == "endpoint:teacher-llm-2026-10-01"
    assert report.slices[0].teacher_accuracy.value == 1.0  # " Billing." maps onto the label `billing`
    cost = report.teacher.cost
    rows = [json.loads(x) for x in (project / "data" / "eval.jsonl").read_text().splitlines()]
    assert cost.input_tokens == sum(len(r["text"].split()) + 5 for r in rows)  # successful calls only
    assert cost.output_tokens == 48 and cost.usd_per_call > 0 and report.cost_ratio is not None
    assert report.teacher.latency.calls == 24
    # the key is used but never stored
    assert KEY not in (project / "report" / "report.json").read_text()
    assert not any(KEY in p.read_text() for p in (project / ".stillhouse").rglob("*.json"))
    # a second run is a cache hit: the server sees nothing
    before = len(server.requests)
    again = harness.evaluate(project)
    assert len(server.requests) == before and again.teacher.from_cache


def test_endpoint_gives_up_after_its_retries(server, tmp_path, monkeypatch):
    monkeypatch.setenv("STILLHOUSE_TEST_KEY", KEY)
    monkeypatch.setattr("harness.eval.adapters.endpoint.EndpointAdapter.backoff_s", 0.01)
    project = _endpoint_project(tmp_path / "p", server.url, max_retries=0)
    with pytest.raises(AdapterError, match="failed 1 time"):
        harness.evaluate(project)
    assert not (project / "report").exists()


def test_endpoint_key_problems_are_unusable_input(server, tmp_path):
    project = _endpoint_project(tmp_path / "p", server.url)
    res = run_cli("eval", project, "--quiet", env={"STILLHOUSE_TEST_KEY": ""})
    assert res.code == 2 and "STILLHOUSE_TEST_KEY" in res.stderr and "not set" in res.stderr
    res = run_cli("eval", project, "--quiet", env={"STILLHOUSE_TEST_KEY": "wrong"})
    assert res.code == 2 and "HTTP 401" in res.stderr and "Traceback" not in res.output


def _with_word(project: Path, row: int, word: str) -> None:
    from standards import file_sha256

    rows = [json.loads(x) for x in (project / "data" / "eval.jsonl").read_text().splitlines()]
    rows[row]["text"] += f" {word}"
    (project / "data" / "eval.jsonl").write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    m = yaml.safe_load((project / "stillhouse.yaml").read_text())
    m["eval_set"]["sha256"] = file_sha256(project / "data" / "eval.jsonl")
    (project / "stillhouse.yaml").write_text(yaml.safe_dump(m))


def test_an_answer_outside_the_labels_is_refused_before_it_is_cached(server, tmp_path):
    """An LLM teacher that answers off the label list used to give a report with that row
    simply wrong (exit 0), and its answers stayed cached for the next run."""
    project = _endpoint_project(tmp_path / "p", server.url)
    _with_word(project, 5, "offlabel")
    res = run_cli("eval", project, "--quiet", env={"STILLHOUSE_TEST_KEY": KEY})
    assert res.code == 2 and "expected one of the manifest's labels (billing, technical)" in res.stderr, res.output
    assert "'Refunds And Returns.'" in res.stderr and "nothing of this run was cached" in res.stderr
    assert "Traceback" not in res.output and not (project / "report").exists()
    cached = [p for p in (project / ".stillhouse").rglob("*") if p.is_file()] if (project / ".stillhouse").exists() else []
    assert not any("Refunds And Returns" in p.read_text(errors="replace") for p in cached)


def test_token_counts_that_are_not_counts_are_not_priced(server, tmp_path, monkeypatch):
    monkeypatch.setenv("STILLHOUSE_TEST_KEY", KEY)
    project = _endpoint_project(tmp_path / "p", server.url, timeout_s=5)
    _with_word(project, 4, "badusage")
    cost = harness.evaluate(project).teacher.cost
    rows = [json.loads(x) for x in (project / "data" / "eval.jsonl").read_text().splitlines()]
    # the row whose server said -1,000,000 prompt tokens and `true` completion tokens adds nothing
    assert cost.input_tokens == sum(len(r["text"].split()) + 5 for i, r in enumerate(rows) if i != 4)
    assert cost.output_tokens == 2 * (len(rows) - 1) and cost.usd_per_call > 0


def test_the_key_is_trimmed_refused_when_unsendable_and_never_quoted(server, tmp_path):
    project = _endpoint_project(tmp_path / "p", server.url, timeout_s=5)
    # a key read from a secret file ends in a line break: it is the key all the same
    assert run_cli("eval", project, "--quiet", env={"STILLHOUSE_TEST_KEY": KEY + "\n"}).code == 0
    for key in ("sk-secret\nsecond-line", "sk-secret-\u00e9"):
        res = run_cli("eval", project, "--quiet", "--no-cache", env={"STILLHOUSE_TEST_KEY": key})
        assert res.code == 2 and "cannot carry" in res.stderr and "the key is not shown" in res.stderr, res.output
        assert "sk-secret" not in res.output and "Traceback" not in res.output
    # a server that quotes the key it was sent back in its error: the message blanks it out
    res = run_cli("eval", project, "--quiet", "--no-cache", env={"STILLHOUSE_TEST_KEY": "sk-wrong-key"})
    assert res.code == 2 and "HTTP 401" in res.stderr and "[the API key]" in res.stderr, res.stderr
    assert "sk-wrong-key" not in res.output


def test_a_url_with_a_password_is_refused_unshown_and_a_redirect_is_named(server, tmp_path):
    project = _endpoint_project(tmp_path / "p", server.url.replace("://", "://svc:hunter2@"))
    res = run_cli("validate", project)
    assert res.code == 2 and "teacher.base_url" in res.stderr and "without a user name or password" in res.stderr
    assert "hunter2" not in res.output and "Traceback" not in res.output
    moved = _endpoint_project(tmp_path / "q", server.url.replace("/v1", "/moved/v1"), timeout_s=5)
    res = run_cli("eval", moved, "--quiet", env={"STILLHOUSE_TEST_KEY": KEY})
    assert res.code == 2 and "HTTP 302, a redirect to 'http://127.0.0.2/v1/chat/completions'" in res.stderr, res.stderr
