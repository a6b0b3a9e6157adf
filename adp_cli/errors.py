"""Domain errors raised by the core, and the exit statuses the CLI turns them into in one place."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum


class ExitStatus(IntEnum):
    """What ``adp`` exits with; scripts branch on these, so each number keeps its meaning."""

    SUCCESS = 0
    FAILURE = 1  # an API or generation failure, or any failed batch item
    USAGE = 2  # a usage, input or configuration error: the user fixes it, retrying won't help
    RATE_LIMITED = 3  # stopped by a limit that will not clear soon (rate, spend); nothing lost, rerun with -o
    INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


class AdpError(Exception):
    """Base of every error adp reports as one line; ``exit_status`` is what the CLI exits with
    and ``kind`` is the error type a batch line carries."""

    exit_status: int = ExitStatus.FAILURE
    kind = "error"


class UsageError(AdpError):
    """Bad input, option or configuration: the user can fix it without retrying."""

    exit_status = ExitStatus.USAGE
    kind = "input_error"


class InputError(UsageError):
    """A wizard or BPM item that does not parse or validate; the message names the field."""


class ConfigError(UsageError):
    """Missing key, unreadable prompts or prices file, unusable settings."""

    kind = "config_error"


class LogError(ConfigError):
    """The generation log (``ADP_LOGS_DB``) cannot be opened, read or written: corrupt, read-only,
    locked too long. The message names the file and says ``ADP_LOGS_DB=off`` goes on without it;
    the file itself is left exactly as it was."""

    kind = "log_error"


class TokenLimitError(UsageError):
    """The prompt is over the generation's o200k token limit; nothing was sent."""

    kind = "token_limit"

    def __init__(self, tokens: int, limit: int) -> None:
        super().__init__(f"Token limit exceeded: {tokens} > {limit} (o200k_base); nothing was sent")
        self.tokens = tokens
        self.limit = limit


class GenerationError(AdpError):
    """The API call failed or its reply is unusable."""

    kind = "api_error"


class ModelUnavailableError(GenerationError):
    """The API says the model does not exist or was decommissioned."""

    kind = "model_unavailable"

    def __init__(self, message: str, model: str = "") -> None:
        super().__init__(message)
        self.model = model


class BadReplyError(GenerationError):
    """The model answered, but not with what was asked (e.g. no BPM integer)."""

    kind = "bad_reply"


class NotRun(GenerationError):
    """A Batch API request Groq never ran (its batch expired, was cancelled or failed validation):
    nothing was billed, and a rerun with -o sends it again."""

    kind = "not_run"


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP (``timeout``, a CI runner, a closed terminal), raised in the main thread
    where Ctrl-C's KeyboardInterrupt would be, so that every run mode stops as it does for
    Ctrl-C; the process then exits as a shell reports a process that signal ended."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


class Interrupted(AdpError):
    """The run was stopped (Ctrl-C, a termination signal, or a failed write) before this item
    was sent; ``by`` is the interrupt that stopped it, whose exit status it keeps."""

    exit_status: int = ExitStatus.INTERRUPTED
    kind = "interrupted"

    def __init__(self, message: str, by: BaseException | None = None) -> None:
        super().__init__(message)
        if isinstance(by, Terminated):
            self.exit_status = by.exit_status


class BudgetExceededError(AdpError):
    """Today's ledger total has reached ADP_DAILY_BUDGET_USD; the call was not sent."""

    kind = "budget_exceeded"


LIMIT_NAMES = {
    "RPM": "requests per minute (RPM)",
    "RPD": "requests per day (RPD)",
    "TPM": "tokens per minute (TPM)",
    "TPD": "tokens per day (TPD)",
}


class RunStop(AdpError):
    """A limit that will not clear soon stops the run: nothing more is sent, and what was not
    sent can be resumed later with -o (exit 3)."""

    exit_status = ExitStatus.RATE_LIMITED


class SpendLimitReached(RunStop):
    """The account may spend no more (Groq's ``blocked_api_access``, a server's used-up quota):
    no request can succeed until the user raises the limit, so none is retried or sent."""

    kind = "spend_limit"


class RateLimitStop(RunStop):
    """A model's rate limit will not clear soon (a daily cap, or a wait past --max-wait): nothing
    more is sent to it, and what was not sent can be resumed later (exit 3)."""

    kind = "rate_limited"

    def __init__(self, model: str, limit: str, resets_at: datetime | None, wait: float | None = None) -> None:
        self.model = model
        self.limit = limit
        self.resets_at = resets_at
        self.wait = wait
        super().__init__(_stop_message(model, limit, resets_at, wait))


def _stop_message(model: str, limit: str, resets_at: datetime | None, wait: float | None) -> str:
    """Which limit, for which model, when it resets (local time), and how to resume."""
    name = LIMIT_NAMES.get(limit, limit)
    why = f"waiting {wait:.0f} s is over --max-wait" if wait is not None else "the budget is used up"
    when = f"; it resets at {_local_time(resets_at)}" if resets_at is not None else ""
    return (
        f"Stopped by the {name} rate limit of {model} ({why}){when}. Nothing was lost: "
        "rerun the same command with -o FILE to resume where it stopped"
    )


def _local_time(moment: datetime) -> str:
    """The clock time alone today, with the date when the reset is on another day."""
    local = moment.astimezone()
    now = datetime.now().astimezone()
    stamp = "%H:%M:%S" if local.date() == now.date() else "%Y-%m-%d %H:%M:%S"
    return local.strftime(stamp) + " local time"
