"""The generation commands adp offers, each a task named by where it lives.

Listing a task here is all the CLI needs to offer it (``adp NAME``, its help, the task-specific
options it takes); the task itself (pydantic models, prompts) is imported only when the command
runs, so ``adp --help`` stays fast. Adding a task: its module (a ``Task``), its prompt file, and
one entry here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adp_cli.tasks.task import Task

# Options that only some generation commands offer: each command offers those its task reads.
WIZARD_ONLY = frozenset({"instrument", "vocals", "bpm"})
CAPTIONS = frozenset({"check", "min_recall", "regenerate", "variants"})


@dataclass(frozen=True)
class TaskSpec:
    name: str
    help: str
    target: str  # "module:ATTRIBUTE" of the Task
    options: frozenset[str] = frozenset()  # the task-specific options it offers


TASK_SPECS: dict[str, TaskSpec] = {
    spec.name: spec
    for spec in (
        TaskSpec("casual", "A casual description of the music (poetic level 1-100).", "adp_cli.tasks.casual:CASUAL", WIZARD_ONLY | CAPTIONS | {"poetic_level"}),
        TaskSpec("structure", "A concise professional description from the structured tags.", "adp_cli.tasks.structure:STRUCTURE", WIZARD_ONLY | CAPTIONS),
        TaskSpec(
            "bpm", "Estimate the tempo (BPM) from a description and its genre, mood and energy.", "adp_cli.tasks.bpm:BPM", frozenset({"phrase", "standardized"})
        ),
    )
}


def task_specific_options() -> frozenset[str]:
    """Every option some task offers and another does not."""
    return frozenset().union(*(spec.options for spec in TASK_SPECS.values()))


def load(name: str) -> Task:
    module, _, attribute = TASK_SPECS[name].target.partition(":")
    task: Task = getattr(import_module(module), attribute)
    return task


class _Tasks(Mapping[str, "Task"]):
    """``TASKS[name]``: the registered tasks, each imported on first use."""

    def __getitem__(self, name: str) -> Task:
        if name not in TASK_SPECS:
            raise KeyError(name)
        return load(name)

    def __iter__(self) -> Iterator[str]:
        return iter(TASK_SPECS)

    def __len__(self) -> int:
        return len(TASK_SPECS)


TASKS: Mapping[str, Task] = _Tasks()
