"""``adp bpm``: a tempo estimate from a description and its genre, mood and energy."""

from __future__ import annotations

from adp_cli.accounting.catalog import BPM_MODEL
from adp_cli.tasks.cleanup import parse_bpm
from adp_cli.tasks.items import bpm_item
from adp_cli.tasks.messages import Messages, bpm_messages
from adp_cli.tasks.results import BpmEstimationResult
from adp_cli.tasks.settings import Settings
from adp_cli.tasks.task import Task
from adp_cli.tasks.wizard import BpmEstimationInput


def _messages(item: BpmEstimationInput, settings: Settings) -> Messages:
    return bpm_messages(item, settings.prompts_dir)


def _template(item: BpmEstimationInput, settings: Settings) -> int:
    from adp_cli import offline

    return offline.estimate_bpm(item)


BPM = Task(
    "bpm", BpmEstimationInput, bpm_item, _messages, limit=None, temperature=0.3, max_tokens=10,
    clean=parse_bpm, result=BpmEstimationResult, template=_template, model=BPM_MODEL.value,
)
