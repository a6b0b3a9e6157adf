"""``adp casual``: a casual description in the style the poetic level asks for."""

from __future__ import annotations

from adp_cli.tasks.cleanup import clean_casual, phrase
from adp_cli.tasks.items import wizard_item
from adp_cli.tasks.messages import Messages, casual_messages
from adp_cli.tasks.results import GenerationResult
from adp_cli.tasks.settings import Settings
from adp_cli.tasks.task import Task
from adp_cli.tasks.wizard import WizardData


def _messages(item: WizardData, settings: Settings) -> Messages:
    return casual_messages(item, settings.poetic_level, settings.prompts_dir)


def _phrase(reply: str) -> str:
    return phrase(clean_casual(reply))


def _template(item: WizardData, settings: Settings) -> str:
    """Imported here: a Groq one-shot never needs the template engine (~7 ms of start-up)."""
    from adp_cli import offline

    return offline.describe(item, offline.register_for_poetic_level(settings.poetic_level))


CASUAL = Task(
    "casual", WizardData, wizard_item, _messages, limit=900, temperature=0.1, max_tokens=3500,
    clean=_phrase, result=GenerationResult, template=_template,
)
