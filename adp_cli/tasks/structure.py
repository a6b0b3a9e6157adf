"""``adp structure``: a concise professional description from the structured tags."""

from __future__ import annotations

from adp_cli.tasks.cleanup import clean_structure, phrase
from adp_cli.tasks.items import wizard_item
from adp_cli.tasks.messages import Messages, structure_messages
from adp_cli.tasks.results import GenerationResult
from adp_cli.tasks.settings import Settings
from adp_cli.tasks.task import Task
from adp_cli.tasks.wizard import WizardData


def _messages(item: WizardData, settings: Settings) -> Messages:
    return structure_messages(item, settings.prompts_dir)


def _phrase(reply: str) -> str:
    return phrase(clean_structure(reply))


def _template(item: WizardData, settings: Settings) -> str:
    from adp_cli import offline

    return offline.describe(item, offline.Register.PROFESSIONAL)


STRUCTURE = Task(
    "structure", WizardData, wizard_item, _messages, limit=2000, temperature=0.7, max_tokens=3500,
    clean=_phrase, result=GenerationResult, template=_template,
)
