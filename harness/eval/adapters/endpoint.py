"""`endpoint` models: an OpenAI-compatible chat-completions server (vLLM, TGI, hosted APIs),
reached with httpx. The only adapter that uses the network, and only the URL the manifest names."""

from __future__ import annotations

import json
import os
import random
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from . import adapter
from ._base import Adapter, Prediction

#: The most a response body may hold: a chat completion is a few kilobytes; anything this
#: large is a misconfigured server, and reading it whole could exhaust memory.
MAX_RESPONSE_BYTES = 8 << 20
#: How much of an error response a message quotes.
EXCERPT_CHARS = 160


def excerpt(raw: bytes | str) -> str:
    """A short, printable excerpt of what a server sent, for an error message: control
    characters and escape sequences cannot reach the terminal or a log."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    clean = "".join(c if c.isprintable() else " " for c in text)
    clean = " ".join(clean.split())
    return repr(clean[:EXCERPT_CHARS] + ("…" if len(clean) > EXCERPT_CHARS else ""))


def _count(value: Any) -> int | None:
    """A token count as the server sent it, or None (unknown) when it is not one: a bool, a
    negative number or anything but an integer is not believed, so cost is not invented."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


@dataclass
class _Attempt:
    status: str
    retry_after: float | None = None


class _TooLarge(Exception):
    pass


class _TooSlow(Exception):
    pass


@adapter("endpoint")
class EndpointAdapter(Adapter):
    """Chat completions over HTTP, as vLLM, TGI and hosted APIs serve them.

    Requests run `max_concurrency` at a time; 429, 5xx, timeouts and dropped connections are
    retried up to `max_retries` times with exponential backoff and jitter (a `Retry-After`
    header is honoured, up to 30 s); other 4xx fail at once. Every request has an overall
    deadline of `timeout_s` (a server that trickles its answer is cut off, not waited for)
    and a body of at most `MAX_RESPONSE_BYTES`. Each call's time and token counts are
    recorded. The API key is read from the environment variable the manifest names, sent
    as a bearer token and never written anywhere."""

    kind = "endpoint"
    latency_mode = "per-call"
    priced_by_tokens = True
    backoff_s = 0.5
    max_backoff_s = 30.0

    def load(self) -> None:
        import httpx

        spec = self.spec
        self.url = spec.base_url.rstrip("/") + "/chat/completions"
        # the manifest's schema refused these already; a spec built in code is checked here
        try:
            parsed = urllib.parse.urlparse(self.url)
            parsed.port  # noqa: B018 - urllib checks the port only when asked
        except ValueError:
            raise self._fail("base_url must be an http(s) URL with a port from 1 to 65535") from None
        if parsed.username is not None or parsed.password is not None:
            raise self._fail("base_url must not carry a user name or password (the URL is written into reports); "
                             "put the key in an environment variable and name it in api_key_env")
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise self._fail(f"base_url must be an http(s) URL, found {spec.base_url!r}")
        self.headers = {"Content-Type": "application/json", "User-Agent": "stillhouse-eval"}
        self._secret: str | None = None
        if spec.api_key_env:
            # a key read from a secret file often ends in a line break: blanks around it are not the key
            key = (os.environ.get(spec.api_key_env) or "").strip()
            if not key:
                raise self._fail(f"the environment variable {spec.api_key_env} (named by {self.role}.api_key_env) "
                                 "is not set; export the API key there")
            if not all(" " < c < "\x7f" for c in key):
                raise self._fail(f"the value of {spec.api_key_env} holds a character an HTTP header cannot carry "
                                 "(a line break, a blank, a control or a non-ASCII character); the key is not shown")
            self._secret = key
            self.headers["Authorization"] = f"Bearer {key}"
        loopback = parsed.hostname in ("127.0.0.1", "localhost", "::1")
        # A server on this machine is never reached through a proxy from the environment.
        self.client = httpx.Client(timeout=httpx.Timeout(spec.timeout_s), trust_env=not loopback,
                                   limits=httpx.Limits(max_connections=spec.max_concurrency))
        self.batch_size = max(spec.max_concurrency * 4, 16)
        self.device = f"endpoint {parsed.scheme}://{parsed.netloc}"
        self._lock = threading.Lock()
        self._stop = threading.Event()  # set when the run is interrupted: no new request, no retry
        self.retries = 0

    def _quote(self, raw: bytes | str) -> str:
        """`excerpt` of what the server sent, with the API key blanked out (a server may echo it)."""
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        return excerpt(text.replace(self._secret, "[the API key]") if self._secret else text)

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()

    def _body(self, text: str) -> bytes:
        body: dict[str, Any] = {
            "model": self.spec.model,
            "messages": [{"role": "user", "content": self.settings.prompt(text)}],
            "temperature": self.settings.temperature,
        }
        if self.settings.samples:
            body.update(top_p=self.settings.top_p, seed=self.settings.seed)
        if self.settings.task == "generation":
            body["max_tokens"] = self.settings.max_new_tokens
        return json.dumps(body).encode("utf-8")

    def _label(self, text: str) -> str:
        labels = self.settings.labels
        if self.settings.task != "classification" or not labels:
            return text.strip()
        clean = text.strip().strip(".!\"'` ").lower()
        for lab in labels:
            if clean == lab.lower():
                return lab
        return text.strip()

    def _read(self, response: Any, deadline: float) -> bytes:
        """The whole body, or `_TooLarge` / `_TooSlow` as soon as it passes a limit."""
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
            raise _TooLarge(int(declared))
        chunks, size = [], 0
        for chunk in response.iter_raw():
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                raise _TooLarge(size)
            if time.monotonic() > deadline:
                raise _TooSlow()
            chunks.append(chunk)
        return b"".join(chunks)

    def _body_excerpt(self, resp: Any, deadline: float) -> str:
        """The start of an error response's body, quoted, for the message."""
        import httpx

        try:
            return self._quote(self._read(resp, deadline)[:1000])
        except (_TooLarge, _TooSlow, httpx.HTTPError):
            return "(no readable body)"

    def _once(self, body: bytes) -> tuple[Prediction | None, _Attempt, float]:
        import httpx

        t0 = time.perf_counter()
        deadline = time.monotonic() + self.spec.timeout_s
        too_slow = _Attempt(f"no whole answer within {self.spec.timeout_s:g} s")
        try:
            with self.client.stream("POST", self.url, content=body, headers=self.headers) as resp:
                if resp.status_code == 429 or resp.status_code >= 500:
                    retry_after = None
                    try:
                        retry_after = float(resp.headers.get("Retry-After", ""))
                    except ValueError:
                        pass
                    return None, _Attempt(f"HTTP {resp.status_code}: {self._body_excerpt(resp, deadline)}",
                                          retry_after), 0.0
                if 300 <= resp.status_code < 400:
                    where = resp.headers.get("Location")
                    raise self._fail(f"{self.url} answered HTTP {resp.status_code}, a redirect"
                                     + (f" to {self._quote(where)}" if where else "")
                                     + "; redirects are not followed: name the final URL in base_url")
                if resp.status_code >= 400:
                    hint = (f" (is {self.spec.api_key_env} right?)"
                            if resp.status_code in (401, 403) and self.spec.api_key_env else "")
                    raise self._fail(f"{self.url} answered HTTP {resp.status_code}{hint}: "
                                     f"{self._body_excerpt(resp, deadline)}")
                raw = self._read(resp, deadline)
            elapsed = time.perf_counter() - t0
        except _TooSlow:
            return None, too_slow, 0.0
        except _TooLarge as exc:
            raise self._fail(f"{self.url} sent a response of {exc.args[0]:,} bytes or more; the limit is "
                             f"{MAX_RESPONSE_BYTES:,} (is base_url the chat-completions API?)") from None
        except httpx.TimeoutException:
            return None, too_slow, 0.0
        except httpx.HTTPError as exc:
            return None, _Attempt(f"connection failed: {type(exc).__name__}: {self._quote(str(exc))}"), 0.0
        try:
            data = json.loads(raw)
            text = data["choices"][0]["message"]["content"]
            usage = data.get("usage") or {}
            if not isinstance(text, str) or not isinstance(usage, dict):
                raise TypeError
        except (ValueError, KeyError, IndexError, TypeError, RecursionError):
            raise self._fail(f"{self.url} did not answer in the chat-completions format "
                             f"(choices[0].message.content as text): {self._quote(raw)}") from None
        pred = Prediction(self._label(text), None, _count(usage.get("prompt_tokens")),
                          _count(usage.get("completion_tokens")))
        return pred, _Attempt("ok"), elapsed

    def call(self, text: str) -> Prediction:
        body = self._body(text)
        last = _Attempt("not tried")
        for attempt in range(self.spec.max_retries + 1):
            if self._stop.is_set():
                raise self._fail("stopped: the run was interrupted")
            pred, last, elapsed = self._once(body)
            if pred is not None:
                with self._lock:
                    self.call_seconds.append(elapsed)
                    self.input_tokens += pred.input_tokens or 0
                    self.output_tokens += pred.output_tokens or 0
                return pred
            if attempt == self.spec.max_retries:
                break
            with self._lock:
                self.retries += 1
            wait = self.backoff_s * 2**attempt * (0.5 + random.random() / 2)
            if last.retry_after is not None:
                wait = max(wait, last.retry_after)
            self._stop.wait(min(wait, self.max_backoff_s))
        raise self._fail(f"{self.url} failed {self.spec.max_retries + 1} time(s); last: {last.status}")

    def predict(self, ids: list[str], inputs: list[str]) -> list[Prediction]:
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=min(self.spec.max_concurrency, len(inputs)) or 1)
        try:
            return list(pool.map(self.call, inputs))
        except BaseException:
            self._stop.set()  # Ctrl-C or a failed call: the other calls stop rather than retry
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
