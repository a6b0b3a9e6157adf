"""The generation log's reports: a listing of entries, one entry whole, the cost per model, and
the log's path."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from adp_cli.output.console import out
from adp_cli.output.tables import Column, usd

if TYPE_CHECKING:
    from adp_cli.commands.logs import LogCosts, LogEntry, LogListing, LogPath
    from adp_cli.history import Logged
    from adp_cli.output.view import View

_RESULT_WIDTH = 60


def _document(entry: Logged) -> dict[str, Any]:
    document = asdict(entry)
    document["time"] = entry.time.isoformat()
    return document


def _row(entry: Logged) -> dict[str, Any]:
    return {
        "id": entry.id,
        "time": entry.time.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
        "task": entry.task,
        "provider": entry.provider,
        "model": entry.model,
        "tokens": entry.prompt_tokens + entry.completion_tokens,
        "cost_usd": entry.cost_usd,
        "latency_ms": None if entry.latency_ms is None else round(entry.latency_ms),
        "cached": entry.cached,
        "result": entry.result,
        "error": entry.error_type,
        "item_index": entry.item_index,
        "item_id": entry.item_id,
    }


def _shortened(row: Mapping[str, Any]) -> str:
    from rich.markup import escape

    text = str(row["result"]) if row["result"] is not None else f"[red]{escape(str(row['error']))}[/]"
    return text if row["result"] is None or len(text) <= _RESULT_WIDTH else escape(text[: _RESULT_WIDTH - 1]) + "…"


_COLUMNS = (
    Column("id", "id", numeric=True),
    Column("time", "time"),
    Column("task", "task"),
    Column("provider", "provider", wide=True),
    Column("model", "model"),
    Column("tokens", "tokens", numeric=True, wide=True),
    Column("cost_usd", "cost", lambda row: "cached" if row["cached"] else usd(row["cost_usd"]), numeric=True),
    Column("latency_ms", "latency", numeric=True, wide=True),
    Column("cached", "cached", table=False),
    Column("result", "result", _shortened),
    Column("error", "error", table=False),
    Column("item_index", "item", numeric=True, wide=True),
    Column("item_id", "id in input", wide=True),
)


def listing(report: LogListing, view: View) -> None:
    """The newest entries first, a table on a terminal, tab-separated when piped."""
    rows = [_row(entry) for entry in report.entries]
    view.format.listing("Generation log, newest first", _COLUMNS, rows, [_document(entry) for entry in report.entries], view)


def entry(report: LogEntry, view: View) -> None:
    """One entry whole: what was asked of which model, what came back, what it cost."""
    shown = report.entry

    def text() -> None:
        lines = [
            f"entry {shown.id}, {shown.time.astimezone():%Y-%m-%d %H:%M:%S %Z}: {shown.task} on {shown.model} ({shown.provider}"
            + (f", {shown.server}" if shown.server else "")
            + ")",
            f"result: {shown.result}" if shown.error_type is None else f"error: {shown.error_type}: {shown.error_message}",
            f"cost: {'cached (nothing sent)' if shown.cached else usd(shown.cost_usd)}; tokens: {shown.prompt_tokens} prompt "
            f"({shown.cached_tokens} cached), {shown.completion_tokens} completion ({shown.reasoning_tokens} reasoning); "
            f"latency {shown.latency_ms} ms",
            f"item: {json.dumps(shown.item, ensure_ascii=False)}",
            f"parameters: {json.dumps(shown.params, ensure_ascii=False)}",
            *(f"--- {message.get('role')} ---\n{message.get('content')}" for message in shown.messages),
            f"--- reply ---\n{shown.reply}",
        ]
        out("\n".join(lines))

    view.format.report(_document(shown), text)


def costs(report: LogCosts, view: View) -> None:
    """What each model cost over the period, dearest first."""
    rows = [asdict(row) for row in report.rows]
    columns = (
        Column("model", "model"),
        Column("provider", "provider", wide=True),
        Column("server", "server", wide=True),
        Column("entries", "requests", numeric=True),
        Column("cached", "cached", numeric=True),
        Column("failed", "failed", numeric=True),
        Column("unpriced", "unpriced", numeric=True, wide=True),
        Column("prompt_tokens", "prompt", numeric=True, wide=True),
        Column("completion_tokens", "completion", numeric=True, wide=True),
        Column("cost_usd", "cost", lambda row: usd(row["cost_usd"]), numeric=True),
    )
    title = "Cost per model" + (f" since {report.since}" if report.since else "")
    view.format.listing(title, columns, rows, {"since": report.since, "models": rows}, view)


def path(report: LogPath, view: View) -> None:
    view.format.report({"path": str(report.path)}, lambda: out(str(report.path)))
