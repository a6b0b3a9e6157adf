"""A real HTTP server on 127.0.0.1 that answers like the Groq API, for tests and benchmarks.

The real ``groq`` SDK talks to it over HTTP, so retries, ``retry-after`` handling, error mapping
and response parsing are the SDK's own, not a mock's guess. Standard library only, so the
benchmarks can import it without the test dependencies.

    with GroqStub(latency=0.2) as stub:
        client = Groq(api_key="gsk_test", base_url=stub.base_url)
        stub.enqueue(rate_limited(), Reply())  # one 429, then a default success

``GroqStub(today=True)`` plays Groq as it is today (December 2026) instead of the guide's Groq:
today's catalogue (retired models answer 404), priced model entries, reasoning tokens spent out
of ``max_tokens``, cached prompt tokens; its knobs are on ``stub.today`` (see ``groqtoday``).
``stub.reach_spend_limit()`` makes every later request answer Groq's 400 ``blocked_api_access``.
"""

import json
import socket
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import unquote

if TYPE_CHECKING:
    from tests.support.groqtoday import Today
    from tests.support.ratelimits import RateLimiter

API_ROOT = "/openai/v1"

# Groq's live catalogue as the stub reports it: most of the guide's ids (the decommissioned
# gemma2-9b-it, deepseek-r1-distill-llama-70b and kimi-k2-instruct are gone) plus newer ones.
DEFAULT_LIVE_MODELS: list[str] = [
    "llama-3.1-8b-instant",
    "llama-3.3-70b-versatile",
    "meta-llama/llama-4-scout-17b-16e-instruct",
    "meta-llama/llama-4-maverick-17b-128e-instruct",
    "meta-llama/llama-guard-4-12b",
    "meta-llama/llama-prompt-guard-2-22m",
    "meta-llama/llama-prompt-guard-2-86m",
    "openai/gpt-oss-120b",
    "openai/gpt-oss-20b",
    "moonshotai/kimi-k2-instruct-0905",
    "qwen/qwen3-32b",
    "allam-2-7b",
    "groq/compound",
    "groq/compound-mini",
    "whisper-large-v3",
    "whisper-large-v3-turbo",
    "playai-tts",
    "playai-tts-arabic",
    "qwen/qwen3.8-27b",
    "moonshotai/kimi-k3",
]

_OWNERS: dict[str, str] = {
    "llama": "Meta",
    "meta-llama/": "Meta",
    "openai/": "OpenAI",
    "whisper": "OpenAI",
    "moonshotai/": "Moonshot AI",
    "qwen/": "Alibaba Cloud",
    "gemma": "Google",
    "deepseek": "DeepSeek / Meta",
    "allam": "SDAIA",
    "groq/": "Groq",
    "playai": "PlayAI",
    "canopylabs/": "Canopy Labs",
}

REQUESTS_PER_DAY = 14400
TOKENS_PER_MINUTE = 6000


@dataclass
class Reply:
    """One scripted answer. ``body=None`` means the default success body for the request;
    ``chunks`` streams a large body (a batch result file) with chunked encoding instead."""

    status: int = 200
    body: dict | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    latency: float | None = None
    chunks: Iterable[bytes] | None = None


@dataclass
class Recorded:
    """One request as it arrived; header names are lower-cased so lookups need no case games."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict | None


def _request_id() -> str:
    """Groq's ids look like ``req_01k6...``: 26 lower-case base32-ish characters."""
    return "req_" + uuid.uuid4().hex[:26]


def chat_body(
    content: str,
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    reasoning: str | None = None,
) -> dict:
    """A chat completion exactly as Groq shapes it, Groq-only fields (x_groq, usage times) included."""
    message: dict = {"role": "assistant", "content": content}
    if reasoning is not None:
        message["reasoning"] = reasoning
    return {
        "id": f"chatcmpl-{uuid.uuid4()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}],
        "usage": {
            "queue_time": 0.01,
            "prompt_tokens": prompt_tokens,
            "prompt_time": 0.002,
            "completion_tokens": completion_tokens,
            "completion_time": 0.01,
            "total_tokens": prompt_tokens + completion_tokens,
            "total_time": 0.012,
        },
        "usage_breakdown": None,
        "system_fingerprint": f"fp_{uuid.uuid4().hex[:10]}",
        "x_groq": {"id": _request_id()},
        "service_tier": "on_demand",
    }


def _error(status: int, message: str, type_: str, code: str | None = None) -> Reply:
    """Groq's error envelope; ``code`` is absent on some errors (e.g. a plain 500)."""
    error: dict = {"message": message, "type": type_}
    if code is not None:
        error["code"] = code
    return Reply(status=status, body={"error": error})


def _duration(seconds: float) -> str:
    """Groq's human wait hint: ``50ms`` under a second, ``1.2s`` above."""
    return f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.3g}s"


def rate_limited(retry_after: float = 0.05, model: str = "llama-3.1-8b-instant") -> Reply:
    """A TPM 429 as Groq sends it: the minute's tokens are spent and refill within
    ``retry-after``; the day's requests are not (so it is a wait, not a stop)."""
    reply = _error(
        429,
        f"Rate limit reached for model `{model}` in organization `org_test` service tier `on_demand` "
        f"on tokens per minute (TPM): Limit {TOKENS_PER_MINUTE}, Used {TOKENS_PER_MINUTE}, "
        f"Requested 120. Please try again in {_duration(retry_after)}.",
        "tokens",
        "rate_limit_exceeded",
    )
    reply.headers = {
        "retry-after": str(retry_after),
        "x-ratelimit-remaining-tokens": "0",
        "x-ratelimit-reset-tokens": _duration(retry_after),
    }
    return reply


def model_not_found(model: str) -> Reply:
    return _error(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
    )


def decommissioned(model: str) -> Reply:
    return _error(
        400,
        f"The model `{model}` has been decommissioned and is no longer supported. Please refer to "
        "https://console.groq.com/docs/deprecations for a recommendation on which model to use instead.",
        "invalid_request_error",
        "model_decommissioned",
    )


def invalid_api_key() -> Reply:
    return _error(401, "Invalid API Key", "invalid_request_error", "invalid_api_key")


def bad_request(message: str) -> Reply:
    return _error(400, message, "invalid_request_error")


def server_error() -> Reply:
    """A bare 500 with no ``retry-after``: the SDK backs off 0.5 s, 1 s, ... between retries."""
    return _error(500, "Internal Server Error", "internal_server_error")


def overloaded() -> Reply:
    return _error(503, "Service Unavailable", "internal_server_error", "service_unavailable")


def unknown_url(path: str) -> Reply:
    return _error(404, f"Unknown request URL: {path}", "invalid_request_error", "unknown_url")


def spend_limit_reached() -> Reply:
    """What every request gets once the organization's spend limit is hit (console.groq.com/docs/
    spend-limits documents the 400 and the code; the message wording is the stub's own)."""
    return _error(
        400,
        "Your organization has reached its spend limit, so API access is blocked until the limit "
        "resets on the 1st of the month. To continue, raise the limit in Settings > Billing > Limits: "
        "https://console.groq.com/settings/billing",
        "invalid_request_error",
        "blocked_api_access",
    )


def _owner_of(model: str) -> str:
    return next((owner for prefix, owner in _OWNERS.items() if model.startswith(prefix)), "unknown")


def _model_entry(model: str) -> dict:
    return {
        "id": model,
        "object": "model",
        "created": 1693721698,
        "owned_by": _owner_of(model),
        "active": True,
        "context_window": 131072,
        "public_apps": None,
        "max_completion_tokens": 32768,
    }


def _parse_json(raw: bytes) -> dict | None:
    """The request body as JSON, or None when empty or not a JSON object (a 40 MB batch upload is
    turned away by its first byte instead of being decoded)."""
    if raw[:1] not in (b"{", b" ", b"\t", b"\r", b"\n"):
        return None
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _unusable_chat_body(raw: bytes) -> Reply | None:
    """Groq's 400 for a chat body it cannot use (not JSON, not an object, a required field
    missing), or None; such a request never reaches a script or a content callable."""
    try:
        parsed = json.loads(raw)
    except ValueError:
        return bad_request("the request body could not be parsed as JSON")
    if not isinstance(parsed, dict):
        return bad_request("the request body must be a JSON object")
    for required in ("model", "messages"):
        if required not in parsed:
            return bad_request(f"'{required}' : property '{required}' is missing")
    return None


class _Server(ThreadingHTTPServer):
    """Threaded server that tracks open connections so ``stop`` can close idle keep-alives."""

    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, stub: "GroqStub") -> None:
        self.stub = stub
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: socket.socket, client_address: tuple[str, int]) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Wake handler threads parked on idle keep-alive sockets so they exit."""
        with self.connections_lock:
            open_now = list(self.connections)
        for connection in open_now:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: socket.socket, client_address: tuple[str, int]) -> None:
        """Clients hanging up mid-request are normal under load; other errors are real bugs."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits ~40 ms for the
    # client's delayed ACK, which would cap a keep-alive connection at ~25 requests/s.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: object) -> None:
        """Silent: 10,000 access-log lines would drown benchmark output."""

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if len(raw) < length:  # torn: the client was killed mid-request, so no request arrived
            self.close_connection = True
            return
        recorded = Recorded(
            method=self.command,
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=_parse_json(raw),
        )
        reply = self.server.stub._answer(recorded, raw)
        latency = reply.latency if reply.latency is not None else self.server.stub.latency
        if latency > 0:
            time.sleep(latency)
        self._send(reply, recorded)

    def _send(self, reply: Reply, recorded: Recorded) -> None:
        if reply.chunks is not None:
            self._stream(reply)
            return
        body = reply.body if reply.body is not None else self.server.stub._default_body(recorded)
        if isinstance(body, dict):
            payload, content_type = json.dumps(body).encode(), "application/json"
        else:
            payload, content_type = body.encode(), "text/plain; charset=utf-8"
        stub = self.server.stub
        limited = stub.limiter.reply_headers(recorded.body or {}, body) if stub.limiter and stub.is_chat(recorded) else {}
        headers = {**stub._base_headers(), **limited, "content-type": content_type, **reply.headers}
        headers["content-length"] = str(len(payload))
        self.send_response(reply.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _stream(self, reply: Reply) -> None:
        """Chunked transfer: a 100,000-line result file is generated as it is sent, never held whole."""
        headers = {**_groq_headers(), "content-type": "application/octet-stream", **reply.headers}
        headers["transfer-encoding"] = "chunked"
        self.send_response(reply.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        for chunk in reply.chunks or ():
            if chunk:
                self.wfile.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")


def _groq_headers() -> dict[str, str]:
    """The headers every Groq response carries, with plausible free-tier numbers."""
    return {
        "x-request-id": _request_id(),
        "x-ratelimit-limit-requests": str(REQUESTS_PER_DAY),
        "x-ratelimit-remaining-requests": str(REQUESTS_PER_DAY - 1),
        "x-ratelimit-reset-requests": "6s",
        "x-ratelimit-limit-tokens": str(TOKENS_PER_MINUTE),
        "x-ratelimit-remaining-tokens": str(TOKENS_PER_MINUTE - 132),
        "x-ratelimit-reset-tokens": "1.32s",
    }


def _authorized(recorded: Recorded) -> bool:
    authorization = recorded.headers.get("authorization", "")
    return authorization.startswith("Bearer ") and len(authorization) > len("Bearer ")


class GroqStub:
    """The fake Groq: scripted chat replies (responder, then fail_first, then queue), else success.

    Subclasses play other servers by overriding ``api_root``, ``requires_key`` and the ``_``-hooks
    below (headers, model entries, error bodies, the success body); see ``openaistub``.
    """

    api_root = API_ROOT
    requires_key = True

    def __init__(
        self,
        latency: float = 0.0,
        content: str | Callable[[dict], str] = "A warm test phrase.",
        prompt_tokens: int = 120,
        completion_tokens: int = 12,
        live_models: list[str] | None = None,
        today: bool = True,
    ) -> None:
        self.latency = latency
        self.content = content
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        # Today's Groq (groqtoday), or None for the guide's; imported here, as it imports this module.
        self.today: Today | None = None
        default_models = DEFAULT_LIVE_MODELS
        if today:
            from tests.support import groqtoday

            self.today, default_models = groqtoday.Today(), groqtoday.TODAY_LIVE_MODELS
        self.live_models = list(default_models if live_models is None else live_models)
        # Set once an account-wide block applies (a spend limit, a quota): every request gets it.
        self.blocked: Callable[[], Reply] | None = None
        self.responder: Callable[[dict], Reply | None] | None = None
        # Groq's per-model budgets (tests.support.ratelimits), judged before any scripted reply.
        self.limiter: RateLimiter | None = None
        # Extra endpoints (the Batch API in batchapi.py): each sees the request and its raw body
        # and answers, or returns None to pass it on.
        self.routes: list[Callable[[Recorded, bytes], Reply | None]] = []
        self.requests: list[Recorded] = []
        self._queue: deque[Reply] = deque()
        self._failures_left = 0
        self._failure_factory: Callable[[], Reply] | None = None
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """What ``Groq(base_url=...)`` / ``GROQ_BASE_URL`` take; the SDK appends ``/openai/v1/...``."""
        if self._server is None:
            raise RuntimeError("GroqStub is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def chat_requests(self) -> list[Recorded]:
        chat_path = self.api_root + "/chat/completions"
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.path == chat_path]

    def start(self) -> "GroqStub":
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None

    def __enter__(self) -> "GroqStub":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def enqueue(self, *replies: Reply) -> None:
        """Script the next chat replies, consumed FIFO; once empty, chats get the default success."""
        with self._lock:
            self._queue.extend(replies)

    def reach_spend_limit(self) -> None:
        """From now on every request, whatever its path, answers Groq's ``blocked_api_access``."""
        self.blocked = spend_limit_reached

    def fail_first(self, n: int, reply_factory: Callable[[], Reply]) -> None:
        """The next ``n`` chat requests get ``reply_factory()`` (e.g. a 429 storm), ahead of the queue."""
        with self._lock:
            self._failures_left = n
            self._failure_factory = reply_factory

    def _answer(self, recorded: Recorded, raw: bytes = b"") -> Reply:
        """Record the request and pick its reply; never sleeps, so the lock is held only briefly."""
        with self._lock:
            self.requests.append(recorded)
        path = recorded.path.split("?", 1)[0]
        if self.requires_key and not _authorized(recorded):
            return self._unauthorized()
        blocked = self.blocked
        if blocked is not None:
            return blocked()
        models_path = self.api_root + "/models"
        if self.is_chat(recorded):
            return _unusable_chat_body(raw) or self._chat_reply(recorded.body or {})
        if recorded.method == "GET" and path == models_path:
            return Reply(body={"object": "list", "data": [self._model_entry(m) for m in self.live_models]})
        if recorded.method == "GET" and path.startswith(models_path + "/"):
            model = unquote(path[len(models_path) + 1 :])  # the SDK sends openai%2Fgpt-oss-20b
            if model in self.live_models:
                return Reply(body=self._model_entry(model))
            return self._unknown_model(model)
        for route in self.routes:
            routed = route(recorded, raw)
            if routed is not None:
                return routed
        return self._unknown_url(recorded.path)

    def is_chat(self, recorded: Recorded) -> bool:
        return recorded.method == "POST" and recorded.path.split("?", 1)[0] == self.api_root + "/chat/completions"

    def _base_headers(self) -> dict[str, str]:
        """Headers on every response, before the reply's own."""
        return _groq_headers()

    def _model_entry(self, model: str) -> dict:
        entry = _model_entry(model)
        return entry if self.today is None else self.today.describe(entry)

    def _unauthorized(self) -> Reply:
        return invalid_api_key()

    def _unknown_model(self, model: str) -> Reply:
        return model_not_found(model)

    def _unknown_url(self, path: str) -> Reply:
        return unknown_url(path)

    def _chat_reply(self, body: dict) -> Reply:
        today = self.today
        if today is not None and (refusal := today.refuse(body, self.live_models)) is not None:
            return refusal
        limiter = self.limiter
        if limiter is not None and (refusal := limiter.admit(body)) is not None:
            return refusal
        responder = self.responder
        if responder is not None:
            ruled = responder(body)
            if ruled is not None:
                return ruled
        with self._lock:
            failing = self._failures_left > 0 and self._failure_factory is not None
            if failing:
                self._failures_left -= 1
            elif self._queue:
                return self._queue.popleft()
            factory = self._failure_factory
        # Outside the lock, so a factory may itself call enqueue() without deadlocking.
        return factory() if failing and factory is not None else Reply()

    def _default_body(self, recorded: Recorded) -> dict:
        """The success body for a request whose reply left ``body`` unset."""
        request = recorded.body or {}
        content = self.content(request) if callable(self.content) else self.content
        if self.today is not None:
            return self.today.chat_body(request, content, self.prompt_tokens, self.completion_tokens)
        return chat_body(
            content,
            str(request.get("model", "llama-3.1-8b-instant")),
            self.prompt_tokens,
            self.completion_tokens,
        )
