"""The daily cost ledger: tokens and dollars per day and model, shared by every adp process.

One JSON file (``COST_TRACKING_FILE``, default ``daily-costs.json`` in the user data folder,
``off`` disables it) that people may read or edit by hand. Every change is a read-modify-write
under a ``filelock`` lock, so concurrent processes lose nothing, and lands through a temp file
plus ``os.replace``, so a crash mid-write leaves the previous file. A file that does not parse
is reported and left alone: it may hold the only record of what was spent. A symlink is
followed (the lock sits beside the file it points to); anything but a regular file is refused.
A run opens the ledger before its first request, so an unusable one stops it before anything
is paid for.

filelock, platformdirs and tempfile are imported only when the ledger is actually used; they
cost tens of milliseconds of start-up otherwise.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from adp_cli.accounting.ledger_checks import (
    COUNTERS,
    FORMAT_VERSION,
    check_call,
    check_ledger,
)
from adp_cli.errors import BudgetExceededError, ConfigError
from adp_cli.files import is_special, replace_atomically, resolved
from adp_cli.group_writer import Gathering, GroupWriter, Receipt

log = logging.getLogger("adp")

LEDGER_ENV = "COST_TRACKING_FILE"
BUDGET_ENV = "ADP_DAILY_BUDGET_USD"
LEDGER_FILENAME = "daily-costs.json"
LOCK_TIMEOUT_S = 30.0
LOCK_POLL_S = 0.005
_THREADS = threading.Lock()
COST_SIGNIFICANT_DIGITS = 12


@dataclass(frozen=True)
class Entry:
    """One model's totals for one day (``day`` is an ISO date, local time); ``server`` names
    the OpenAI-compatible server for calls that did not go to Groq."""

    day: str
    model: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    server: str | None = None


def ledger_path() -> Path | None:
    """Where the ledger lives, or None when ``COST_TRACKING_FILE=off`` disables it."""
    configured = os.environ.get(LEDGER_ENV, "").strip()
    if configured.lower() == "off":
        return None
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return platformdirs.user_data_path("adp") / LEDGER_FILENAME


def _ledger_file() -> Path | None:
    """The ledger's path with symlinks followed: writes land in the file a link points to, and
    two links to one ledger share one lock."""
    path = ledger_path()
    if path is None:
        return None
    try:
        return resolved(path)
    except OSError as err:
        raise ConfigError(f"ledger {path}: {err.strerror or err}") from None


@dataclass(frozen=True)
class Call:
    """What one call (or ``requests`` calls) used and cost, as the ledger adds it up."""

    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    requests: int = 1
    server: str | None = None  # another server than Groq: kept apart, and no budget counts it


def record(calls: Iterable[Call], day: date | None = None) -> None:
    """Add calls to the day's totals (today unless ``day``) in one locked rewrite; no-op if the
    ledger is disabled. A batch flushes its calls together so many items take the lock once."""
    _add((day or date.today()).isoformat(), list(calls))


def open_ledger() -> float:
    """Check that the ledger can be read and written, and return today's spend.

    It is rewritten (or created) exactly the way a call's record will be, so a corrupt file, a
    read-only file or folder or a full disk is found before the first request, not after a paid
    one. Disabled ledger: 0.0.
    """
    path = _ledger_file()
    if path is None:
        return 0.0
    _make_folder(path)
    with _locked(path):
        ledger = _load(path)
        _write(path, ledger)
    today = ledger["days"].get(date.today().isoformat(), {})
    return _round_cost(sum(totals["cost_usd"] for totals in today.values()))


def entries(days: int | None = None) -> list[Entry]:
    """Ledger entries sorted by day then model (Groq's, then each other server's); ``days=N``
    keeps the last N days including today."""
    path = _ledger_file()
    if path is None or not path.exists():
        return []
    # Atomic replace makes a lock-free read safe on POSIX, but on Windows an open reader makes
    # a writer's os.replace fail, so readers queue behind the same lock.
    with _locked(path):
        ledger = _load(path)
    first_day = "" if days is None else (date.today() - timedelta(days=days - 1)).isoformat()
    sections = [(None, ledger["days"]), *sorted(ledger.get("servers", {}).items())]
    return [
        Entry(
            day=day,
            model=model,
            requests=totals["requests"],
            prompt_tokens=totals["prompt_tokens"],
            completion_tokens=totals["completion_tokens"],
            cost_usd=float(totals["cost_usd"]),
            server=server,
        )
        for server, section in sections
        for day in sorted(section)
        if day >= first_day
        for model, totals in sorted(section[day].items())
    ]


def spent_today() -> float:
    """Today's Groq spending in USD over all models (0.0 when the ledger is disabled or empty);
    other servers' calls are not Groq spending."""
    today = date.today().isoformat()
    return _round_cost(sum(entry.cost_usd for entry in entries() if entry.day == today and entry.server is None))


def check_estimate(estimate_usd: float) -> None:
    """Refuse work estimated at ``estimate_usd`` (a Batch API job, paid later) when today's spend
    plus the estimate would pass ``ADP_DAILY_BUDGET_USD``."""
    budget = _budget()
    if budget is None:
        return
    spent = spent_today()
    if spent + estimate_usd > budget:
        raise BudgetExceededError(
            f"daily budget would be passed: {_dollars(spent)} spent today plus {_dollars(estimate_usd)} estimated "
            f"for this batch job is over {_dollars(budget)} ({BUDGET_ENV}); nothing was submitted"
        )


def budget_set() -> bool:
    """Whether ``ADP_DAILY_BUDGET_USD`` is set (a batch job then counts its estimate exactly)."""
    return _budget() is not None


def _dollars(amount: float) -> str:
    """``$0.001``, ``$2.5``: as many decimals as the amount needs (up to 7), so a budget under
    a cent is not shown as ``$0.00``."""
    return "$" + (f"{amount:.7f}".rstrip("0").rstrip(".") or "0")


def _budget() -> float | None:
    """The configured daily budget; a typo must not silently mean "no budget", hence ConfigError."""
    raw = os.environ.get(BUDGET_ENV, "").strip()
    if not raw:
        return None
    try:
        budget = float(raw)
    except ValueError:
        raise ConfigError(f"{BUDGET_ENV}={raw!r} is not a number of US dollars") from None
    if not math.isfinite(budget) or budget < 0:
        raise ConfigError(f"{BUDGET_ENV}={raw!r} must be a finite amount of US dollars >= 0")
    return budget


def _add(day: str, calls: list[Call]) -> None:
    """Read-modify-write the ledger under its lock so concurrent processes never drop a call."""
    path = _ledger_file()
    if path is None or not calls:
        return
    for call in calls:  # all of them first: one bad row writes nothing, rather than poison the file
        check_call(call)
    _make_folder(path)
    with _locked(path):
        ledger = _load(path)
        for call in calls:
            section = ledger["days"] if call.server is None else ledger.setdefault("servers", {}).setdefault(call.server, {})
            totals = section.setdefault(day, {}).setdefault(call.model, dict.fromkeys(COUNTERS, 0) | {"cost_usd": 0.0})
            totals["requests"] += call.requests
            totals["prompt_tokens"] += call.prompt_tokens
            totals["completion_tokens"] += call.completion_tokens
            totals["cost_usd"] = _round_cost(totals["cost_usd"] + call.cost_usd)
        _write(path, ledger)


def _make_folder(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"cannot create the ledger folder {path.parent}: {err}") from err


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold the ledger's lock file; a stuck lock becomes a ConfigError naming it, not a hang.

    A device or FIFO is refused first: its lock file would land in /dev, and a rewrite would
    replace the device with a plain file."""
    from filelock import FileLock, Timeout

    try:
        special = is_special(path)
    except OSError as err:
        raise ConfigError(f"cannot use ledger {path}: {err.strerror or err}") from None
    if special:
        raise ConfigError(f"ledger {path} is not a regular file: point {LEDGER_ENV} at a file, or set {LEDGER_ENV}=off")
    lock_path = f"{path}.lock"
    lock = FileLock(lock_path, timeout=LOCK_TIMEOUT_S)
    with _THREADS:  # threads of one process queue here instead of polling the lock file
        try:
            lock.acquire(poll_interval=LOCK_POLL_S)
        except Timeout:
            raise ConfigError(
                f"ledger lock {lock_path} still held after {LOCK_TIMEOUT_S:g} s; "
                "another adp may be stuck - stop it or delete the lock file"
            ) from None
        except OSError as err:
            raise ConfigError(f"cannot lock ledger {lock_path}: {err}") from err
        try:
            yield
        finally:
            lock.release()


def _load(path: Path) -> dict[str, Any]:
    """The parsed ledger; missing or empty means fresh, anything unparsable is a ConfigError."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raw = b""
    except OSError as err:
        raise ConfigError(f"cannot read ledger {path}: {err}") from err
    try:
        text = raw.decode("utf-8-sig")  # tolerate a BOM left by a Windows editor
        ledger = json.loads(text) if text.strip() else {"version": FORMAT_VERSION, "days": {}}
        check_ledger(ledger)
    except ValueError as err:  # also UnicodeDecodeError and JSONDecodeError
        raise ConfigError(
            f"ledger {path} is corrupt ({err}); fix or move it, or set {LEDGER_ENV}=off"
        ) from None
    return ledger


def _write(path: Path, ledger: dict[str, Any]) -> None:
    """Save the ledger as indented UTF-8 JSON; an OS failure is a ConfigError, not a traceback."""
    data = (json.dumps(ledger, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        replace_atomically(path, data)
    except OSError as err:
        raise ConfigError(f"cannot write ledger {path}: {err}") from err


def _round_cost(cost: float) -> float:
    """Round to 12 significant digits so repeated float sums do not write 2.0880000000000003e-05."""
    return float(f"{cost:.{COST_SIGNIFICANT_DIGITS}g}")


class Tab:
    """One run's spending: the budget is checked against today's ledger total, read once when the
    run opens the ledger, plus what this run has spent and has in flight since.

    Calls are recorded by group commit: a writer thread writes every row waiting at that moment
    in one locked rewrite. ``submit`` hands a call to it and returns a receipt whose ``result()``
    returns once the row is on disk (the worker finishes its reply meanwhile); ``add`` waits
    for it at once. Either way a result is never shown before its cost is in the ledger. A row whose
    write failed (its caller got the error) goes into the next write. While calls answer within
    ``group_writer.GATHER_S`` (a server on this machine, a stub), a write first waits for the
    calls in flight (``expect``), at most as long as a call takes: one synced rewrite then
    serves a whole round of workers instead of two or three of them.
    """

    def __init__(self, server: str | None = None) -> None:
        """``server``: the calls go to another server than Groq; the daily budget (Groq
        spending) neither counts nor refuses them."""
        self._server = server
        self._budget = _budget() if server is None else None
        self._spent = open_ledger()
        if self._budget is not None and ledger_path() is None:
            log.warning(
                "%s applies to this run only: the ledger is off (%s=off), so nothing spent before this run counts",
                BUDGET_ENV,
                LEDGER_ENV,
            )
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)
        self._reserved = 0.0
        self._in_flight = 0
        self._coming = Gathering()
        self._writer: GroupWriter[Call, None] = GroupWriter(_write_rows, name="adp-ledger", keep_failed=True, gathering=self._coming)

    @contextmanager
    def reserve(self, estimate: float) -> Iterator[None]:
        """Hold a call's estimated cost against the budget while the call is in flight.

        A call starts only while today's spend plus the estimates of the calls in flight is
        under the budget; otherwise it waits for those to settle (they may cost less), and it is
        refused once none is in flight and the spend has reached the budget. With estimates that
        bound the real cost, parallel workers pass the budget by no more than one worker does:
        the last call.
        """
        if self._budget is None:
            yield
            return
        with self._lock:
            while self._spent + self._reserved >= self._budget:
                if not self._in_flight:
                    raise BudgetExceededError(
                        f"daily budget reached: {_dollars(self._spent)} spent today of {_dollars(self._budget)} ({BUDGET_ENV})"
                    )
                self._settled.wait()
            self._reserved += estimate
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._reserved -= estimate
                self._in_flight -= 1
                self._settled.notify_all()

    def add(self, call: Call) -> None:
        """Record one call; returns only once it is in the ledger file."""
        self.submit(call).result()

    def expect(self, token: Hashable) -> None:
        """A call goes out with ``token``: its cost is submitted when it answers."""
        self._coming.expect(token)

    def forget(self, token: Hashable) -> None:
        """The call of ``token`` is over without a cost to submit (it failed)."""
        self._coming.forget(token)

    def answered_in(self, seconds: float) -> None:
        """How long the latest call took: while calls answer fast, a write waits for the calls
        in flight (``group_writer.Gathering.pace``)."""
        self._coming.pace(seconds)

    def submit(self, call: Call, token: Hashable | None = None) -> Receipt[None]:
        """Record one call: it counts against the budget at once, and the receipt's ``result()``
        returns once it is in the ledger file (or raises the write's ConfigError). A row the
        ledger refuses fails here, alone: queued, it would fail every write after it. ``token``:
        the one ``expect`` was given for the call."""
        check_call(call)  # a refused call's token is the caller's to forget, as every call's is
        call = replace(call, server=self._server)
        with self._lock:
            self._spent += call.cost_usd
        return self._writer.submit(call, token)

    def close(self) -> None:
        """The run is over: the writer thread ends (every call waited for is written already)."""
        self._writer.close()


def _write_rows(calls: list[Call]) -> list[None]:
    """The writer thread's write: one locked rewrite for every waiting call (``record`` is
    looked up at each write, so a test can count the writes)."""
    record(calls)
    return [None] * len(calls)
