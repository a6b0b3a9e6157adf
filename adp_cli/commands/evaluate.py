"""``adp eval RESULTS --input ITEMS``: a run's captions measured against its input with the
check's rules (how faithful, how varied, how long), as a library call."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adp_cli.captions import Report, evaluate
from adp_cli.documents import open_source
from adp_cli.errors import AdpError, InputError
from adp_cli.tasks.casual import CASUAL
from adp_cli.tasks.items import Flags
from adp_cli.tasks.wizard import WizardData
from adp_cli.text import shorten


@dataclass(frozen=True)
class Evaluated:
    report: Report
    results: Path
    skipped_items: int  # input items that do not parse: their lines count as unmatched


def run(results: Path, input: str, *, min_recall: float = 0.5, fmt: str | None = None, keep: tuple[str, ...] = ()) -> Evaluated:
    """Join each result line to its item (by id when both have one, else by index) and report."""
    items, skipped = _items(input, fmt, Flags(keep=keep))
    return Evaluated(evaluate(_lines(results), items, min_recall), results, skipped)


def _items(input: str, fmt: str | None, flags: Flags) -> tuple[dict[int, WizardData], int]:
    """The input's items by index, read as a run reads them (field names, CSV columns, kept
    fields); an item that does not parse is skipped and counted."""
    source = open_source(input, fmt=fmt, keep=frozenset(flags.keep))
    items: dict[int, WizardData] = {}
    skipped = 0
    for index, document in enumerate(source.documents):
        try:
            items[index] = CASUAL.parse(document, flags)
        except AdpError:
            skipped += 1
    return items, skipped


def _lines(results: Path) -> Iterator[Any]:
    """Each line of a results file, parsed; a line that is no JSON is handed on as text (the
    evaluation counts it as malformed)."""
    try:
        with results.open(encoding="utf-8", errors="replace") as lines:
            for raw in lines:
                if raw.strip():
                    try:
                        yield json.loads(raw)
                    except ValueError:
                        yield raw
    except OSError as error:
        raise InputError(f"{shorten(str(results))}: cannot read: {error.strerror or error}") from None
