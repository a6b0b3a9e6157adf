"""One item, answered: the run mode of a single document or of the field flags alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adp_cli.dispatch.dispatcher import Dispatcher
from adp_cli.errors import ExitStatus
from adp_cli.runs import captioning
from adp_cli.runs.captioning import Captioning
from adp_cli.tasks.prepared import prepare
from adp_cli.tasks.results import Answer
from adp_cli.tasks.settings import Settings
from adp_cli.tasks.task import Task


@dataclass(frozen=True)
class Answered:
    """A one-shot's report: the result, shown on stdout."""

    result: Answer
    exit_status: ExitStatus = ExitStatus.SUCCESS


def answer(task: Task, item: Any, settings: Settings, dispatcher: Dispatcher, policy: Captioning = Captioning()) -> Answered:
    """The prompt limit is checked before the dispatcher starts, so a prompt over it sends no
    request at all, not even the read of the server's model list."""
    policy.refuse(task)
    prepare(task, item, settings)
    dispatcher.start()
    try:
        return Answered(captioning.answer(task, item, settings, dispatcher, policy))
    finally:
        dispatcher.close()
