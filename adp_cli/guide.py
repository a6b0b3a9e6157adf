"""The design guide's three library functions, as thin calls on the shared path: the same
dispatcher, prices and ledger as ``adp casual|structure|bpm``."""

from __future__ import annotations

from typing import Any

from adp_cli.accounting.catalog import GroqModel, model_id
from adp_cli.dispatch.dispatcher import Dispatcher
from adp_cli.runs.oneshot import answer
from adp_cli.scales import POETIC_LEVEL_DEFAULT
from adp_cli.tasks.bpm import BPM
from adp_cli.tasks.casual import CASUAL
from adp_cli.tasks.results import Answer, BpmEstimationResult, GenerationResult
from adp_cli.tasks.settings import Settings
from adp_cli.tasks.structure import STRUCTURE
from adp_cli.tasks.task import Task
from adp_cli.tasks.wizard import BpmEstimationInput, WizardData
from adp_cli.transports import open_transport
from adp_cli.transports.base import Connection


def run_task(task: Task, item: Any, settings: Settings = Settings(), dispatcher: Dispatcher | None = None) -> Answer:
    """One generation on the shared path; without a dispatcher, Groq with the SDK's defaults."""
    if dispatcher is None:
        connection = Connection()
        dispatcher = Dispatcher(open_transport("groq", connection), connection, settings)
    return answer(task, item, settings, dispatcher).result


def _named(model: GroqModel | str | None) -> str | None:
    return None if model is None else model_id(model)


def generate_casual_phrase_groq(
    wizard_data: WizardData, model: GroqModel | str | None = None, poetic_level: int = POETIC_LEVEL_DEFAULT
) -> GenerationResult:
    """The guide's casual phrase (model: a random pick from the pool unless given)."""
    result = run_task(CASUAL, wizard_data, Settings(model=_named(model), poetic_level=poetic_level))
    assert isinstance(result, GenerationResult)
    return result


def generate_phrase_from_structure(wizard_data: WizardData, model: GroqModel | str | None = None) -> GenerationResult:
    """The guide's concise professional phrase from the structured tags."""
    result = run_task(STRUCTURE, wizard_data, Settings(model=_named(model)))
    assert isinstance(result, GenerationResult)
    return result


def estimate_bpm(input_data: BpmEstimationInput) -> BpmEstimationResult:
    """The guide's tempo estimate (on the BPM task's model)."""
    result = run_task(BPM, input_data, Settings())
    assert isinstance(result, BpmEstimationResult)
    return result
