"""``adp eval``: a run's captions in figures, a table and a small length histogram on a
terminal, one metric per line when piped, one JSON document with ``--json``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adp_cli.output.console import err_console, out_console
from adp_cli.output.tables import Column

if TYPE_CHECKING:
    from adp_cli.commands.evaluate import Evaluated
    from adp_cli.output.view import View

_LABELS = {
    "results": "result lines",
    "errors": "error lines",
    "unmatched": "lines with no item",
    "malformed": "lines that are no result",
    "items": "items checked",
    "phrases": "captions checked",
    "min_recall": "minimum recall",
    "passed_share": "passed",
    "mean_recall": "mean recall",
    "invented_share": "with invented words",
    "tempo_mismatch_share": "with a wrong tempo",
    "vocabulary": "vocabulary (words)",
    "mean_words": "mean words",
    "median_words": "median words",
    "distinct_1": "distinct-1",
    "distinct_2": "distinct-2",
    "duplicates": "duplicate captions",
}
_SHARES = {"passed_share", "invented_share", "tempo_mismatch_share"}


def evaluated(report: Evaluated, view: View) -> None:
    document = {**report.report.to_json(), "skipped_items": report.skipped_items}
    rows: list[dict[str, Any]] = [{"metric": name, "value": document[name]} for name in _LABELS]
    columns = (
        Column("metric", "", lambda row: _LABELS[row["metric"]]),
        Column("value", "value", lambda row: _value(row["metric"], row["value"]), numeric=True),
    )
    view.format.listing(f"Captions of {report.results}", columns, rows, document, view)
    if out_console().is_terminal and view.format.name == "text":
        _histogram(document["length_histogram"])
    if report.skipped_items and not view.quiet:
        err_console().print(f"{report.skipped_items} input item(s) do not parse: their lines count as lines with no item", highlight=False)


def _value(metric: str, value: Any) -> str:
    return f"{value:.1%}" if metric in _SHARES else f"{value:g}" if isinstance(value, float) else str(value)


def _histogram(bins: dict[str, int]) -> None:
    """Caption lengths as bars, scaled to the fullest bin."""
    from rich.bar import Bar
    from rich.table import Table

    top = max(bins.values(), default=0) or 1
    table = Table(title="Words per caption", title_justify="left", box=None, padding=(0, 1), pad_edge=False, show_header=False)
    table.add_column("words", justify="right", no_wrap=True)
    table.add_column("bar", width=40)
    table.add_column("captions", justify="right", no_wrap=True)
    for label, count in bins.items():
        table.add_row(label, Bar(top, 0, count, color="cyan"), str(count))
    out_console().print(table)
