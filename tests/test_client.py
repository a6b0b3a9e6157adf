"""The shared rate-limit gate: how long a 429 pauses every worker of a batch."""

from __future__ import annotations

import time

import httpx
import pytest

from adp_cli.providers.client import RateGate, _retry_after_seconds


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after": "3"}, 3.0),
        ({"x-ratelimit-reset-tokens": "2m59.56s"}, 179.56),
        ({"x-ratelimit-reset-requests": "7.66s"}, 7.66),
        ({"x-ratelimit-reset-tokens": "120ms"}, 0.12),
        ({"x-ratelimit-reset-requests": "1h2m3s"}, 3723.0),
        ({"retry-after": "soon", "x-ratelimit-reset-tokens": "1.5s"}, 1.5),
        ({}, 1.0),
    ],
)
def test_retry_after_reads_groq_headers(headers: dict[str, str], seconds: float) -> None:
    assert _retry_after_seconds(httpx.Headers(headers)) == pytest.approx(seconds)


def _response(status: int, retry_after: str) -> httpx.Response:
    return httpx.Response(status, headers={"retry-after": retry_after})


def test_gate_pauses_after_a_429_only() -> None:
    gate = RateGate()
    gate.observe(_response(200, "5"))
    started = time.monotonic()
    gate.wait(httpx.Request("POST", "http://127.0.0.1/"))
    assert time.monotonic() - started < 0.05
    gate.observe(_response(429, "0.15"))
    started = time.monotonic()
    gate.wait(httpx.Request("POST", "http://127.0.0.1/"))
    assert time.monotonic() - started >= 0.14


def test_gate_keeps_the_latest_end_of_pause() -> None:
    """A shorter retry-after seen later does not shorten a pause already in force."""
    gate = RateGate()
    gate.observe(_response(429, "0.2"))
    gate.observe(_response(429, "0.01"))
    started = time.monotonic()
    gate.wait(httpx.Request("POST", "http://127.0.0.1/"))
    assert time.monotonic() - started >= 0.19
