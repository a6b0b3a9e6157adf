"""The client's mirror of a server's budgets: what one budget holds at a moment, and what is
known of one model (its three budgets, a pause after a refusal, a stop, what is in flight).
Guarded by the scheduler's lock; nothing here locks or sleeps."""

from __future__ import annotations

from dataclasses import dataclass, field

from adp_cli.errors import RateLimitStop
from adp_cli.transports.signals import RateLimitSignal

# A request is admitted when its budget holds this much more than the request itself (as a
# share of it): a request may reach the server a little sooner after the previous one than it
# left here, and the server's bucket must still hold it then. Costs one half request, once.
_MARGIN = 0.5


@dataclass(frozen=True)
class Ticket:
    """A request admitted to ``model``, holding ``tokens`` of its budget until released;
    ``seq`` orders admissions."""

    model: str
    tokens: int
    seq: int


class Budget:
    """The client's mirror of one server budget: capacity, refill window, level at a time.

    A budget without a capacity admits everything; one whose window is not learned yet does
    not refill, and when empty it waits for a reply to teach the window (see ``delay``).
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
class ModelBudgets:
    """Everything learned about one model; guarded by the scheduler's lock."""

    rpm: Budget
    tpm: Budget
    rpd: Budget
    paused_until: float = 0.0
    pause_limit: str = ""
    stop: RateLimitStop | None = None
    refused_since: float | None = None  # when the refusals began that no answer has ended yet
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


def delay(state: ModelBudgets, tokens: int, now: float, slice_seconds: float) -> tuple[float, str]:
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


def mirror(budget: Budget, value: float, now: float, newest: bool) -> None:
    if newest:
        budget.adopt(value, now)
    else:
        budget.lower_to(value, now)


def learn_budget(budget: Budget, limit: int, remaining: int, reset: float | None, now: float) -> None:
    """Capacity from the limit header; the window from how long the used part takes to refill."""
    if budget.capacity != limit:
        budget.set_capacity(limit, now)
    budget.learn_window(reset, limit - remaining)


def learn_rpm(state: ModelBudgets, signal: RateLimitSignal, wait: float, now: float) -> None:
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


