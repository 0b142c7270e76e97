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
                if self.path != "/v1/chat/completions":
                    self.send_error(404)
                    return
                if self.headers.get("Authorization") != f"Bearer {KEY}":
                    self.send_error(401, "bad key")
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
                payload = json.dumps({
                    "id": "cmpl-1", "object": "chat.completion", "model": body["model"],
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": f" {label.title()}."},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": len(text.split()) + 5, "completion_tokens": 2,
                              "total_tokens": len(text.split()) + 7},
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
