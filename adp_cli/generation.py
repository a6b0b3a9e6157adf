"""Generating on the shared path: a dry run's estimates, one generation, and the guide's three
library functions as thin calls on it (``prepare``, then a provider's ``answer``)."""

from __future__ import annotations

from dataclasses import dataclass

from adp_cli.accounting import catalog
from adp_cli.accounting.catalog import GroqModel, model_id
from adp_cli.errors import ExitStatus
from adp_cli.prepared import Prepared, prepare
from adp_cli.providers import Connection, Provider, open_provider
from adp_cli.results import BpmEstimationResult, GenerationResult, Result
from adp_cli.scales import POETIC_LEVEL_DEFAULT
from adp_cli.settings import Settings
from adp_cli.tasks import BPM, CASUAL, STRUCTURE, Item, Task
from adp_cli.wizard import BpmEstimationInput, WizardData


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


def dry_run(task: Task, item: Item, settings: Settings, provider: Provider) -> DryRun:
    """The request as it would be sent, and what each model it may go to would charge."""
    prepared = prepare(task, item, settings, enforce_limit=False)
    estimates = [
        Estimate(
            model,
            catalog.usage_cost(prepared.prompt_tokens, 0, model),
            catalog.usage_cost(prepared.prompt_tokens, prepared.max_tokens, model),
        )
        for model in provider.models(prepared)
    ]
    return DryRun(prepared, estimates)


def generate(task: Task, item: Item, settings: Settings = Settings(), provider: Provider | None = None) -> Result:
    """One generation on the shared path; without a provider, Groq with the SDK's defaults."""
    if provider is None:
        provider = open_provider("groq", Connection(), settings)
        provider.start()
    return provider.answer(prepare(task, item, settings))


def _named(model: GroqModel | str | None) -> str | None:
    return None if model is None else model_id(model)


def generate_casual_phrase_groq(
    wizard_data: WizardData, model: GroqModel | str | None = None, poetic_level: int = POETIC_LEVEL_DEFAULT
) -> GenerationResult:
    """The guide's casual phrase (model: a random pick from the pool unless given)."""
    result = generate(CASUAL, wizard_data, Settings(model=_named(model), poetic_level=poetic_level))
    assert isinstance(result, GenerationResult)
    return result


def generate_phrase_from_structure(wizard_data: WizardData, model: GroqModel | str | None = None) -> GenerationResult:
    """The guide's concise professional phrase from the structured tags."""
    result = generate(STRUCTURE, wizard_data, Settings(model=_named(model)))
    assert isinstance(result, GenerationResult)
    return result


def estimate_bpm(input_data: BpmEstimationInput) -> BpmEstimationResult:
    """The guide's tempo estimate (always llama-3.3-70b-versatile)."""
    result = generate(BPM, input_data, Settings())
    assert isinstance(result, BpmEstimationResult)
    return result
