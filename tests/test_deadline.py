"""``--timeout`` bounds a whole request, however slowly the server answers.

The real groq SDK, with ``http_client=http_client(TIMEOUT)``, talks to loopback servers that
trickle their status line, headers or body a byte every 0.2 s (each read would succeed well
within a per-read timeout), never answer, or read the request body slowly. Each call must end in
``groq.APITimeoutError`` about ``TIMEOUT`` seconds after it started, without the trickle ever
finishing (a full trickle takes 30 s or more). Normal answers, kept-alive connections, retries and
environment proxies keep working.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import groq
import httpx
import pytest

from adp_cli.transports.deadline import http_client
from tests.support.slowhttp import (
    COMPLETION,
    HEAD,
    TLS_CA,
    TRICKLE_S,
    Answer,
    SlowServer,
    forward,
    pause_then_quick,
    quick,
    silent,
    slow_reader,
    trickle_body,
    trickle_head,
)

TIMEOUT = 1.0
# Room for a loaded 2-core machine past the deadline (thread wake-ups, the SDK's own work).
MARGIN = 1.5
# Lower bound: the deadline is counted from when the request is sent, after the clock started.
EARLIEST = TIMEOUT * 0.9
FIRST_BACKOFF = (0.375, 0.5)  # the SDK's first retry sleeps 0.5 s less up to 25 % jitter

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback servers are reached directly unless a test sets a proxy itself."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., SlowServer]]:
    """Start servers for one test (HTTPS ones trusted through ``SSL_CERT_FILE``, which httpx
    honours); all stop at its end."""
    started: list[SlowServer] = []

    def start(answer: Answer, *, tls: bool = False, receive_buffer: int | None = None) -> SlowServer:
        if tls:
            monkeypatch.setenv("SSL_CERT_FILE", str(TLS_CA))
        server = SlowServer(answer, tls=tls, receive_buffer=receive_buffer)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def sdk(base_url: str, max_retries: int = 0) -> groq.Groq:
    return groq.Groq(
        api_key="gsk_test",
        base_url=base_url,
        max_retries=max_retries,
        timeout=TIMEOUT,
        http_client=http_client(TIMEOUT),
    )


def ask(client: groq.Groq, content: str = "hi") -> str | None:
    completion = client.chat.completions.create(
        model="llama-3.1-8b-instant", messages=[{"role": "user", "content": content}]
    )
    return completion.choices[0].message.content


def timed_out(client: groq.Groq, content: str = "hi") -> tuple[groq.APITimeoutError, float]:
    start = time.monotonic()
    with pytest.raises(groq.APITimeoutError) as caught:
        ask(client, content)
    return caught.value, time.monotonic() - start


def test_the_trickles_outlast_any_bound_the_tests_check() -> None:
    """Without the deadline each trickle would run to its end, far past ``TIMEOUT + MARGIN``."""
    assert len(COMPLETION) * TRICKLE_S > 10 * (TIMEOUT + MARGIN)
    assert len(HEAD) * TRICKLE_S > 4 * (TIMEOUT + MARGIN)


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
@pytest.mark.parametrize("answer", [trickle_body, trickle_head], ids=["body", "head"])
def test_a_trickled_reply_ends_at_the_timeout(serve: Callable[..., SlowServer], answer: Answer, tls: bool) -> None:
    server = serve(answer, tls=tls)
    with sdk(server.url) as client:
        error, elapsed = timed_out(client)
    assert str(error) == "Request timed out."
    assert type(error.__cause__) is httpx.ReadTimeout
    assert EARLIEST < elapsed < TIMEOUT + MARGIN
    assert server.seen == ["/openai/v1/chat/completions"]


def test_a_server_that_never_answers_ends_at_the_timeout(serve: Callable[..., SlowServer]) -> None:
    server = serve(silent)
    with sdk(server.url) as client:
        error, elapsed = timed_out(client)
    assert type(error.__cause__) is httpx.ReadTimeout
    assert EARLIEST < elapsed < TIMEOUT + MARGIN


def test_a_request_body_read_slowly_ends_at_the_timeout(serve: Callable[..., SlowServer]) -> None:
    """16 MiB read at 4 MiB/s: every socket send progresses within its per-write timeout, and
    sending it all takes seconds longer than the deadline allows."""
    server = serve(slow_reader(4 * 1024 * 1024), receive_buffer=64 * 1024)
    with sdk(server.url) as client:
        error, elapsed = timed_out(client, "x" * (16 * 1024 * 1024))
    assert type(error.__cause__) is httpx.WriteTimeout
    assert EARLIEST < elapsed < TIMEOUT + MARGIN


def test_quick_answers_share_one_connection_for_longer_than_the_timeout(serve: Callable[..., SlowServer]) -> None:
    """Each request gets a fresh deadline: 15 answers 0.1 s apart on one kept-alive connection
    span more than ``TIMEOUT`` and all arrive."""
    server = serve(pause_then_quick(0.1))
    start = time.monotonic()
    with sdk(server.url) as client:
        answers = [ask(client) for _ in range(15)]
    elapsed = time.monotonic() - start
    assert answers == ["ok"] * 15
    assert server.connections == 1
    assert elapsed > 1.5 > TIMEOUT


def test_a_quick_https_answer_arrives(serve: Callable[..., SlowServer]) -> None:
    server = serve(quick, tls=True)
    with sdk(server.url) as client:
        assert [ask(client), ask(client)] == ["ok", "ok"]
    assert server.connections == 1


def test_each_retry_gets_its_own_timeout(serve: Callable[..., SlowServer]) -> None:
    server = serve(trickle_body)
    with sdk(server.url, max_retries=1) as client:
        error, elapsed = timed_out(client)
    assert type(error.__cause__) is httpx.ReadTimeout
    assert 2 * EARLIEST + FIRST_BACKOFF[0] < elapsed < 2 * TIMEOUT + FIRST_BACKOFF[1] + MARGIN
    assert server.seen == ["/openai/v1/chat/completions"] * 2


def test_an_environment_proxy_still_carries_the_requests(
    serve: Callable[..., SlowServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """httpx does not exempt loopback from proxies unless NO_PROXY says so, so an upstream on
    127.0.0.1 is reached through an HTTP_PROXY on 127.0.0.1."""
    upstream = serve(quick)
    proxy = serve(forward)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    with sdk(upstream.url) as client:
        assert ask(client) == "ok"
    assert proxy.seen == [f"{upstream.url}/openai/v1/chat/completions"]
    assert upstream.seen == ["/openai/v1/chat/completions"]


def test_a_trickling_proxy_ends_at_the_timeout(serve: Callable[..., SlowServer], monkeypatch: pytest.MonkeyPatch) -> None:
    """The deadline is on the proxy's connection pool too."""
    proxy = serve(trickle_head)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    with sdk("http://127.0.0.1:9") as client:
        error, elapsed = timed_out(client)
    assert type(error.__cause__) is httpx.ReadTimeout
    assert EARLIEST < elapsed < TIMEOUT + MARGIN
    assert proxy.seen == ["http://127.0.0.1:9/openai/v1/chat/completions"]


def test_no_proxy_hosts_are_reached_directly_with_the_deadline(
    serve: Callable[..., SlowServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A NO_PROXY host goes through the default pool: bounded, and the proxy never sees it."""
    server = serve(trickle_body)
    proxy = serve(forward)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with sdk(server.url) as client:
        _, elapsed = timed_out(client)
    assert EARLIEST < elapsed < TIMEOUT + MARGIN
    assert proxy.seen == []
    assert server.seen == ["/openai/v1/chat/completions"]
