"""The output layer, the only one that writes: each kind of report has its presenter (one module
per kind), and ``present`` hands a report to its own. Presenters write; they decide no exit
status and drive no run: a command's report carries its exit status, and a run's lines reach
stdout through the sink of ``live`` while it runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adp_cli.output.view import View

__all__ = ["View", "present"]


def _presenters() -> dict[str, Callable[[Any, View], None]]:
    """Report class name -> presenter; imported when a report is shown, not at start-up."""
    from adp_cli.output import answers, batches, evaluation, listings, logs

    return {
        "Answered": answers.answered,
        "DryRun": answers.dry_run,
        "Totals": batches.summary,
        "JobEnd": batches.job_end,
        "BatchDryRun": batches.batch_dry_run,
        "JobStatus": batches.batch_status,
        "Cancelled": batches.cancelled,
        "BatchList": batches.batch_list,
        "ModelsReport": listings.models,
        "CostReport": listings.cost,
        "LedgerReport": listings.spending,
        "Chart": listings.spending_chart,
        "LogListing": logs.listing,
        "LogEntry": logs.entry,
        "LogCosts": logs.costs,
        "LogPath": logs.path,
        "Evaluated": evaluation.evaluated,
    }


def present(report: Any, view: View) -> None:
    _presenters()[type(report).__name__](report, view)
