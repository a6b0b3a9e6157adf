"""Evaluating a whole run: its result lines joined to their items, every caption checked with
the same rules as ``check``, and the run summed up in one ``Report``.

The report answers what a dataset builder asks before training on thousands of captions: do
they say what the items say (recall), do they make things up (invented, tempo), and are they
varied or one template repeated (vocabulary, distinct-n, duplicates, lengths). Lines are read
one at a time, so a run of any size is evaluated in the memory its distinct words take.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from adp_cli.captions.check import Check, check_words
from adp_cli.captions.forms import words_of
from adp_cli.errors import UsageError

if TYPE_CHECKING:
    from adp_cli.tasks.wizard import WizardData

_DIGITS = 4
_BIN_WIDTH = 10
_BINS = 6  # 0-9, 10-19, ... 40-49 words, and the last bin for 50 words or more


@dataclasses.dataclass(frozen=True, slots=True)
class Report:
    """A run's captions in figures; shares and means are over the phrases checked."""

    results: int  # lines read
    errors: int  # error lines (no phrase to check)
    unmatched: int  # lines with a phrase whose item is not among the inputs
    malformed: int  # lines that are neither a result nor an error line
    items: int  # lines checked against their item
    phrases: int  # phrases checked: one a line, or each of its variants
    min_recall: float
    passed_share: float
    mean_recall: float
    invented_share: float  # phrases with at least one invented word
    tempo_mismatch_share: float
    vocabulary: int  # distinct lower-cased words over all phrases
    mean_words: float
    median_words: float
    distinct_1: float  # distinct words / words
    distinct_2: float  # distinct word pairs / word pairs (pairs within a phrase)
    duplicates: int  # phrases equal to an earlier one, ignoring case and spacing
    length_histogram: tuple[tuple[str, int], ...]  # (words bin, phrases), every bin listed

    def to_json(self) -> dict[str, Any]:
        fields = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        fields["length_histogram"] = dict(self.length_histogram)
        return {name: round(value, _DIGITS) if isinstance(value, float) else value for name, value in fields.items()}


def _bin_label(index: int) -> str:
    low = index * _BIN_WIDTH
    return f"{low}+" if index == _BINS - 1 else f"{low}-{low + _BIN_WIDTH - 1}"


class Evaluation:
    """A run being evaluated: ``add`` each result line, then ``report``.

    ``items`` is the run's input: a sequence in input order (a line's ``index`` is its position)
    or a mapping from index to item. A line joins its item by ``id`` when the line has one and
    the items carry ids (an id no item has leaves the line unmatched: joining it by index could
    pair it with another item), and by ``index`` otherwise. Where two items share an id, the
    first one is the item of that id.
    """

    def __init__(self, items: Sequence[WizardData] | Mapping[int, WizardData], min_recall: float = 0.5) -> None:
        if not 0.0 <= min_recall <= 1.0:
            raise UsageError(f"the minimum recall must be between 0 and 1, got {min_recall}")
        self.min_recall = min_recall
        self._by_index: Mapping[int, WizardData] = items if isinstance(items, Mapping) else dict(enumerate(items))
        self._by_id: dict[str | int, WizardData] = {}
        for item in self._by_index.values():
            if item.id is not None:
                self._by_id.setdefault(item.id, item)
        self._lines = Counter[str]()
        self._passed = self._invented = self._mismatched = 0
        self._recall = 0.0
        self._lengths = Counter[int]()
        self._unigrams: set[str] = set()
        self._bigrams: set[tuple[str, str]] = set()
        self._words = self._pairs = 0
        self._seen: set[str] = set()
        self._duplicates = 0

    def add(self, line: Any) -> list[Check]:
        """Count one result line; the checks of its phrases (none for an error or unmatched line)."""
        self._lines["results"] += 1
        phrases = _phrases(line)
        if phrases is None:
            self._lines["errors" if isinstance(line, Mapping) and "error" in line else "malformed"] += 1
            return []
        item = self._item_for(line)
        if item is None:
            self._lines["unmatched"] += 1
            return []
        self._lines["items"] += 1
        return [self._add_phrase(phrase, item) for phrase in phrases]

    def _item_for(self, line: Mapping[str, Any]) -> WizardData | None:
        line_id = line.get("id")
        if line_id is not None and self._by_id:
            return self._by_id.get(line_id) if isinstance(line_id, str | int) else None
        index = line.get("index")
        return self._by_index.get(index) if isinstance(index, int) and not isinstance(index, bool) else None

    def _add_phrase(self, phrase: str, item: WizardData) -> Check:
        caption = words_of(phrase)  # tokenised once: for the check and for the word figures
        result = check_words(phrase, caption, item, self.min_recall)
        self._recall += result.recall
        self._passed += result.passed
        self._invented += bool(result.invented)
        self._mismatched += result.tempo_mismatch
        words = caption.plain
        self._lengths[len(words)] += 1
        self._words += len(words)
        self._unigrams.update(words)
        self._pairs += max(len(words) - 1, 0)
        self._bigrams.update(pairwise(words))
        normal = " ".join(phrase.casefold().split())
        if normal in self._seen:
            self._duplicates += 1
        else:
            self._seen.add(normal)
        return result

    def report(self) -> Report:
        phrases = sum(self._lengths.values())
        histogram = [0] * _BINS
        for length, count in self._lengths.items():
            histogram[min(length // _BIN_WIDTH, _BINS - 1)] += count
        return Report(
            results=self._lines["results"],
            errors=self._lines["errors"],
            unmatched=self._lines["unmatched"],
            malformed=self._lines["malformed"],
            items=self._lines["items"],
            phrases=phrases,
            min_recall=self.min_recall,
            passed_share=_share(self._passed, phrases),
            mean_recall=_share(self._recall, phrases),
            invented_share=_share(self._invented, phrases),
            tempo_mismatch_share=_share(self._mismatched, phrases),
            vocabulary=len(self._unigrams),
            mean_words=_share(self._words, phrases),
            median_words=float(statistics.median(self._lengths.elements())) if phrases else 0.0,
            distinct_1=_share(len(self._unigrams), self._words),
            distinct_2=_share(len(self._bigrams), self._pairs),
            duplicates=self._duplicates,
            length_histogram=tuple((_bin_label(index), count) for index, count in enumerate(histogram)),
        )


def _phrases(line: Any) -> list[str] | None:
    """The phrases a line carries: each variant's when it has variants, else its phrase."""
    if not isinstance(line, Mapping) or "error" in line:
        return None
    variants = line.get("variants")
    if isinstance(variants, list) and variants:
        phrases = [variant["phrase"] for variant in variants if isinstance(variant, Mapping) and isinstance(variant.get("phrase"), str)]
    else:
        phrase = line.get("phrase")
        phrases = [phrase] if isinstance(phrase, str) else []
    return phrases or None


def _share(part: float, whole: int) -> float:
    return part / whole if whole else 0.0


def evaluate(
    results: Iterable[Any], items: Sequence[WizardData] | Mapping[int, WizardData], min_recall: float = 0.5
) -> Report:
    """The report of a run: ``results`` as adp writes them (read once, in order), ``items`` its input."""
    evaluation = Evaluation(items, min_recall)
    for line in results:
        evaluation.add(line)
    return evaluation.report()
