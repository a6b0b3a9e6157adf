"""The rate-limit scheduler: parsing what Groq says, and pacing real groq SDK clients in several
threads against the stub's limiter on a compressed clock (a "minute" of a fraction of a second)."""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import groq
import pytest
from groq import Groq

from adp_cli.dispatch.scheduler import Cancelled, Scheduler, Waiting, send_with
from adp_cli.errors import AdpError, ExitStatus, GenerationError, RateLimitStop
from adp_cli.transports.base import Connection
from adp_cli.transports.sdk import make_client
from adp_cli.transports.signals import (
    RateLimited,
    RateLimitHeaders,
    parse_duration,
    parse_headers,
    parse_signal,
    rate_limited_from,
)
from tests.support.groqstub import GroqStub, Reply
from tests.support.ratelimits import ModelLimits, RateLimiter, capacity_exceeded, refusal

# Served today; the stub's limiter gives both its default budgets (RPM 30, TPM 6000) unless a test
# sets their own.
SMALL = "openai/gpt-oss-20b"
LARGE = "openai/gpt-oss-120b"
GROQ_TPM = (
    f"Rate limit reached for model `{SMALL}` in organization `org_01hq8v2x` service tier "
    "`on_demand` on tokens per minute (TPM): Limit 6000, Used 5800, Requested 350. Please try again "
    "in 1.53s. Visit https://console.groq.com/docs/rate-limits for more information."
)


# -- parsing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2m59.56s", 179.56),
        ("7.66s", 7.66),
        ("120ms", 0.12),
        ("13.2ms", 0.0132),
        ("1h0m0s", 3600.0),
        ("2h13m5.5s", 7985.5),
        ("1m", 60.0),
        ("500µs", 0.0005),
        ("250us", 0.00025),
        ("0s", 0.0),
        ("1.5", 1.5),  # retry-after: bare seconds
        (" 3 ", 3.0),
        ("", None),
        ("soon", None),
        ("5 s", None),
        ("-1", None),
        ("nan", None),
        ("inf", None),
        ("Wed, 21 Oct 2026 07:28:00 GMT", None),
        (None, None),
    ],
)
def test_durations_parse_groqs_format_and_reject_the_rest(text: str | None, seconds: float | None) -> None:
    parsed = parse_duration(text)
    assert parsed == pytest.approx(seconds) if seconds is not None else parsed is None


def test_groq_headers_parse_into_a_snapshot() -> None:
    headers = {
        "X-RateLimit-Limit-Requests": "14400",
        "x-ratelimit-limit-tokens": "6000",
        "x-ratelimit-remaining-requests": "14370",
        "x-ratelimit-remaining-tokens": "5997",
        "x-ratelimit-reset-requests": "2m59.56s",
        "x-ratelimit-reset-tokens": "30ms",
        "retry-after": "2",
    }

    assert parse_headers(headers) == RateLimitHeaders(14400, 14370, 179.56, 6000, 5997, 0.03, 2.0)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, RateLimitHeaders()),
        ({"content-type": "application/json"}, RateLimitHeaders()),
        (  # LiteLLM forwards the provider's headers with a prefix
            {"llm_provider-retry-after": "5", "llm_provider-x-ratelimit-remaining-tokens": "100"},
            RateLimitHeaders(remaining_tokens=100, retry_after=5.0),
        ),
        ({"retry-after-ms": "250", "retry-after": "1"}, RateLimitHeaders(retry_after=0.25)),
        (
            {"x-ratelimit-limit-tokens": "unlimited", "x-ratelimit-remaining-tokens": "-5", "retry-after": "later"},
            RateLimitHeaders(),
        ),
        ({"x-ratelimit-remaining-requests": "14400.0"}, RateLimitHeaders(remaining_requests=14400)),
    ],
)
def test_missing_or_odd_headers_are_tolerated(headers: dict[str, str], expected: RateLimitHeaders) -> None:
    assert parse_headers(headers) == expected


@pytest.mark.parametrize(
    ("message", "limit", "numbers", "wait"),
    [
        (GROQ_TPM, "TPM", (6000, 5800, 350), 1.53),
        (
            "Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_x` service tier "
            "`on_demand` on requests per minute (RPM): Limit 30, Used 30, Requested 1. Please try again in 2s.",
            "RPM",
            (30, 30, 1),
            2.0,
        ),
        (
            "Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_x` service tier "
            "`on_demand` on requests per day (RPD): Limit 1000, Used 1000, Requested 1. "
            "Please try again in 2h13m5.5s. Visit https://console.groq.com/docs/rate-limits for more information.",
            "RPD",
            (1000, 1000, 1),
            7985.5,
        ),
        (
            "Rate limit reached for model `llama-3.1-8b-instant` in organization `org_x` service tier "
            "`on_demand` on tokens per day (TPD): Limit 500000, Used 499881, Requested 1234. "
            "Please try again in 7m12.48s. Need more tokens? Upgrade to Dev Tier today.",
            "TPD",
            (500000, 499881, 1234),
            432.48,
        ),
        (  # an older Groq message: no service tier, an approximate request
            "Rate limit reached for model `llama3-70b-8192` in organization `org_123` on tokens per minute (TPM): "
            "Limit 5000, Used 5747, Requested ~4251. Please try again in 59.977s. Visit ...",
            "TPM",
            (5000, 5747, 4251),
            59.977,
        ),
        (
            "Rate limit reached for model `openai/gpt-oss-20b` in organization `org_x` service tier `on_demand` "
            "on tokens per minute (TPM): Limit 8000, Used 7900, Requested 460. Please try again in 460ms.",
            "TPM",
            (8000, 7900, 460),
            0.46,
        ),
        (  # OpenAI's wording
            "Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, "
            "Used 29000, Requested 2000. Please try again in 2ms. Visit https://platform.openai.com/account/rate-limits",
            "TPM",
            (30000, 29000, 2000),
            0.002,
        ),
        (
            "Rate limit reached for model `x` on output tokens per minute (OTPM): Limit 1000, Used 990, "
            "Requested 50. Please try again in 3s.",
            "TPM",
            (1000, 990, 50),
            3.0,
        ),
    ],
)
def test_refusal_messages_become_typed_signals(
    message: str, limit: str, numbers: tuple[int, int, int], wait: float
) -> None:
    rounded_up = str(math.ceil(wait))  # Groq's retry-after: the same wait in whole seconds
    signal = parse_signal(429, {"retry-after": rounded_up}, {"error": {"message": message, "type": "tokens"}})

    assert signal.limit == limit
    assert (signal.limit_value, signal.used, signal.requested) == numbers
    assert signal.wait == pytest.approx(wait)  # the message's precise wait beats a retry-after that only rounds it up
    assert signal.daily == (limit in ("RPD", "TPD"))


def test_signal_names_the_model_and_accepts_every_body_shape() -> None:
    shapes: list[object] = [
        {"error": {"message": GROQ_TPM}},
        {"message": GROQ_TPM},
        '{"error": {"message": "' + GROQ_TPM.replace("`", "`") + '"}}',
        GROQ_TPM.encode(),
    ]
    for body in shapes:
        signal = parse_signal(429, {}, body)
        assert (signal.model, signal.limit, signal.wait) == (SMALL, "TPM", pytest.approx(1.53))


@pytest.mark.parametrize(
    ("status", "headers", "body", "wait"),
    [
        (498, {}, {"error": {"message": "Flex tier capacity exceeded.", "code": "capacity_exceeded"}}, None),
        (498, {"retry-after": "3"}, None, 3.0),
        (
            429,
            {"llm_provider-retry-after": "5"},
            {"error": {"message": "litellm.RateLimitError: quota", "code": "429"}},
            5.0,
        ),
        (429, {}, "<html>Too Many Requests</html>", None),
        (429, {"retry-after": "0.25"}, [1, 2], 0.25),
    ],
)
def test_refusals_without_a_groq_message_keep_what_they_have(
    status: int, headers: dict[str, str], body: object, wait: float | None
) -> None:
    signal = parse_signal(status, headers, body)
    assert (signal.status, signal.limit, signal.limit_value, signal.wait) == (status, None, None, wait)


def test_rate_limit_stop_says_which_limit_for_which_model_when_and_how_to_resume() -> None:
    resets = datetime.now().astimezone().replace(hour=23, minute=59, second=58, microsecond=0)
    stop = RateLimitStop(LARGE, "RPD", resets)
    waited = RateLimitStop(SMALL, "TPM", None, wait=900)

    assert (stop.exit_status, stop.kind, isinstance(stop, AdpError)) == (ExitStatus.RATE_LIMITED, "rate_limited", True)
    assert ExitStatus.RATE_LIMITED == 3
    assert "requests per day (RPD)" in str(stop) and LARGE in str(stop)
    assert "resets at 23:59:58 local time" in str(stop)
    assert "rerun the same command with -o" in str(stop)
    assert "waiting 900 s is over --max-wait" in str(waited) and "tokens per minute (TPM)" in str(waited)
    assert "\n" not in str(stop)


# -- the scheduler against the stub --------------------------------------------------------


class ManualClock:
    """A clock the test moves: exact levels and waits, whatever the machine's load."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Outcome:
    done: int = 0
    stops: list[RateLimitStop] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    elapsed: float = 0.0


def sdk_client(stub: GroqStub, max_retries: int = 2) -> Groq:
    """The SDK client as adp makes it: it leaves refused requests to the scheduler."""
    return make_client(Connection(max_retries=max_retries), "gsk_test", base_url=stub.base_url)


@dataclass(frozen=True)
class Sent:
    """What a send returns to ``send_with``: the model that answered, and the reply's headers."""

    model: str
    headers: Mapping[str, str]


def sender(client: Groq, content: str, **extra: Any) -> Callable[[str], Sent]:
    """``send(model)`` as the transports write it: SDK refusals become ``RateLimited``."""

    def send(model: str) -> Sent:
        try:
            raw = client.chat.completions.with_raw_response.create(model=model, messages=[{"role": "user", "content": content}], **extra)
        except groq.APIStatusError as error:
            limited = rate_limited_from(error, model)
            if limited is None:
                raise
            raise limited from error
        return Sent(raw.parse().model, raw.headers)

    return send


def run_batch(
    scheduler: Scheduler, models: str | Sequence[str], items: int, threads: int, send: Callable[[str], Sent], tokens: int
) -> Outcome:
    """``items`` requests over ``threads`` workers, each through ``send_with``."""
    outcome = Outcome()
    lock = threading.Lock()

    def one(_: int) -> None:
        try:
            model = send_with(scheduler, models, tokens, send).model
        except RateLimitStop as stop:
            with lock:
                outcome.stops.append(stop)
            return
        with lock:
            outcome.done += 1
            outcome.models.append(model)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(items)))
    outcome.elapsed = time.perf_counter() - started
    return outcome


POOL = [f"pool-model-{n}" for n in range(7)]


def without_reasoning(stub: GroqStub) -> GroqStub:
    """Today's loopback Groq, serving the made-up pool too, whose reasoning models reason no
    tokens: every reply weighs the prompt and answer tokens the budgets here are worked out from."""
    assert stub.today is not None
    stub.today.reasoning_tokens = dict.fromkeys(stub.today.reasoning_tokens, 0)
    stub.live_models += POOL
    return stub


@pytest.fixture
def stub() -> Iterator[GroqStub]:
    with GroqStub(latency=0.02, prompt_tokens=100, completion_tokens=12) as running:
        yield without_reasoning(running)


def fastest_possible(items: int, capacity: float, window: float, cost: float = 1) -> float:
    """The limit-bound floor: a full bucket, then one item per ``cost / rate``."""
    return max(0.0, (items * cost - capacity) * window / capacity)


def test_rpm_bound_batch_learns_the_pace_from_few_refusals(stub: GroqStub) -> None:
    limiter = RateLimiter(minute=0.6).attach(stub)
    scheduler = Scheduler()
    content = "x" * 400  # 100 tokens: 30 requests cost 3000 of 6000, so RPM binds

    outcome = run_batch(scheduler, SMALL, 100, 8, sender(sdk_client(stub), content), 100)

    assert (outcome.done, outcome.stops) == (100, [])
    assert limiter.stats(SMALL).answered == 100
    assert limiter.refused <= 10  # the burst that taught RPM: at most about one per worker
    assert outcome.elapsed < 2 * fastest_possible(100, 30, 0.6) + 0.5


def test_rpm_hint_paces_from_the_first_request(stub: GroqStub) -> None:
    limiter = RateLimiter(minute=0.6).attach(stub)
    scheduler = Scheduler(rpm=30)

    outcome = run_batch(scheduler, SMALL, 80, 8, sender(sdk_client(stub), "x" * 400), 100)

    assert outcome.done == 80
    assert limiter.refused <= 1  # nothing to learn; at most a rare timing slip


def test_tpm_bound_batch_is_paced_from_the_headers_alone() -> None:
    with GroqStub(latency=0.02, prompt_tokens=400, completion_tokens=12) as stub:
        without_reasoning(stub)
        limiter = RateLimiter(minute=0.3).attach(stub)
        scheduler = Scheduler()

        outcome = run_batch(scheduler, SMALL, 60, 8, sender(sdk_client(stub), "x" * 1600), 400)

    assert outcome.done == 60
    assert limiter.refused <= 1
    assert outcome.elapsed < 2 * fastest_possible(60, 6000, 0.3, cost=412) + 0.5


def test_spent_daily_request_budget_stops_the_model_and_nothing_more_is_sent(stub: GroqStub) -> None:
    limits = {SMALL: ModelLimits(rpm=30, tpm=6000, rpd=20, tpd=500_000)}
    limiter = RateLimiter(minute=0.6, limits=limits).attach(stub)
    scheduler = Scheduler()

    outcome = run_batch(scheduler, SMALL, 40, 4, sender(sdk_client(stub), "x" * 40), 10)

    sent = len(stub.chat_requests)
    assert 20 - 4 <= outcome.done <= 20
    assert outcome.done + len(outcome.stops) == 40
    assert {(stop.model, stop.limit) for stop in outcome.stops} == {(SMALL, "RPD")}
    assert sent == limiter.stats(SMALL).answered + limiter.stats(SMALL).refused
    assert limiter.refused <= 4  # at most the requests in flight when the budget ran out
    assert outcome.stops[0].resets_at is not None and outcome.stops[0].resets_at > datetime.now().astimezone()
    with pytest.raises(RateLimitStop):
        scheduler.admit(SMALL, 10)
    assert len(stub.chat_requests) == sent


def test_daily_token_refusal_stops_the_model_at_once(stub: GroqStub) -> None:
    limits = {SMALL: ModelLimits(rpm=30, tpm=6000, rpd=14_400, tpd=1000)}
    limiter = RateLimiter(minute=0.6, limits=limits).attach(stub)
    scheduler = Scheduler()

    started = time.perf_counter()
    outcome = run_batch(scheduler, SMALL, 30, 4, sender(sdk_client(stub), "x" * 40), 10)

    # 112 tokens a reply, 10 charged up front: the 9th still fits, so do those in flight with it
    assert 9 <= outcome.done == limiter.stats(SMALL).answered <= 12
    assert {stop.limit for stop in outcome.stops} == {"TPD"}
    assert limiter.refused <= 4
    assert time.perf_counter() - started < 1.0  # a daily cap is not waited for


def test_a_wait_past_max_wait_stops_instead_of_sleeping(stub: GroqStub) -> None:
    RateLimiter(minute=6.0).attach(stub)  # after the burst, one request per 0.2 s
    scheduler = Scheduler(max_wait=0.1)

    started = time.perf_counter()
    outcome = run_batch(scheduler, SMALL, 40, 4, sender(sdk_client(stub), "x" * 40), 10)

    assert 30 <= outcome.done < 40
    assert {(stop.limit, stop.wait is not None) for stop in outcome.stops} == {("RPM", True)}
    assert "over --max-wait" in str(outcome.stops[0])
    assert time.perf_counter() - started < 1.5


def test_cancel_wakes_every_waiting_worker_within_a_second(stub: GroqStub) -> None:
    RateLimiter(minute=300).attach(stub)  # after the burst of 30, one request per 10 s
    scheduler = Scheduler()
    send = sender(sdk_client(stub), "x" * 40)
    for _ in range(30):
        send_with(scheduler, SMALL, 10, send)
    cancelled: list[float] = []

    def worker() -> None:
        try:
            send_with(scheduler, SMALL, 10, send)
        except Cancelled:
            cancelled.append(time.perf_counter())

    workers = [threading.Thread(target=worker) for _ in range(4)]
    for thread in workers:
        thread.start()
    deadline = time.perf_counter() + 5
    while len(scheduler.waiting()) == 0 and time.perf_counter() < deadline:
        time.sleep(0.01)
    waiting = scheduler.waiting()
    time.sleep(0.3)
    cancel_at = time.perf_counter()
    scheduler.cancel()
    for thread in workers:
        thread.join(timeout=2)

    assert [(w.model, w.limit) for w in waiting] == [(SMALL, "RPM")]
    assert waiting[0].seconds > 1
    assert len(cancelled) == 4  # each was refused or held back, and none sent after the cancel
    assert max(cancelled) - cancel_at < 1.0
    assert not any(thread.is_alive() for thread in workers)


def test_models_are_paced_independently(stub: GroqStub) -> None:
    limits = {SMALL: ModelLimits(rpm=4, tpm=6000, rpd=14_400, tpd=500_000)}
    RateLimiter(minute=30, limits=limits).attach(stub)  # SMALL: one request per 7.5 s after 4
    scheduler = Scheduler()
    send = sender(sdk_client(stub), "x" * 40)
    for _ in range(4):
        send_with(scheduler, SMALL, 10, send)
    held = threading.Thread(target=lambda: _cancelled_quietly(scheduler, SMALL, send), daemon=True)
    held.start()

    outcome = run_batch(scheduler, LARGE, 25, 4, send, 10)

    assert outcome.done == 25  # the limited model held nobody else back
    assert outcome.elapsed < 2.0
    assert [w.model for w in scheduler.waiting()] == [SMALL]
    scheduler.cancel()
    held.join(timeout=2)
    assert not held.is_alive()


def _cancelled_quietly(scheduler: Scheduler, model: str, send: Callable[[str], Sent]) -> None:
    with contextlib.suppress(Cancelled):
        send_with(scheduler, model, 10, send)


def tpm_refusal(wait: float) -> Reply:
    """One scripted TPM 429 (the stub's own ``rate_limited()`` also says no requests are left
    today, which on Groq means the daily cap)."""
    return refusal(SMALL, "TPM", 6000, 5900, 120, wait)


def test_a_pool_spreads_over_its_models_and_beats_one_model(stub: GroqStub) -> None:
    limits = {model: ModelLimits(rpm=10, tpm=6000, rpd=14_400, tpd=500_000) for model in POOL}
    limiter = RateLimiter(minute=0.6, limits=limits).attach(stub)
    scheduler = Scheduler()

    outcome = run_batch(scheduler, POOL, 140, 8, sender(sdk_client(stub), "x" * 40), 10)

    assert outcome.done == 140
    assert all(outcome.models.count(model) >= 10 for model in POOL)
    assert outcome.elapsed < fastest_possible(140, 10, 0.6) / 2  # one model could not be this fast
    # RPM is in no header: each model learns it from one refusal, which at worst meets every
    # worker's request in flight to it; after that it is paced.
    assert all(limiter.stats(model).refused <= 8 for model in POOL)


def test_a_pool_with_an_rpm_hint_spreads_without_refusals(stub: GroqStub) -> None:
    limits = {model: ModelLimits(rpm=10, tpm=6000, rpd=14_400, tpd=500_000) for model in POOL}
    limiter = RateLimiter(minute=0.6, limits=limits).attach(stub)
    scheduler = Scheduler(rpm=10)

    outcome = run_batch(scheduler, POOL, 140, 8, sender(sdk_client(stub), "x" * 40), 10)

    assert outcome.done == 140
    assert limiter.refused <= 2


def test_a_pool_moves_on_when_one_model_is_spent(stub: GroqStub) -> None:
    limits = {LARGE: ModelLimits(rpm=30, tpm=12000, rpd=3, tpd=100_000)}
    RateLimiter(minute=0.6, limits=limits).attach(stub)
    scheduler = Scheduler()

    outcome = run_batch(scheduler, [LARGE, SMALL], 40, 4, sender(sdk_client(stub), "x" * 40), 10)

    assert (outcome.done, outcome.stops) == (40, [])
    assert outcome.models.count(LARGE) <= 3
    assert scheduler.available([LARGE, SMALL]) == [SMALL]
    assert scheduler.headroom(LARGE) == 0.0
    stop = scheduler.stopped(LARGE)
    assert stop is not None and stop.limit == "RPD"


def test_every_pool_model_spent_raises_the_stop_that_resets_first(stub: GroqStub) -> None:
    limits = {SMALL: ModelLimits(30, 6000, 2, 500_000), LARGE: ModelLimits(30, 12000, 2, 100_000)}
    RateLimiter(minute=0.6, day=100, limits=limits).attach(stub)
    scheduler = Scheduler()

    outcome = run_batch(scheduler, [SMALL, LARGE], 10, 1, sender(sdk_client(stub), "x" * 40), 10)

    assert outcome.done == 4
    assert len(outcome.stops) == 6
    assert {stop.model for stop in outcome.stops} <= {SMALL, LARGE}
    assert all(stop.limit == "RPD" for stop in outcome.stops)


def test_headroom_falls_with_use_and_available_orders_by_it(stub: GroqStub) -> None:
    clock = ManualClock()  # server and client stand still: no refill blurs the figures
    RateLimiter(minute=60, clock=clock).attach(stub)
    scheduler = Scheduler(clock=clock)
    send = sender(sdk_client(stub), "x" * 40)
    for _ in range(15):
        send_with(scheduler, SMALL, 10, send)

    assert scheduler.headroom(LARGE) == 1.0  # nothing known, nothing used
    assert scheduler.headroom(SMALL) == pytest.approx(1 - 15 * 112 / 6000)  # the token budget is lowest
    assert scheduler.available([SMALL, LARGE]) == [LARGE, SMALL]


def test_sdk_does_not_resend_a_refusal_itself_the_scheduler_holds_the_model(stub: GroqStub) -> None:
    scheduler = Scheduler(max_wait=1.0)
    client = sdk_client(stub, max_retries=2)
    stub.enqueue(tpm_refusal(2.0))

    started = time.perf_counter()
    with pytest.raises(groq.RateLimitError) as caught:
        client.chat.completions.create(model=SMALL, messages=[{"role": "user", "content": "hi"}])
    limited = rate_limited_from(caught.value, SMALL)

    assert time.perf_counter() - started < 1.0
    assert len(stub.chat_requests) == 1
    assert isinstance(limited, RateLimited) and isinstance(limited, GenerationError)
    assert (limited.signal.limit, limited.signal.wait) == ("TPM", pytest.approx(2.0))
    scheduler.refused(SMALL, limited.signal, 1)
    assert scheduler.headroom(SMALL) == 0.0  # held for the wait it named


def test_refused_request_is_sent_again_after_the_named_wait(stub: GroqStub) -> None:
    scheduler = Scheduler()
    send = sender(sdk_client(stub), "x" * 40)
    stub.enqueue(tpm_refusal(0.3), tpm_refusal(0.3))

    started = time.perf_counter()
    model = send_with(scheduler, SMALL, 10, send).model

    assert model == SMALL
    assert len(stub.chat_requests) == 3
    assert time.perf_counter() - started >= 0.6


def test_flex_capacity_498_is_waited_out_with_back_off(stub: GroqStub) -> None:
    scheduler = Scheduler()
    send = sender(sdk_client(stub), "x" * 40)
    stub.enqueue(capacity_exceeded())

    started = time.perf_counter()
    send_with(scheduler, SMALL, 10, send)

    assert len(stub.chat_requests) == 2
    assert 0.3 <= time.perf_counter() - started < 2.0


def test_a_refusal_whose_wait_is_past_max_wait_stops_at_once(stub: GroqStub) -> None:
    scheduler = Scheduler(max_wait=5)
    send = sender(sdk_client(stub), "x" * 40)
    stub.enqueue(tpm_refusal(30))

    with pytest.raises(RateLimitStop) as caught:
        send_with(scheduler, SMALL, 10, send)

    assert (caught.value.model, caught.value.limit) == (SMALL, "TPM")
    assert len(stub.chat_requests) == 1


def tpm_headers(remaining: int, reset: str) -> dict[str, str]:
    return {
        "x-ratelimit-limit-tokens": "1000",
        "x-ratelimit-remaining-tokens": str(remaining),
        "x-ratelimit-reset-tokens": reset,
    }


def test_the_newest_reply_may_raise_the_mirror_an_unknown_one_only_lowers_it() -> None:
    clock = ManualClock()
    scheduler = Scheduler(clock=clock)
    scheduler.observe(SMALL, tpm_headers(400, "6s"))  # 600 used refill in 6 s: a 10 s window
    assert scheduler.headroom(SMALL) == pytest.approx(0.4)

    first = scheduler.admit(SMALL, 100)
    second = scheduler.admit(SMALL, 100)
    scheduler.observe(SMALL, tpm_headers(700, "3s"), second)  # the reply to `second`: the newest

    assert scheduler.headroom(SMALL) == pytest.approx(0.7)  # the server refunded what it reserved
    scheduler.observe(SMALL, tpm_headers(900, "1s"))
    assert scheduler.headroom(SMALL) == pytest.approx(0.7)  # a reply of unknown age: not believed up
    scheduler.observe(SMALL, tpm_headers(650, "3.5s"), second)
    assert scheduler.headroom(SMALL) == pytest.approx(0.65)  # ... but always down
    clock.now += 1.0
    assert scheduler.headroom(SMALL) == pytest.approx(0.75)  # 100 tokens a second refill
    scheduler.release(first)
    scheduler.release(second)


def test_refunds_of_reserved_answer_budgets_keep_the_pace() -> None:
    """Groq is reported to reserve ``max_tokens`` on admission and settle to the usage: a
    client that charges the reservation must take the refunds from the headers, or it would
    pace at 1010 tokens a request instead of 112."""
    with GroqStub(latency=0.02, prompt_tokens=100, completion_tokens=12) as stub:
        without_reasoning(stub)
        limiter = RateLimiter(minute=0.3, reserve_max_tokens=True).attach(stub)
        scheduler = Scheduler()
        send = sender(sdk_client(stub), "x" * 40, max_tokens=1000)
        outcome = run_batch(scheduler, SMALL, 60, 8, send, 1010)

    assert outcome.done == 60
    assert outcome.elapsed < fastest_possible(60, 6000, 0.3, cost=1010) / 2
    assert limiter.refused <= 8


def test_odd_headers_teach_nothing_and_break_nothing() -> None:
    scheduler = Scheduler()
    scheduler.observe(SMALL, {"x-ratelimit-limit-tokens": "lots", "x-ratelimit-reset-tokens": "soon"})
    html = parse_signal(429, {}, "<html>busy</html>")

    assert (html.limit, html.wait) == (None, None)
    assert scheduler.headroom(SMALL) == 1.0
    ticket = scheduler.admit(SMALL, 10)
    assert ticket.model == SMALL


def test_waiting_names_the_token_budget_when_tokens_bind() -> None:
    scheduler = Scheduler(clock=ManualClock(), slice_seconds=0.05)  # time stands still: exact waits
    headers = {
        "x-ratelimit-limit-tokens": "1000",
        "x-ratelimit-remaining-tokens": "0",
        "x-ratelimit-reset-tokens": "10s",
    }
    scheduler.observe(SMALL, headers)
    seen: list[list[Waiting]] = []
    waiter = threading.Thread(target=lambda: _cancelled_admit(scheduler, SMALL, 500))
    waiter.start()
    deadline = time.perf_counter() + 2
    while not seen and time.perf_counter() < deadline:
        if found := scheduler.waiting():
            seen.append(found)
        time.sleep(0.01)
    scheduler.cancel()
    waiter.join(timeout=2)

    assert [(w.model, w.limit) for w in seen[0]] == [(SMALL, "TPM")]
    # 500 tokens and the half-request margin, 750 of 1000, refill in 3/4 of 10 s
    assert seen[0][0].seconds == pytest.approx(7.5)


def _cancelled_admit(scheduler: Scheduler, model: str, tokens: int) -> None:
    with contextlib.suppress(Cancelled):
        scheduler.admit(model, tokens)


def test_slots_go_to_waiting_requests_in_the_order_they_asked() -> None:
    """A batch prints lines in input order, so its oldest item must not be overtaken by later
    ones while they all wait for the same model."""
    scheduler = Scheduler()
    scheduler.refused(SMALL, parse_signal(429, {}, {"error": {"message": "Please try again in 0.3s."}}), 1)
    admitted: list[int] = []
    lock = threading.Lock()

    def ask(number: int) -> None:
        ticket = scheduler.admit(SMALL, 10)
        with lock:
            admitted.append(number)
        scheduler.release(ticket)

    threads = [threading.Thread(target=ask, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
        time.sleep(0.02)  # each asks a little after the one before it
    for thread in threads:
        thread.join(timeout=5)
    assert admitted == list(range(6))
