"""Domain errors raised by the core, and the exit statuses the CLI turns them into in one place."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """What ``adp`` exits with; scripts branch on these, so each number keeps its meaning."""

    SUCCESS = 0
    FAILURE = 1  # an API or generation failure, or any failed batch item
    USAGE = 2  # a usage, input or configuration error: the user fixes it, retrying won't help
    RATE_LIMITED = 3  # stopped by a rate limit that will not clear soon; nothing lost, rerun with -o
    INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


class AdpError(Exception):
    """Base of every error adp reports as one line; ``exit_status`` is what the CLI exits with
    and ``kind`` is the error type a batch line carries."""

    exit_status = ExitStatus.FAILURE
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


class BadReplyError(GenerationError):
    """The model answered, but not with what was asked (e.g. no BPM integer)."""

    kind = "bad_reply"


class BudgetExceededError(AdpError):
    """Today's ledger total has reached ADP_DAILY_BUDGET_USD; the call was not sent."""

    kind = "budget_exceeded"
