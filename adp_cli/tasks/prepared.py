"""A request ready to send, made the same way for every task and provider.

``prepare`` does everything that needs no network (messages, sampling, exact token count, limit
check), so ``--dry-run``, one-shots, batches and the Batch API share it; which model a request
goes to, and what that model's body adds, is the dispatcher's choice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from adp_cli.accounting.tokens import count_tokens
from adp_cli.errors import TokenLimitError
from adp_cli.tasks.messages import Messages
from adp_cli.tasks.settings import Settings
from adp_cli.tasks.task import Task

log = logging.getLogger("adp")


@dataclass(frozen=True)
class Prepared:
    """A request ready to send: exact messages and sampling, and (when asked) their o200k count."""

    task: Task
    item: Any
    settings: Settings
    messages: Messages
    temperature: float
    max_tokens: int
    seed: int | None = None  # the sampling seed sent with the request (another caption of the same item)

    def body(self, model: str) -> dict[str, Any]:
        """The chat-completion request for ``model`` before what the model itself adds."""
        body: dict[str, Any] = {"model": model, "messages": self.messages, "temperature": self.temperature, "max_tokens": self.max_tokens}
        if self.seed is not None:
            body["seed"] = self.seed
        return body

    @cached_property
    def item_values(self) -> dict[str, Any]:
        """The item as JSON values, fields by name, unset ones left out: what the generation log
        keeps of it (the cache key hashes the messages, which hold what the model sees of it)."""
        dumped: dict[str, Any] = self.item.model_dump(mode="json", exclude_none=True, by_alias=False)
        return dumped

    @property
    def prompt_text(self) -> str:
        return "".join(message["content"] for message in self.messages)

    @cached_property
    def prompt_tokens(self) -> int:
        return count_tokens(self.prompt_text)

    @property
    def over_limit(self) -> bool:
        """Exact, but counts only when it must: every o200k token covers at least one UTF-8 byte,
        so a prompt of at most ``limit`` bytes cannot be over the limit."""
        limit = self.task.limit
        if limit is None or len(self.prompt_text.encode("utf-8", "surrogatepass")) <= limit:
            return False
        return self.prompt_tokens > limit


def prepare(task: Task, item: Any, settings: Settings, *, enforce_limit: bool = True, seed: int | None = None) -> Prepared:
    """Build and measure a request; over the limit raises before anything could be sent."""
    if not isinstance(item, task.item_type):
        raise TypeError(f"{task.name} needs {task.item_type.__name__}, not {type(item).__name__}")
    messages = task.messages(item, settings)
    prepared = Prepared(
        task=task,
        item=item,
        settings=settings,
        messages=messages,
        temperature=task.temperature if settings.temperature is None else settings.temperature,
        max_tokens=task.max_tokens if settings.max_tokens is None else settings.max_tokens,
        seed=seed,
    )
    if enforce_limit and prepared.over_limit:
        raise TokenLimitError(prepared.prompt_tokens, task.limit or 0)
    if log.isEnabledFor(logging.DEBUG):
        log.debug("%s prompt: %d o200k tokens; preview: %.200s", task.name, prepared.prompt_tokens, messages[-1]["content"])
    return prepared
