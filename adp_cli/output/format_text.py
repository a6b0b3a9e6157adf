"""The format for people and for shell tools: a phrase or a number alone, JSON lines for a
batch, a table on a terminal and tab-separated lines when piped."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from adp_cli.output.console import out
from adp_cli.output.tables import listing
from adp_cli.runs.lines import encode

if TYPE_CHECKING:
    from adp_cli.output.tables import Column
    from adp_cli.output.view import View
    from adp_cli.runs.lines import Line
    from adp_cli.tasks.results import Answer


class TextFormat:
    name = "text"

    def answer(self, result: Answer) -> None:
        for text in result.shown:
            out(text)

    def record(self, line: Line) -> None:
        out(encode(line))

    def listing(
        self,
        title: str,
        columns: Sequence[Column],
        rows: Sequence[Mapping[str, Any]],
        document: Any,
        view: View,
        total: Mapping[str, str] | None = None,
    ) -> None:
        listing(title, columns, rows, view, total)

    def report(self, document: Any, show: Callable[[], None]) -> None:
        show()
