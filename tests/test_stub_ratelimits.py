"""The stub's rate limiter must look to the real groq SDK exactly like Groq's, or the scheduler
tests built on it prove nothing: headers, 429 bodies, refill, daily caps, per-model budgets."""

from __future__ import annotations

import time
from collections.abc import Iterator

import groq
import pytest
from groq import Groq

from tests.support.groqstub import GroqStub
from tests.support.ratelimits import FREE_TIER, ModelLimits, RateLimiter, go_duration

# Models served today. SMALL gets the limiter's default budgets (the free tier of the guide's
# llama-3.1-8b-instant: RPM 30, TPM 6000, RPD 14400); LARGE, where a test says so, the free tier
# of llama-3.3-70b-versatile (TPM 12000, RPD 1000), so the two differ.
SMALL = "openai/gpt-oss-20b"
LARGE = "openai/gpt-oss-120b"
LARGE_LIMITS = {LARGE: FREE_TIER["llama-3.3-70b-versatile"]}
MESSAGES = [{"role": "user", "content": "A phrase, please."}]


class ManualClock:
    """The limiter's clock, moved by the test: exact header values, no sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def without_reasoning(stub: GroqStub) -> GroqStub:
    """Today's reasoning models reason no tokens here: a reply weighs its prompt and answer alone."""
    assert stub.today is not None
    stub.today.reasoning_tokens = dict.fromkeys(stub.today.reasoning_tokens, 0)
    return stub


@pytest.fixture
def stub() -> Iterator[GroqStub]:
    with GroqStub(prompt_tokens=120, completion_tokens=12) as running:
        yield without_reasoning(running)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def client_for(stub: GroqStub) -> Groq:
    return Groq(api_key="gsk_test", base_url=stub.base_url, max_retries=0)


def ask(client: Groq, model: str = SMALL, **extra: object) -> dict[str, str]:
    """One chat completion; the reply's headers."""
    raw = client.chat.completions.with_raw_response.create(model=model, messages=MESSAGES, **extra)  # type: ignore[call-overload]
    return dict(raw.headers)


def refusal(client: Groq, model: str = SMALL, **extra: object) -> groq.APIStatusError:
    with pytest.raises(groq.APIStatusError) as caught:
        client.chat.completions.create(model=model, messages=MESSAGES, **extra)  # type: ignore[call-overload]
    return caught.value


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0132, "13.2ms"),
        (0.12, "120ms"),
        (7.66, "7.66s"),
        (179.56, "2m59.56s"),
        (60.0, "1m0s"),
        (2 * 3600 + 13 * 60 + 5.5, "2h13m5.5s"),
        (1.5301, "1.531s"),  # rounded up: a client waiting this long is never early
        (0.0, "0s"),
    ],
)
def test_durations_read_like_groqs(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text


def test_every_success_carries_the_six_headers_from_the_real_buckets(stub: GroqStub, clock: ManualClock) -> None:
    RateLimiter(minute=60, clock=clock).attach(stub)
    client = client_for(stub)

    first = ask(client)
    clock.now += 3.0
    second = ask(client)

    assert {k: first[k] for k in first if k.startswith("x-ratelimit")} == {
        "x-ratelimit-limit-requests": "14400",
        "x-ratelimit-limit-tokens": "6000",
        "x-ratelimit-remaining-requests": "14399",
        "x-ratelimit-remaining-tokens": "5868",  # 6000 - usage.total_tokens (120 + 12)
        "x-ratelimit-reset-requests": "6s",  # one request of 14400 per day
        "x-ratelimit-reset-tokens": "1.32s",  # 132 tokens at 100 per second
    }
    # 3 s later: 300 tokens and half a request came back, then 132 tokens and one request went.
    assert second["x-ratelimit-remaining-tokens"] == "5868"
    assert second["x-ratelimit-reset-tokens"] == "1.32s"
    assert second["x-ratelimit-remaining-requests"] == "14398"
    assert second["x-ratelimit-reset-requests"] == "9s"


def test_rpm_refusal_is_groqs_429_with_the_precise_wait(stub: GroqStub, clock: ManualClock) -> None:
    limiter = RateLimiter(minute=60, clock=clock, limits=LARGE_LIMITS).attach(stub)
    client = client_for(stub)
    for _ in range(30):
        ask(client, LARGE)
    clock.now += 0.5

    error = refusal(client, LARGE)

    assert isinstance(error, groq.RateLimitError)
    assert error.body == {
        "error": {
            "message": f"Rate limit reached for model `{LARGE}` in organization "
            "`org_01kstub0ratelimit0000000000` service tier `on_demand` on requests per minute (RPM): "
            "Limit 30, Used 30, Requested 1. Please try again in 1.5s. "
            "Visit https://console.groq.com/docs/rate-limits for more information.",
            "type": "requests",
            "code": "rate_limit_exceeded",
        }
    }
    assert error.response.headers["retry-after"] == "1.5"
    assert error.response.headers["x-ratelimit-remaining-requests"] == "970"
    assert (limiter.stats(LARGE).answered, limiter.stats(LARGE).refused) == (30, 1)


def test_tpm_refusal_names_limit_used_and_requested(clock: ManualClock) -> None:
    with GroqStub(prompt_tokens=2900, completion_tokens=0) as stub:
        without_reasoning(stub)
        RateLimiter(minute=60, clock=clock, estimate=lambda request: 350).attach(stub)
        client = client_for(stub)
        ask(client)
        ask(client)  # each settled to 2900 tokens: 5800 used

        error = refusal(client)

    assert isinstance(error, groq.RateLimitError)
    message = error.body["error"]["message"]  # type: ignore[index]
    assert "on tokens per minute (TPM): Limit 6000, Used 5800, Requested 350. Please try again in 1.5s." in message
    assert error.body["error"]["type"] == "tokens"  # type: ignore[index]
    assert error.response.headers["x-ratelimit-remaining-tokens"] == "200"


def test_buckets_refill_continuously_over_the_window(stub: GroqStub, clock: ManualClock) -> None:
    RateLimiter(minute=60, clock=clock).attach(stub)
    client = client_for(stub)
    for _ in range(30):
        ask(client)
    refusal(client)

    clock.now += 2.0  # one request per 2 s comes back (30 per minute)
    ask(client)
    refused = refusal(client)

    assert "Please try again in 2s." in refused.body["error"]["message"]  # type: ignore[index]


def test_waiting_the_named_time_on_a_compressed_clock_is_enough(stub: GroqStub) -> None:
    # 2.5 requests per second after the burst: even a loaded machine sends the 30 of the burst faster
    limiter = RateLimiter(minute=12.0).attach(stub)
    client = client_for(stub)
    statuses: list[int] = []
    while statuses.count(200) < 36:
        try:
            ask(client)
            statuses.append(200)
        except groq.RateLimitError as error:
            statuses.append(429)
            time.sleep(float(error.response.headers["retry-after"]))

    assert statuses[:30] == [200] * 30
    assert 429 in statuses
    assert [429, 429] not in [statuses[i : i + 2] for i in range(len(statuses) - 1)]
    assert (limiter.stats(SMALL).answered, limiter.stats(SMALL).refused) == (36, statuses.count(429))


def test_daily_request_cap_refuses_with_the_daily_wait(stub: GroqStub, clock: ManualClock) -> None:
    limits = {SMALL: ModelLimits(rpm=30, tpm=6000, rpd=3, tpd=500_000)}
    RateLimiter(minute=60, day=86_400, limits=limits, clock=clock).attach(stub)
    client = client_for(stub)
    for _ in range(3):
        ask(client)
    clock.now += 61  # the minute budgets are full again; the day's is not

    error = refusal(client)

    message = error.body["error"]["message"]  # type: ignore[index]
    assert "on requests per day (RPD): Limit 3, Used 3, Requested 1. Please try again in 7h58m59s." in message
    assert error.response.headers["x-ratelimit-remaining-requests"] == "0"


def test_daily_token_cap(stub: GroqStub, clock: ManualClock) -> None:
    limits = {SMALL: ModelLimits(rpm=30, tpm=6000, rpd=14_400, tpd=300)}
    RateLimiter(minute=60, day=86_400, limits=limits, clock=clock, estimate=lambda request: 100).attach(stub)
    client = client_for(stub)
    ask(client)
    ask(client)  # each settled to 132: 264 of 300 tokens today

    message = refusal(client).body["error"]["message"]  # type: ignore[index]

    # 64 more tokens at 300 per 86400 s
    assert "on tokens per day (TPD): Limit 300, Used 264, Requested 100. Please try again in 5h7m12s." in message


def test_models_have_independent_budgets(stub: GroqStub, clock: ManualClock) -> None:
    limiter = RateLimiter(minute=60, clock=clock, limits=LARGE_LIMITS).attach(stub)
    client = client_for(stub)
    for _ in range(30):
        ask(client, SMALL)
    refusal(client, SMALL)

    other = ask(client, LARGE)

    assert other["x-ratelimit-limit-tokens"] == "12000"
    assert other["x-ratelimit-remaining-requests"] == "999"
    assert other["x-ratelimit-remaining-tokens"] == str(12000 - 132)
    assert (limiter.stats(SMALL).refused, limiter.stats(LARGE).refused) == (1, 0)
    assert (limiter.answered, limiter.refused) == (31, 1)


def test_timeline_records_every_judgement(stub: GroqStub, clock: ManualClock) -> None:
    limiter = RateLimiter(minute=60, clock=clock).attach(stub)
    client = client_for(stub)
    for _ in range(30):
        ask(client)
    clock.now += 1.0
    refusal(client)

    timeline = limiter.stats(SMALL).timeline

    assert [event.status for event in timeline] == [200] * 30 + [429]
    assert (timeline[-1].at, timeline[-1].limit) == (1.0, "RPM")


def test_reserving_max_tokens_makes_a_small_prompt_too_large(stub: GroqStub, clock: ManualClock) -> None:
    limiter = RateLimiter(minute=60, clock=clock, reserve_max_tokens=True).attach(stub)
    client = client_for(stub)

    too_large = refusal(client, max_tokens=6000)
    headers = ask(client, max_tokens=3500)  # reserved 3500 + the prompt, settled to 132

    assert too_large.status_code == 413
    assert f"Request too large for model `{SMALL}`" in too_large.body["error"]["message"]  # type: ignore[index]
    assert "on tokens per minute (TPM): Limit 6000, Requested 6005," in too_large.body["error"]["message"]  # type: ignore[index]
    assert headers["x-ratelimit-remaining-tokens"] == "5868"
    assert [event.status for event in limiter.stats(SMALL).timeline] == [413, 200]


def test_scripted_replies_still_pass_the_limiter_first(stub: GroqStub, clock: ManualClock) -> None:
    from tests.support.groqstub import server_error

    RateLimiter(minute=60, clock=clock).attach(stub)
    stub.fail_first(1, server_error)
    client = client_for(stub)

    error = refusal(client)
    headers = ask(client)

    assert error.status_code == 500
    assert "x-ratelimit-remaining-requests" in error.response.headers
    assert headers["x-ratelimit-remaining-requests"] == "14398"  # the 500 was admitted and counted
