"""``adp logs [show ID | costs | path]``: the generation log, each command a call on
``commands.logs``."""

import typer

from adp_cli.cli.boundary import reported, shown, view_of
from adp_cli.cli.options import (
    EntryArg,
    FormatOpt,
    JsonOpt,
    LogCountOpt,
    LogModelOpt,
    LogTaskOpt,
    SearchOpt,
    SinceOpt,
    VerboseOpt,
    WideOpt,
)

logs_app = typer.Typer(
    name="logs",
    help="What adp generated: every request, newest first (-n, --task, --model, --since, -s TEXT); show ID, costs, path.",
    invoke_without_command=True,
    rich_markup_mode=None,
)


@logs_app.callback()
def logs_command(
    ctx: typer.Context,
    limit: LogCountOpt = 20,
    task: LogTaskOpt = None,
    model: LogModelOpt = None,
    since: SinceOpt = None,
    search: SearchOpt = None,
    as_json: JsonOpt = False,
    fmt: FormatOpt = "text",
    wide: WideOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    with reported(verbose):
        from adp_cli.commands import logs

        shown(logs.listing(limit, task, model, since, search), view_of(as_json, fmt, wide=wide or verbose))


@logs_app.command("show", help="One entry whole: item, messages, parameters, raw reply, result, usage.")
def logs_show_command(entry_id: EntryArg, as_json: JsonOpt = False, fmt: FormatOpt = "text", verbose: VerboseOpt = False) -> None:
    with reported(verbose):
        from adp_cli.commands import logs

        shown(logs.show(entry_id), view_of(as_json, fmt))


@logs_app.command("costs", help="Requests, tokens and cost per model (--since DATE, --task).")
def logs_costs_command(
    since: SinceOpt = None,
    task: LogTaskOpt = None,
    as_json: JsonOpt = False,
    fmt: FormatOpt = "text",
    wide: WideOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    with reported(verbose):
        from adp_cli.commands import logs

        shown(logs.costs(since, task), view_of(as_json, fmt, wide=wide or verbose))


@logs_app.command("path", help="Where the generation log is (ADP_LOGS_DB).")
def logs_path_command(as_json: JsonOpt = False, fmt: FormatOpt = "text", verbose: VerboseOpt = False) -> None:
    with reported(verbose):
        from adp_cli.commands import logs

        shown(logs.path(), view_of(as_json, fmt))
