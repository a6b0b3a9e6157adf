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
    """What one candidate model would charge: the prompt alone, and with a full ``max_tokens`` reply."""

    model: str
    prompt_cost_usd: float
    max_cost_usd: float


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
    prices = dispatcher.prices
    estimates = [
        Estimate(
            model,
            prices.cost(model, prepared.prompt_tokens, 0),
            prices.cost(model, prepared.prompt_tokens, prepared.max_tokens),
        )
        for model in dispatcher.pool.candidates(prepared)
    ]
    return DryRun(prepared, estimates)
