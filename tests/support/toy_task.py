"""A task that is not one of adp's, defined here alone, as the README's recipe says a new task is:
a ``Task`` and its ``TaskSpec`` (its prompt is inline: a toy needs no prompt file)."""

from __future__ import annotations

from adp_cli.tasks.cleanup import phrase
from adp_cli.tasks.items import wizard_item
from adp_cli.tasks.messages import Messages
from adp_cli.tasks.registry import TaskSpec
from adp_cli.tasks.results import GenerationResult
from adp_cli.tasks.settings import Settings
from adp_cli.tasks.task import Task
from adp_cli.tasks.wizard import WizardData


def _messages(item: WizardData, settings: Settings) -> Messages:
    genre = item.genre.primary if item.genre else "music"
    return [{"role": "user", "content": f"Name the genre in one word: {genre}"}]


def _template(item: WizardData, settings: Settings) -> str:
    return f"Echo of {item.genre.primary if item.genre else 'silence'}"


ECHO = Task(
    "echo", WizardData, wizard_item, _messages, limit=100, temperature=0.0, max_tokens=20,
    clean=lambda reply: phrase(reply.strip().rstrip(".")), result=GenerationResult, template=_template,
)
SPEC = TaskSpec("echo", "Name the genre (a toy task).", "tests.support.toy_task:ECHO", frozenset({"instrument"}))
