"""How answers are written on stdout: ``text`` (a phrase, a number, a table or tab-separated
lines) or ``json`` (documents). Every presenter writes through its view's ``Format``, so an
output format is one module implementing it plus one entry in ``FORMATS`` (``--output-format NAME``;
``--json`` is ``--output-format json``). The registry names each format by where it lives, so the CLI
can offer the names without importing anything."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from importlib import import_module
from typing import TYPE_CHECKING, Any, Protocol

from adp_cli.errors import UsageError

if TYPE_CHECKING:
    from adp_cli.output.tables import Column
    from adp_cli.output.view import View
    from adp_cli.runs.lines import Line
    from adp_cli.tasks.results import Answer

FORMATS: dict[str, str] = {
    "text": "adp_cli.output.format_text:TextFormat",
    "json": "adp_cli.output.format_json:JsonFormat",
}


class Format(Protocol):
    name: str

    def answer(self, result: Answer) -> None:
        """A one-shot's result."""

    def record(self, line: Line) -> None:
        """One batch line (scripts read these as JSON Lines whatever the format, unless a
        format is made for another line format)."""

    def listing(
        self,
        title: str,
        columns: Sequence[Column],
        rows: Sequence[Mapping[str, Any]],
        document: Any,
        view: View,
        total: Mapping[str, str] | None = None,
    ) -> None:
        """A listing: its rows, and the whole report as a document."""

    def report(self, document: Any, show: Callable[[], None]) -> None:
        """Any other report: its document, or ``show`` writing it for people."""


def named(name: str) -> Format:
    target = FORMATS.get(name)
    if target is None:
        raise UsageError(f"unknown format {name!r}: choose one of {', '.join(FORMATS)}")
    module, _, attribute = target.partition(":")
    made: Format = getattr(import_module(module), attribute)()
    return made
