"""Living within a provider's rate limits: read what the server says, pace what we send.

Groq limits each model on four budgets and tells a client only part of it: every reply carries
the daily request budget (``x-ratelimit-*-requests``) and the per-minute token budget
(``x-ratelimit-*-tokens``), where ``reset`` is the time until the budget is full again (budgets
refill continuously); requests per minute appear in no header, only in a 429's message, which
also names the precise wait. So the ``Scheduler`` mirrors each model's budgets from those
signals and holds a request back until its model's mirror can take it, rather than sending it
to be refused. Windows are never assumed: a budget's window is its reset time scaled by how
much of it is used, so a server on a compressed clock (tests) or with other windows needs no
change. Nothing here prints; ``waiting()`` tells the UI what the run waits for.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from adp_cli.errors import RateLimited, RateLimitStop

if TYPE_CHECKING:
    import httpx

T = TypeVar("T")

REFUSED = (429, 498)  # 498: the flex tier has no capacity now; it is a wait like a 429
DAILY = ("RPD", "TPD")

_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ns": 1e-9}
_NUMBER_UNIT = r"(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|μs|ns)"
_DURATION = re.compile(rf"(?:{_NUMBER_UNIT})+")
_PART = re.compile(_NUMBER_UNIT)
_LIMIT_NAME = re.compile(r"\((RPM|RPD|TPM|TPD|ITPM|OTPM)\)")
_FIELDS = {
    "limit_value": re.compile(r"\bLimit:?\s+~?(\d+)"),
    "used": re.compile(r"\bUsed:?\s+~?(\d+)"),
    "requested": re.compile(r"\bRequested:?\s+~?(\d+)"),
}
_TRY_AGAIN = re.compile(r"try again in\s+(\S+?)\.?(?:\s|$)")
_MODEL = re.compile(r"for model\s+`([^`]+)`")

# The SDK's back-off constants, for the rare refusal that names no wait (a bare 498).
_BACKOFF_FIRST = 0.5
_BACKOFF_MAX = 8.0
# A request is admitted when its budget holds this much more than the request itself (as a
# share of it): a request may reach the server a little sooner after the previous one than it
# left here, and the server's bucket must still hold it then. Costs one half request, once.
_MARGIN = 0.5


def parse_duration(text: str | None) -> float | None:
    """Seconds in Go's duration format (``2m59.56s``, ``7.66s``, ``120ms``, ``1h0m0s``) or a
    bare number of seconds (``retry-after``); None for anything else, so odd servers are ignored
    rather than believed."""
    if text is None:
        return None
    text = text.strip()
    try:
        seconds = float(text)
    except ValueError:
        if not _DURATION.fullmatch(text):
            return None
        seconds = sum(float(number) * _UNIT_SECONDS[unit] for number, unit in _PART.findall(text))
    return seconds if seconds >= 0 and seconds == seconds and seconds != float("inf") else None


@dataclass(frozen=True)
class RateLimitHeaders:
    """What one reply says about its model's budgets; None where the server said nothing usable.

    On Groq the request pair is the daily budget (RPD) and the token pair the minute's (TPM);
    ``reset_*`` is seconds until that budget is full again.
    """

    limit_requests: int | None = None
    remaining_requests: int | None = None
    reset_requests: float | None = None
    limit_tokens: int | None = None
    remaining_tokens: int | None = None
    reset_tokens: float | None = None
    retry_after: float | None = None


def parse_headers(headers: Mapping[str, str]) -> RateLimitHeaders:
    """The rate-limit headers of a reply, also when a proxy (LiteLLM) prefixes them with
    ``llm_provider-``; ``retry-after-ms`` wins over ``retry-after``, as in the SDK."""
    lowered = {str(name).lower(): str(value) for name, value in headers.items()}

    def get(name: str) -> str | None:
        return lowered.get(name, lowered.get(f"llm_provider-{name}"))

    retry_ms = parse_duration(get("retry-after-ms"))
    return RateLimitHeaders(
        limit_requests=_count(get("x-ratelimit-limit-requests")),
        remaining_requests=_count(get("x-ratelimit-remaining-requests")),
        reset_requests=parse_duration(get("x-ratelimit-reset-requests")),
        limit_tokens=_count(get("x-ratelimit-limit-tokens")),
        remaining_tokens=_count(get("x-ratelimit-remaining-tokens")),
        reset_tokens=parse_duration(get("x-ratelimit-reset-tokens")),
        retry_after=retry_ms / 1000 if retry_ms is not None else parse_duration(get("retry-after")),
    )


def _count(text: str | None) -> int | None:
    """A non-negative budget count; ``14400``, ``14400.0`` and `` 14400 `` all read as 14400."""
    try:
        value = float(text) if text is not None else -1.0
    except ValueError:
        return None
    return int(value) if 0 <= value < float("inf") else None


@dataclass(frozen=True)
class RateLimitSignal:
    """A refusal, typed: which budget (None when the server did not say), its limit, use and
    the request's size as the message states them, and the wait (the message's precise one,
    else ``retry-after``; None when neither is given)."""

    status: int
    limit: str | None = None
    limit_value: int | None = None
    used: int | None = None
    requested: int | None = None
    wait: float | None = None
    model: str | None = None
    message: str = ""

    @property
    def daily(self) -> bool:
        """A daily budget frees up over hours: the run stops for it rather than waits."""
        return self.limit in DAILY


def parse_signal(status: int, headers: Mapping[str, str], body: object) -> RateLimitSignal:
    """A 429/498 as the scheduler needs it, from Groq's ``{"error": {"message": ...}}`` body, its
    inner object (the SDK's ``error.body`` varies), raw text, or nothing."""
    message = _error_message(body)
    name = _LIMIT_NAME.search(message)
    limit = name.group(1) if name else None
    if limit in ("ITPM", "OTPM"):  # input/output token budgets: per-minute token pacing too
        limit = "TPM"
    found = {key: pattern.search(message) for key, pattern in _FIELDS.items()}
    numbers = {key: int(match.group(1)) if match else None for key, match in found.items()}
    again = _TRY_AGAIN.search(message)
    wait = parse_duration(again.group(1)) if again else None
    model = _MODEL.search(message)
    return RateLimitSignal(
        status=status,
        limit=limit,
        wait=wait if wait is not None else parse_headers(headers).retry_after,
        model=model.group(1) if model else None,
        message=message,
        **numbers,
    )


def _error_message(body: object) -> str:
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8", "replace")
    if isinstance(body, str):
        text = body
        try:
            body = json.loads(text)
        except ValueError:
            return text
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    if isinstance(body, dict):
        return str(body.get("message") or "")
    return ""


def rate_limited_from(error: Any, model: str) -> RateLimited | None:
    """The ``RateLimited`` for an SDK ``APIStatusError`` that is a 429/498, else None.

    Duck-typed (``status_code``, ``response.headers``, ``body``) so this module does not import
    the SDK.
    """
    status = getattr(error, "status_code", None)
    if status not in REFUSED:
        return None
    response = getattr(error, "response", None)
    headers = response.headers if response is not None else {}
    signal = parse_signal(status, headers, getattr(error, "body", None))
    text = signal.message or f"HTTP {status}"
    return RateLimited(f"Groq refused the request to {model} ({status} rate limit): {text}", signal)


class Cancelled(Exception):
    """The run is ending (Ctrl-C): the request waiting for its turn was not sent."""


@dataclass(frozen=True)
class Ticket:
    """A request admitted to ``model``, holding ``tokens`` of its budget until released;
    ``seq`` orders admissions."""

    model: str
    tokens: int
    seq: int


@dataclass(frozen=True)
class Waiting:
    """What a run waits for now, for a progress line: ``waiting 12 s for <model> <limit>``."""

    model: str
    limit: str
    seconds: float


class _Budget:
    """The client's mirror of one server budget: capacity, refill window, level at a time.

    A budget without a capacity admits everything; one whose window is not learned yet does
    not refill, and when empty it waits for a reply to teach the window (see ``_delay``).
    """

    def __init__(self, capacity: float | None = None) -> None:
        self.capacity = capacity
        self.window: float | None = None
        self._level = capacity or 0.0
        self._stamp = 0.0
        self._window_sample = 0.0

    @property
    def rate(self) -> float | None:
        if self.capacity is None or not self.window:
            return None
        return self.capacity / self.window

    def level(self, now: float) -> float | None:
        if self.capacity is None:
            return None
        rate = self.rate or 0.0
        return min(self.capacity, self._level + max(0.0, now - self._stamp) * rate)

    def set_capacity(self, capacity: float, now: float) -> None:
        """A newly learned capacity; a budget seen for the first time starts full, as on the server."""
        level = self.level(now)
        self.capacity = capacity
        self._level = capacity if level is None else min(level, capacity)
        self._stamp = now

    def learn_window(self, reset: float | None, used: float) -> None:
        """The window is the reset time scaled up from the used part to the whole budget. Counts
        are whole numbers and durations rounded, so the sample with the most use is the most
        precise: keep that one."""
        if self.capacity is None or reset is None or reset <= 0 or used <= 0 or used < self._window_sample:
            return
        self.window, self._window_sample = reset * self.capacity / used, used

    def take(self, amount: float, now: float) -> None:
        level = self.level(now)
        if level is not None:
            self._level, self._stamp = level - amount, now

    def lower_to(self, value: float, now: float) -> None:
        """Believe the server when it has less than we think; our own count covers the rest."""
        level = self.level(now)
        if level is not None and value < level:
            self._level, self._stamp = value, now

    def adopt(self, value: float, now: float) -> None:
        """Take the server's figure as the level, up or down (it refunds what it reserved)."""
        if self.capacity is not None:
            self._level, self._stamp = min(value, self.capacity), now

    def wait_for(self, amount: float, now: float) -> float | None:
        """Seconds until ``amount`` fits with its margin (a request larger than the whole
        budget waits for a full one and lets the server judge it); 0 when it fits or no
        capacity is known; None when it does not fit and the refill rate is not known yet."""
        level = self.level(now)
        if level is None or self.capacity is None:
            return 0.0
        needed = min(amount * (1 + _MARGIN), self.capacity) - level
        if needed <= 0:
            return 0.0
        rate = self.rate
        return needed / rate if rate is not None else None

    def seconds_to_full(self, now: float) -> float | None:
        level, rate = self.level(now), self.rate
        if level is None or rate is None or self.capacity is None:
            return None
        return max(0.0, (self.capacity - level) / rate)

    def fraction(self, now: float) -> float | None:
        level = self.level(now)
        return None if level is None or not self.capacity else level / self.capacity


@dataclass
class _Model:
    """Everything learned about one model; guarded by the scheduler's lock."""

    rpm: _Budget
    tpm: _Budget
    rpd: _Budget
    paused_until: float = 0.0
    pause_limit: str = ""
    stop: RateLimitStop | None = None
    in_flight: dict[int, int] = field(default_factory=dict)  # ticket seq -> tokens
    newest_reply: int = 0  # the latest-admitted ticket whose reply set the levels
    waits: dict[int, tuple[str, float]] = field(default_factory=dict)

    def admitted_after(self, ticket: Ticket | None) -> tuple[int, float]:
        """Requests and tokens in flight that were admitted after ``ticket``, whose reply is
        being read: the server may have written that reply's figures before they arrived (on
        its admission rather than on completion), so they are taken off them; at worst this
        counts a few twice. Without a ticket, every other request in flight."""
        if ticket is None:
            later = list(self.in_flight.values())[1:]
        else:
            later = [tokens for seq, tokens in self.in_flight.items() if seq > ticket.seq]
        return len(later), float(sum(later))


class Scheduler:
    """One per run, shared by every worker thread: admits each request when its model's
    learned budgets allow it, learns from every reply, stops a model whose limit will not clear
    within ``max_wait`` seconds (or whose daily budget is spent), and wakes all waiters on
    ``cancel()``."""

    def __init__(
        self,
        max_wait: float = 600.0,
        rpm: int | None = None,
        tpm: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        slice_seconds: float = 0.25,
        daily_request_headers: bool = True,
    ) -> None:
        """``rpm``/``tpm`` are the user's hints (the server's figures win once known);
        ``slice_seconds`` bounds any single sleep so no wait outlives its reason.
        ``daily_request_headers``: Groq's ``x-ratelimit-*-requests`` count the day's requests;
        OpenAI's (and what servers relaying it send) count the minute's."""
        self._request_budget = "rpd" if daily_request_headers else "rpm"
        self.max_wait = max_wait
        self._hints = (rpm, tpm)
        self._clock = clock
        self._wall_clock = wall_clock
        self._rng = rng or random.Random()
        self._slice = slice_seconds
        self._cond = threading.Condition()
        self._models: dict[str, _Model] = {}
        self._cancelled = False
        self._seq = 0
        self._arrivals = 0
        self._queue: dict[int, tuple[int, frozenset[str]]] = {}  # waiting thread -> (turn, models)
        # The thread that admits a request sends it, and httpx runs the response hook in that
        # thread: so a reply's ticket is the one its thread holds for that model.
        self._local = threading.local()

    # -- admission ---------------------------------------------------------------------------

    def admit(self, model: str, tokens: int) -> Ticket:
        """Block until ``model`` can take a request of ``tokens`` tokens; charge it and return
        its ticket (``release`` it when the reply is in). Raises the model's ``RateLimitStop``
        instead of waiting past ``max_wait`` or into a spent daily budget, ``Cancelled`` after
        ``cancel()``."""
        return self.admit_any([model], tokens)

    def admit_any(self, models: Sequence[str], tokens: int) -> Ticket:
        """Like ``admit`` for whichever of ``models`` can take the request first; among those
        ready now, a random pick weighted by headroom, so a pool spreads over its budgets.
        Raises the stop that clears soonest when every model is stopped."""
        if not models:
            raise ValueError("admit_any needs at least one model")
        me = threading.get_ident()
        with self._cond:
            self._arrivals += 1
            self._queue[me] = (self._arrivals, frozenset(models))
            try:
                while True:
                    ticket = self._try_admit(models, tokens, me)
                    if ticket is not None:
                        return ticket
            finally:
                self._forget_waits(models, me)
                del self._queue[me]
                self._cond.notify_all()  # the next in line may be first now

    def _try_admit(self, models: Sequence[str], tokens: int, me: int) -> Ticket | None:
        """One look at the pool under the lock: admit, stop, or wait a slice (then None)."""
        if self._cancelled:
            raise Cancelled("cancelled while waiting for a rate limit")
        self._forget_waits(models, me)
        now = self._clock()
        delays = self._delays(models, tokens, now)
        if not delays:
            raise _soonest_stop([self._models[m].stop for m in models])
        ready = [model for model, (delay, _) in delays.items() if delay <= 0]
        if ready and self._first_in_line(me):
            weights = [self._headroom(self._models[m], now) + 1e-3 for m in ready]
            return self._charge(self._rng.choices(ready, weights)[0], tokens, now)
        model, (delay, limit) = min(delays.items(), key=lambda item: item[1][0])
        self._models[model].waits[me] = (limit, now + delay)
        # Not first in line with a slot free: the one ahead is being admitted and notifies.
        self._cond.wait(min(delay, self._slice) if delay > 0 else self._slice)
        return None

    def _first_in_line(self, me: int) -> bool:
        """Whether no request that came earlier waits for any of the same models: slots go in
        the order requests asked, so a batch's oldest item is not overtaken while its lines
        come out in input order."""
        turn, models = self._queue[me]
        return not any(other < turn and others & models for other, others in self._queue.values())

    def _forget_waits(self, models: Sequence[str], me: int) -> None:
        for model in models:
            state = self._models.get(model)
            if state is not None:
                state.waits.pop(me, None)

    def _delays(self, models: Sequence[str], tokens: int, now: float) -> dict[str, tuple[float, str]]:
        """Each live model's wait and the limit it waits for; stops those past ``max_wait``."""
        delays: dict[str, tuple[float, str]] = {}
        for model in models:
            state = self._live(model, now)
            if state is None:
                continue
            delay, limit = _delay(state, tokens, now, self._slice)
            if delay > self.max_wait:
                self._stop(model, state, limit, delay, over_max_wait=True)
                continue
            delays[model] = (delay, limit)
        return delays

    def _charge(self, model: str, tokens: int, now: float) -> Ticket:
        state = self._models[model]
        state.rpm.take(1, now)
        state.tpm.take(tokens, now)
        state.rpd.take(1, now)
        self._seq += 1
        ticket = Ticket(model, tokens, self._seq)
        state.in_flight[ticket.seq] = tokens
        self._held()[model] = ticket
        return ticket

    def release(self, ticket: Ticket) -> None:
        """The ticket's reply is in (or it failed): it no longer counts as in flight."""
        with self._cond:
            self._models[ticket.model].in_flight.pop(ticket.seq, None)
            if self._held().get(ticket.model) == ticket:
                del self._held()[ticket.model]

    def _held(self) -> dict[str, Ticket]:
        """This thread's tickets in flight, by model."""
        if not hasattr(self._local, "tickets"):
            self._local.tickets = {}
        return self._local.tickets

    def cancel(self) -> None:
        """Wake every waiting ``admit`` at once to raise ``Cancelled``; nothing more is admitted."""
        with self._cond:
            self._cancelled = True
            self._cond.notify_all()

    # -- learning ----------------------------------------------------------------------------

    def observe(self, model: str, status: int, headers: Mapping[str, str], body: object = None) -> None:
        """Learn from one reply of ``model``: its budget headers, and for a 429/498 the refusal
        (its body must have been read). Call it for every reply, also the SDK's retries."""
        snapshot = parse_headers(headers)
        signal = parse_signal(status, headers, body) if status in REFUSED else None
        with self._cond:
            now = self._clock()
            state = self._state(model, now)
            self._learn_headers(model, state, snapshot, now)
            if signal is not None and signal.wait is not None:
                self._learn_refusal(model, state, signal, signal.wait, now)
            self._cond.notify_all()  # a refund may let the request first in line go sooner

    def refused(self, model: str, signal: RateLimitSignal, attempt: int) -> None:
        """A request to ``model`` came back refused for the ``attempt``-th time: hold the model
        for the wait the server named, or for a growing back-off when it named none."""
        wait = signal.wait
        if wait is None:
            wait = min(_BACKOFF_FIRST * 2 ** (attempt - 1), _BACKOFF_MAX) * self._rng.uniform(0.75, 1.0)
        with self._cond:
            now = self._clock()
            self._learn_refusal(model, self._state(model, now), signal, wait, now)

    def response_hook(self, response: httpx.Response) -> None:
        """An httpx ``response`` event hook: ``observe`` every chat reply.

        httpx runs it before the body is read, so a refusal's body is read here. It also marks
        refusals ``x-should-retry: false``: the SDK would send every refused request again the
        moment its ``retry-after`` ends, all workers at the same instant; ``send_with`` sends it
        again through ``admit`` instead, one request per free slot.
        """
        model = _request_model(response.request)
        if model is None:
            return
        body = None
        if response.status_code in REFUSED:
            response.read()
            body = response.content
            response.headers["x-should-retry"] = "false"
        self.observe(model, response.status_code, response.headers, body)

    def _learn_headers(self, model: str, state: _Model, seen: RateLimitHeaders, now: float) -> None:
        """Mirror the header budgets: the server's figures less what was admitted after the
        request this reply answers. The reply to the newest request is taken as it is, up or
        down; an older one, or one whose request is unknown, only ever lowers the mirror (it
        may predate admissions it does not show). Requests per minute, in no header, refill
        over the token budget's minute."""
        ticket = self._held().get(model)
        later, later_tokens = state.admitted_after(ticket)
        newest = ticket is not None and ticket.seq >= state.newest_reply
        if newest and ticket is not None:
            state.newest_reply = ticket.seq
        if seen.limit_tokens and seen.remaining_tokens is not None:
            _learn_budget(state.tpm, seen.limit_tokens, seen.remaining_tokens, seen.reset_tokens, now)
            _mirror(state.tpm, seen.remaining_tokens - later_tokens, now, newest)
            if state.tpm.window is not None:
                state.rpm.window = state.tpm.window
        if seen.limit_requests and seen.remaining_requests is not None:
            requests = state.rpd if self._request_budget == "rpd" else state.rpm
            _learn_budget(requests, seen.limit_requests, seen.remaining_requests, seen.reset_requests, now)
            _mirror(requests, seen.remaining_requests - later, now, newest)

    def _learn_refusal(self, model: str, state: _Model, signal: RateLimitSignal, wait: float, now: float) -> None:
        limit = signal.limit or ("capacity" if signal.status == 498 else "rate limit")
        if signal.daily or wait > self.max_wait:
            if state.stop is None:
                self._stop(model, state, limit, wait, over_max_wait=not signal.daily)
            return
        if now + wait > state.paused_until:
            state.paused_until, state.pause_limit = now + wait, limit
        # A refusal is written the moment the request arrives, with everything that arrived
        # before it counted: unlike a reply's headers, it needs no in-flight correction.
        if limit == "RPM":
            _learn_rpm(state, signal, wait, now)
        elif limit == "TPM" and signal.requested is not None and state.tpm.rate is not None:
            state.tpm.lower_to(signal.requested - wait * state.tpm.rate, now)

    def _stop(self, model: str, state: _Model, limit: str, wait: float | None, over_max_wait: bool = False) -> None:
        """From now on every admission to ``model`` raises this stop; waiters learn it at once."""
        resets_at = datetime.fromtimestamp(self._wall_clock() + wait).astimezone() if wait is not None else None
        state.stop = RateLimitStop(model, limit, resets_at, wait if over_max_wait else None)
        self._cond.notify_all()

    # -- reading -----------------------------------------------------------------------------

    def waiting(self) -> list[Waiting]:
        """Per model with waiting workers, the soonest wait: what a progress line shows."""
        with self._cond:
            now = self._clock()
            found = []
            for model, state in self._models.items():
                if state.waits:
                    limit, until = min(state.waits.values(), key=lambda wait: wait[1])
                    found.append(Waiting(model, limit, max(0.0, until - now)))
            return sorted(found, key=lambda wait: wait.seconds)

    def headroom(self, model: str) -> float:
        """0..1: the smallest fraction left of the model's known budgets; 0 when it is stopped
        or held after a refusal, 1 when nothing is known yet."""
        with self._cond:
            now = self._clock()
            return self._headroom(self._state(model, now), now)

    def available(self, models: Sequence[str]) -> list[str]:
        """The models still taking requests, most headroom first (ties keep the given order)."""
        with self._cond:
            now = self._clock()
            live = [m for m in models if self._live(m, now) is not None]
            return sorted(live, key=lambda m: -self._headroom(self._models[m], now))

    def stopped(self, model: str) -> RateLimitStop | None:
        """The stop that ended ``model`` in this run, if any."""
        with self._cond:
            state = self._models.get(model)
            return state.stop if state is not None else None

    def _live(self, model: str, now: float) -> _Model | None:
        """The model's mirror while it may still be sent to; None once stopped. A spent daily
        request budget stops it here (it refills over hours: not worth a wait)."""
        state = self._state(model, now)
        if state.stop is None and (level := state.rpd.level(now)) is not None and level < 1:
            self._stop(model, state, "RPD", state.rpd.seconds_to_full(now))
        return state if state.stop is None else None

    def _headroom(self, state: _Model, now: float) -> float:
        if state.stop is not None or state.paused_until > now:
            return 0.0
        fractions = [f for b in (state.rpm, state.tpm, state.rpd) if (f := b.fraction(now)) is not None]
        return max(0.0, min(1.0, min(fractions, default=1.0)))

    def _state(self, model: str, now: float) -> _Model:
        """The model's mirror, made on first use with the user's hints; callers hold the lock."""
        state = self._models.get(model)
        if state is None:
            rpm, tpm = self._hints
            state = _Model(rpm=_Budget(rpm), tpm=_Budget(tpm), rpd=_Budget())
            self._models[model] = state
        return state


def _delay(state: _Model, tokens: int, now: float, slice_seconds: float) -> tuple[float, str]:
    """How long ``state``'s model must wait for a request of ``tokens``, and for which limit.

    A spent budget whose window is unknown (a hint before the first reply) waits a slice for
    the replies in flight to teach it; with none in flight, sending is the only way to learn.
    """
    waits = [(state.paused_until - now, state.pause_limit)]
    for budget, amount, limit in ((state.rpm, 1, "RPM"), (state.tpm, tokens, "TPM")):
        wait = budget.wait_for(amount, now)
        if wait is None:
            wait = slice_seconds if state.in_flight else 0.0
        waits.append((wait, limit))
    delay, limit = max(waits, key=lambda wait: wait[0])
    return max(0.0, delay), limit


def _mirror(budget: _Budget, value: float, now: float, newest: bool) -> None:
    if newest:
        budget.adopt(value, now)
    else:
        budget.lower_to(value, now)


def _learn_budget(budget: _Budget, limit: int, remaining: int, reset: float | None, now: float) -> None:
    """Capacity from the limit header; the window from how long the used part takes to refill."""
    if budget.capacity != limit:
        budget.set_capacity(limit, now)
    budget.learn_window(reset, limit - remaining)


def _learn_rpm(state: _Model, signal: RateLimitSignal, wait: float, now: float) -> None:
    """Requests per minute are only ever told by a refusal: its limit is the capacity, the
    minute (from the token headers) the window, and its wait says when the next slot frees.
    Before the minute is known, ``capacity x wait`` bounds the window from below (the refused
    bucket held less than one request, which refills within one slot)."""
    rpm = state.rpm
    if signal.limit_value:
        if rpm.capacity != signal.limit_value:
            rpm.set_capacity(signal.limit_value, now)
        if state.tpm.window is None:
            rpm.window = max(rpm.window or 0.0, signal.limit_value * wait)
    if rpm.rate is not None:
        rpm.lower_to(1 - wait * rpm.rate, now)


def _soonest_stop(stops: Sequence[RateLimitStop | None]) -> RateLimitStop:
    """Of several stopped models, the one to report: the one that resets first."""
    found = [stop for stop in stops if stop is not None]
    dated = [stop for stop in found if stop.resets_at is not None]
    return min(dated, key=lambda stop: stop.resets_at or datetime.max) if dated else found[0]


def _request_model(request: httpx.Request) -> str | None:
    """The ``model`` of a JSON request body (chat completions), else None."""
    try:
        payload = json.loads(request.content or b"null")
    except (RuntimeError, ValueError):  # a streamed body not read yet; not JSON
        return None
    model = payload.get("model") if isinstance(payload, dict) else None
    return model if isinstance(model, str) else None


def send_with(scheduler: Scheduler, models: str | Sequence[str], tokens: int, send: Callable[[str], T]) -> T:
    """Send one request under the scheduler: admit it (to whichever of ``models`` has budget),
    call ``send(model)``, and when that raises ``RateLimited`` let the scheduler hold the model
    for the wait and send again, for as long as the waits stay within ``max_wait``. Raises the
    ``RateLimitStop`` of a model that will not clear (of the soonest one for a pool)."""
    pool = [models] if isinstance(models, str) else list(models)
    attempts: dict[str, int] = {}
    while True:
        ticket = scheduler.admit_any(pool, tokens)
        try:
            return send(ticket.model)
        except RateLimited as refused:
            attempts[ticket.model] = attempts.get(ticket.model, 0) + 1
            scheduler.refused(ticket.model, refused.signal, attempts[ticket.model])
        finally:
            scheduler.release(ticket)
