"""``--dry-run``: the request exactly as it would be sent and what each model it may go to would
charge, priced by the same ``PriceBook`` a real call is; nothing is sent, no key is needed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adp_cli.dispatch.dispatcher import Dispatcher
from adp_cli.errors import ExitStatus
from adp_cli.tasks.prepared import Prepared, prepare
from adp_cli.tasks.settings import Settings
from adp_cli.tasks.task import Task


@dataclass(frozen=True)
class Estimate:
    """What one candidate model would charge: the prompt alone, and with a reply that uses its
    whole ``max_tokens`` (the answer's budget plus, for a reasoning model, its reasoning's);
    None where no price is known."""

    model: str
    max_tokens: int
    prompt_cost_usd: float | None
    max_cost_usd: float | None


@dataclass(frozen=True)
class DryRun:
    """Everything ``--dry-run`` shows; nothing was sent."""

    prepared: Prepared
    estimates: list[Estimate]

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.USAGE if self.prepared.over_limit else ExitStatus.SUCCESS


def dry_run(task: Task, item: Any, settings: Settings, dispatcher: Dispatcher) -> DryRun:
    prepared = prepare(task, item, settings, enforce_limit=False)
    dispatcher.use_remembered_list()
    prices = dispatcher.prices
    estimates = []
    for model in dispatcher.pool.candidates(prepared):
        cap = dispatcher.cap(prepared, model)
        estimates.append(Estimate(model, cap, prices.cost(model, prepared.prompt_tokens, 0), prices.cost(model, prepared.prompt_tokens, cap)))
    return DryRun(prepared, estimates)
