"""``--json``: exactly one JSON document per answer on stdout (JSON Lines for a batch)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from adp_cli.output.console import out, out_json
from adp_cli.runs.lines import encode

if TYPE_CHECKING:
    from adp_cli.output.tables import Column
    from adp_cli.output.view import View
    from adp_cli.runs.lines import Line
    from adp_cli.tasks.results import Answer


class JsonFormat:
    name = "json"

    def answer(self, result: Answer) -> None:
        out_json(result.to_json())

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
        out_json(document)

    def report(self, document: Any, show: Callable[[], None]) -> None:
        out_json(document)
