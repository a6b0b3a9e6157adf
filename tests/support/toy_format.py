"""An output format that is not one of adp's, defined here alone, as the README's recipe says a
new output format is: a class implementing ``output.formats.Format`` (and one ``FORMATS`` entry,
which the test adds). ``csv`` writes listings as comma-separated rows for spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from adp_cli.output.console import out, out_json
from adp_cli.output.tables import plain
from adp_cli.runs.lines import encode

if TYPE_CHECKING:
    from adp_cli.output.tables import Column
    from adp_cli.output.view import View
    from adp_cli.runs.lines import Line
    from adp_cli.tasks.results import Answer


class CsvFormat:
    name = "csv"

    def answer(self, result: Answer) -> None:
        out(str(result.answer))

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
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(column.field for column in columns)
        writer.writerows([plain(row.get(column.field)) for column in columns] for row in rows)
        out(text.getvalue().rstrip("\n"))

    def report(self, document: Any, show: Callable[[], None]) -> None:
        out_json(document)
