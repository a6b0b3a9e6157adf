"""Captions a dataset can trust: each phrase checked against its item's tags (``--check``),
asked again when it does not pass (``--regenerate N``), and several distinct captions per item
(``--variants K``). Groq takes one choice per request, so each caption is its own request with
its own sampling seed; every request is billed and in the ledger, and the item's line carries
the sum. The check itself is offline and deterministic (``adp_cli.captions``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from adp_cli.errors import UsageError
from adp_cli.tasks.prepared import prepare
from adp_cli.tasks.results import Answer, CheckedResult, GenerationResult, Usage

if TYPE_CHECKING:
    from adp_cli.captions import Check
    from adp_cli.dispatch.dispatcher import Dispatcher
    from adp_cli.dispatch.logbook import ItemRef
    from adp_cli.tasks.settings import Settings
    from adp_cli.tasks.task import Task
    from adp_cli.tasks.wizard import WizardData

MAX_VARIANTS = 20
MAX_REGENERATE = 10


@dataclass(frozen=True)
class Captioning:
    check: bool = False
    min_recall: float = 0.5
    regenerate: int = 0  # more requests for a caption that does not pass (or repeats another)
    variants: int = 1

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_recall <= 1.0:
            raise UsageError(f"--min-recall {self.min_recall}: give a share between 0 and 1")
        if not 1 <= self.variants <= MAX_VARIANTS:
            raise UsageError(f"--variants {self.variants}: give 1 to {MAX_VARIANTS} captions per item")
        if not 0 <= self.regenerate <= MAX_REGENERATE:
            raise UsageError(f"--regenerate {self.regenerate}: give 0 to {MAX_REGENERATE} more requests per caption")
        if self.regenerate and not (self.check or self.variants > 1):
            raise UsageError("--regenerate asks again for a caption that fails --check (or repeats another of --variants): give one of them")

    @property
    def plain(self) -> bool:
        return not self.check and self.regenerate == 0 and self.variants == 1

    def refuse(self, task: Task) -> None:
        """Only phrases are captions: a tempo has nothing to check."""
        if not self.plain and not issubclass(task.result, GenerationResult):
            raise UsageError(f"--check, --regenerate and --variants are for captions (casual, structure), not {task.name}")


@dataclass
class _Caption:
    answer: Answer
    check: Check | None
    repeated: bool

    @property
    def good(self) -> bool:
        return not self.repeated and (self.check is None or self.check.passed)

    def rank(self) -> tuple[bool, bool, float]:
        """Better first: not a repeat, passed, then the most tags mentioned."""
        passed = self.check is None or self.check.passed
        return (not self.repeated, passed, self.check.recall if self.check else 1.0)


def answer(task: Task, item: Any, settings: Settings, dispatcher: Dispatcher, captioning: Captioning, where: ItemRef | None = None) -> Answer:
    """The item's answer: as the dispatcher gives it, or checked, regenerated and in variants."""
    if captioning.plain:
        return dispatcher.answer(prepare(task, item, settings), where)
    captions: list[_Caption] = []
    usage: Usage | None = None
    requests = 0
    seen: set[str] = set()
    for variant in range(captioning.variants):
        best: _Caption | None = None
        for attempt in range(captioning.regenerate + 1):
            seed = None if (captioning.variants == 1 and attempt == 0) else _seed(settings, variant, attempt)
            result = dispatcher.answer(prepare(task, item, settings, seed=seed), where)
            requests += 1
            usage = result if usage is None else usage.plus(result)
            caption = _Caption(result, _checked(result, item, captioning), _normal(result.answer) in seen)
            best = caption if best is None or caption.rank() > best.rank() else best
            if caption.good:
                break
        assert best is not None
        seen.add(_normal(best.answer.answer))
        captions.append(best)
    assert usage is not None
    return _result(captions, usage, captioning, requests)


def _result(captions: list[_Caption], usage: Usage, captioning: Captioning, requests: int) -> CheckedResult:
    first = captions[0]
    variants = None
    if captioning.variants > 1:
        variants = [_variant(caption) for caption in captions]
    return CheckedResult(
        **Usage.usage_fields(usage),
        phrase=first.answer.answer,
        check=first.check.to_json() if first.check else None,
        variants=variants,
        attempts=requests if captioning.regenerate else None,
    )


def _variant(caption: _Caption) -> dict[str, Any]:
    shown: dict[str, Any] = {"phrase": caption.answer.answer}
    if caption.check is not None:
        shown["check"] = caption.check.to_json()
    if caption.repeated:
        shown["repeated"] = True  # still the same as another after --regenerate's requests
    return shown


def _checked(result: Answer, item: WizardData, captioning: Captioning) -> Check | None:
    if not captioning.check:
        return None
    from adp_cli.captions import check

    return check(str(result.answer), item, captioning.min_recall)


def _seed(settings: Settings, variant: int, attempt: int) -> int:
    """A sampling seed of its own for every caption request of an item, repeatable with --seed."""
    return (settings.seed or 0) * 10_000 + variant * 100 + attempt + 1


def _normal(phrase: Any) -> str:
    """Two captions are the same when they differ only in case and spacing."""
    return " ".join(str(phrase).lower().split())
