"""``adp batch status|wait|results|cancel|list``: Groq Batch API jobs, each command a call on
``commands.jobs``."""

import typer

from adp_cli.cli.boundary import connection_of, reported, shown, view_of
from adp_cli.cli.options import (
    BaseUrlOpt,
    FormatOpt,
    JsonOpt,
    LimitOpt,
    QuietOpt,
    RetriesOpt,
    TargetArg,
    TimeoutOpt,
    VerboseOpt,
)

batch_app = typer.Typer(
    name="batch",
    help="Groq Batch API jobs (adp casual|structure|bpm --batch-api -o FILE): status, wait, results, cancel, list.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@batch_app.command("status", help="Where a job's batches stand (TARGET: its -o file, its state file, or a batch id).")
def batch_status_command(
    target: TargetArg,
    as_json: JsonOpt = False,
    fmt: FormatOpt = "text",
    base_url: BaseUrlOpt = None,
    timeout: TimeoutOpt = 60.0,
    max_retries: RetriesOpt = 2,
    verbose: VerboseOpt = False,
) -> None:
    with reported(verbose):
        from adp_cli.commands import jobs

        shown(jobs.status(target, connection_of(base_url, timeout, max_retries)), view_of(as_json, fmt))


def batch_collect_command(
    ctx: typer.Context,
    target: TargetArg,
    quiet: QuietOpt = False,
    base_url: BaseUrlOpt = None,
    timeout: TimeoutOpt = 60.0,
    max_retries: RetriesOpt = 2,
    verbose: VerboseOpt = False,
) -> None:
    """``wait`` and ``results`` are one command: both collect what has finished, ``wait`` after
    polling until every batch has ended."""
    with reported(verbose):
        from adp_cli.commands import jobs
        from adp_cli.output.live import live

        view = view_of(quiet=quiet)
        with live(view, job=True) as sink:
            report = jobs.collect(target, connection_of(base_url, timeout, max_retries), sink, wait=ctx.info_name == "wait")
        shown(report, view)


batch_app.command("wait", help="Poll until every batch has ended; a job's results are then written to its -o file.")(
    batch_collect_command
)
batch_app.command("results", help="Collect the finished batches of a job into its -o file, or print one finished batch's lines.")(
    batch_collect_command
)


@batch_app.command("cancel", help="Cancel a job's unfinished batches (or one batch); a rerun sends what they did not run.")
def batch_cancel_command(
    target: TargetArg,
    as_json: JsonOpt = False,
    fmt: FormatOpt = "text",
    base_url: BaseUrlOpt = None,
    timeout: TimeoutOpt = 60.0,
    max_retries: RetriesOpt = 2,
    verbose: VerboseOpt = False,
) -> None:
    with reported(verbose):
        from adp_cli.commands import jobs

        shown(jobs.cancel(target, connection_of(base_url, timeout, max_retries)), view_of(as_json, fmt))


@batch_app.command("list", help="The account's batches, newest first.")
def batch_list_command(
    limit: LimitOpt = 20,
    as_json: JsonOpt = False,
    fmt: FormatOpt = "text",
    base_url: BaseUrlOpt = None,
    timeout: TimeoutOpt = 60.0,
    max_retries: RetriesOpt = 2,
    verbose: VerboseOpt = False,
) -> None:
    with reported(verbose):
        from adp_cli.commands import jobs

        shown(jobs.listing(connection_of(base_url, timeout, max_retries), limit), view_of(as_json, fmt))


