"""A one-shot's report and a dry run's: the answer (or the exact messages) on stdout, the usage
or the estimate on stderr."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adp_cli.output.console import err_console, out
from adp_cli.output.tables import table, usd

if TYPE_CHECKING:
    from adp_cli.output.view import View
    from adp_cli.runs.dry_run import DryRun
    from adp_cli.runs.oneshot import Answered


def answered(report: Answered, view: View) -> None:
    """The phrase or BPM alone (or one JSON object) on stdout; the usage table on stderr."""
    result = report.result
    view.format.answer(result)
    if view.quiet:
        return
    from rich.markup import escape

    cells = {
        "prompt": str(result.prompt_tokens),
        "cached": str(result.cached_tokens) if result.cached_tokens else None,
        "completion": str(result.completion_tokens),
        "reasoning": str(result.reasoning_tokens) if result.reasoning_tokens else None,
        "total": str(result.tokens_used),
        "cost": usd(result.cost_usd),
        "latency": f"{result.latency_ms} ms",
    }
    shown = {heading: cell for heading, cell in cells.items() if cell is not None}  # cached and reasoning when there are any
    err_console().print(table(None, ["model", *shown], [[escape(result.model), *shown.values()]], numeric=tuple(shown)))


def _dry_run_document(shown: DryRun) -> dict[str, Any]:
    prepared = shown.prepared
    return {
        "messages": prepared.messages,
        "prompt_tokens": prepared.prompt_tokens,
        "limit": prepared.task.limit,
        "within_limit": not prepared.over_limit,
        "temperature": prepared.temperature,
        "max_tokens": prepared.max_tokens,
        "candidates": [
            {"model": e.model, "max_tokens": e.max_tokens, "prompt_cost_usd": e.prompt_cost_usd, "max_cost_usd": e.max_cost_usd}
            for e in shown.estimates
        ],
    }


def dry_run(shown: DryRun, view: View) -> None:
    """The exact messages on stdout; token count against the limit and costs per model on stderr."""
    prepared = shown.prepared

    def messages() -> None:
        for message in prepared.messages:
            out(f"--- {message['role']} ---\n{message['content']}")

    view.format.report(_dry_run_document(shown), messages)
    if view.quiet:
        return
    from rich.markup import escape

    limit = prepared.task.limit
    verdict = "[red]over the limit[/]" if prepared.over_limit else "[green]within the limit[/]"
    limit_text = f"{prepared.prompt_tokens} / {limit} o200k tokens, {verdict}" if limit else f"{prepared.prompt_tokens} o200k tokens (no limit)"
    console = err_console()
    console.print(f"[bold]{prepared.task.name}[/]: {limit_text}; temperature {prepared.temperature}, max_tokens {prepared.max_tokens}")
    if not shown.estimates:
        console.print("no cost estimate: the model is picked from the server's own list when the run starts")
        return
    columns = ("max_tokens", "prompt only", "+ a full reply")
    rows = [[escape(e.model), str(e.max_tokens), usd(e.prompt_cost_usd), usd(e.max_cost_usd)] for e in shown.estimates]
    console.print(table("Estimated cost per candidate model", ["model", *columns], rows, numeric=columns))
