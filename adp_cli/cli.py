"""The Typer layer: declare the commands, turn options into a request, call the core, render.

Only typer and the standard library are imported at start-up; the core (pydantic, groq,
tiktoken, genai-prices, yaml, rich) is imported inside the commands that need it.
"""


import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from adp_cli import __version__
from adp_cli.errors import ExitStatus
from adp_cli.options import (
    TASK_OPTIONS,
    TASK_SPECIFIC,
    BaseUrlOpt,
    BatchApiOpt,
    BatchSizeOpt,
    BpmOpt,
    CategoryOpt,
    ChartOpt,
    ConcurrencyOpt,
    CostFileOpt,
    CostModelOpt,
    CostTextArg,
    DaysOpt,
    DryRunOpt,
    EnergyOpt,
    GenreOpt,
    InputArg,
    InstrumentOpt,
    JsonOpt,
    LedgerOpt,
    LimitOpt,
    LiveOpt,
    MaxTokensOpt,
    MaxWaitOpt,
    ModelOpt,
    MoodOpt,
    OutputOpt,
    OutputTokensOpt,
    PhraseOpt,
    PoeticLevelOpt,
    PriceOpt,
    PromptsDirOpt,
    ProviderOpt,
    QuietOpt,
    ReasoningOpt,
    RetriesOpt,
    RpmOpt,
    SeedOpt,
    ServiceTier,
    ServiceTierOpt,
    StandardizedOpt,
    SubgenreOpt,
    TargetArg,
    TemperatureOpt,
    TextureOpt,
    TimeoutOpt,
    TokensOpt,
    TpmOpt,
    VerboseOpt,
    VocalsOpt,
    WaitOpt,
    WideOpt,
    WindowOpt,
)
from adp_cli.scales import POETIC_LEVEL_DEFAULT
from adp_cli.text import one_line, redact, terminal_safe

app = typer.Typer(
    name="adp",
    help="Audio Description Protocol: music descriptions, BPM estimates, Groq models and costs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

def _load_env_file() -> None:
    """A ``.env`` in the working directory, without overriding the environment."""
    env_file = Path.cwd() / ".env"
    if env_file.is_file():
        from dotenv import load_dotenv

        load_dotenv(env_file, override=False, encoding="utf-8")


@contextmanager
def _reported(verbose: bool) -> Iterator[None]:
    """Every command runs in here: logging and .env set up, and the one place where errors
    become one line on stderr and an exit status."""
    from adp_cli import render
    from adp_cli.errors import AdpError

    log = render.configure_logging(verbose)
    _load_env_file()

    try:
        yield
    except AdpError as error:
        if verbose:
            log.exception("traceback")
        render.error(str(error))
        raise typer.Exit(error.exit_status) from None
    except KeyboardInterrupt:
        render.error("interrupted")
        raise typer.Exit(ExitStatus.INTERRUPTED) from None
    except BrokenPipeError:  # `adp ... | head`: the reader has all it wanted; stop quietly
        render.discard_stdout()
        raise typer.Exit(ExitStatus.FAILURE) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as error:
        if verbose:
            log.exception("traceback")
        render.error(f"internal error: {type(error).__name__}: {error} (run with --verbose for the traceback)")
        raise typer.Exit(ExitStatus.FAILURE) from None


def _long_running() -> None:
    """What comes next may run for hours (a batch, a Batch API job): the garbage collector, off
    for the start-up (see ``__main__``), is back on, with the start-up's objects frozen out of
    its scans. A no-op where it was never off (a library caller, the tests)."""
    import gc

    if not gc.isenabled():
        gc.freeze()
        gc.enable()


class _TaskCommand(TyperCommand):
    """casual, structure and bpm share one declaration (``generate``); each command offers only
    the task-specific options its own task reads."""

    def __init__(self, *, name: str, params: list[Any], **settings: Any) -> None:
        offered = TASK_OPTIONS[name]
        kept = [param for param in params if param.name not in TASK_SPECIFIC or param.name in offered]
        super().__init__(name=name, params=kept, **settings)


def generate(
    ctx: typer.Context,
    input: InputArg = None,
    phrase: PhraseOpt = None,
    standardized: StandardizedOpt = None,
    genre: GenreOpt = None,
    subgenre: SubgenreOpt = [],
    mood: MoodOpt = [],
    energy: EnergyOpt = [],
    texture: TextureOpt = [],
    instrument: InstrumentOpt = [],
    vocals: VocalsOpt = None,
    bpm: BpmOpt = None,
    poetic_level: PoeticLevelOpt = POETIC_LEVEL_DEFAULT,
    model: ModelOpt = None,
    seed: SeedOpt = None,
    temperature: TemperatureOpt = None,
    max_tokens: MaxTokensOpt = None,
    reasoning: ReasoningOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
    provider: ProviderOpt = None,
    base_url: BaseUrlOpt = None,
    timeout: TimeoutOpt = 60.0,
    max_retries: RetriesOpt = 2,
    max_wait: MaxWaitOpt = 600.0,
    rpm: RpmOpt = None,
    tpm: TpmOpt = None,
    service_tier: ServiceTierOpt = None,
    price: PriceOpt = None,
    concurrency: ConcurrencyOpt = 4,
    output: OutputOpt = None,
    batch_api: BatchApiOpt = False,
    wait: WaitOpt = False,
    window: WindowOpt = "24h",
    batch_size: BatchSizeOpt = None,
    prompts_dir: PromptsDirOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    with _reported(verbose):
        from adp_cli import render
        from adp_cli.commands import generate
        from adp_cli.items import Flags
        from adp_cli.settings import Settings
        from adp_cli.tasks import TASKS

        request = generate.Request(
            task=TASKS[ctx.info_name or ""],
            input=input,
            flags=Flags(
                genre=genre,
                subgenre=subgenre,
                mood=mood,
                energy=energy,
                texture=texture,
                instrument=instrument,
                vocals=vocals,
                bpm=bpm,
                phrase=phrase,
                standardized=standardized,
            ),
            settings=Settings(
                model=None if model in (None, "random") else model,
                seed=seed,
                temperature=temperature,
                max_tokens=max_tokens,
                poetic_level=poetic_level,
                prompts_dir=prompts_dir,
                reasoning=None if reasoning is None else reasoning.value,
            ),
            provider=provider.value if provider else None,
            connection=_connection(base_url, timeout, max_retries, max_wait, rpm, tpm, service_tier, price),
            dry_run=dry_run,
            concurrency=concurrency,
            output=output,
            batch_api=batch_api,
            wait=wait,
            window=window,
            batch_size=batch_size,
        )
        outcome = generate.run(request)  # a one-shot's work is done here; a batch's is still to come
        _long_running()
        status = render.generation(outcome, render.View(as_json, quiet))
    raise typer.Exit(status)


app.command("casual", cls=_TaskCommand, help="A casual description of the music (poetic level 1-100).")(generate)
app.command("structure", cls=_TaskCommand, help="A concise professional description from the structured tags.")(generate)
app.command("bpm", cls=_TaskCommand, help="Estimate the tempo (BPM) from a description and its genre, mood and energy.")(generate)


def _connection(
    base_url: str | None,
    timeout: float,
    max_retries: int,
    max_wait: float = 600.0,
    rpm: int | None = None,
    tpm: int | None = None,
    service_tier: ServiceTier | None = None,
    price: str | None = None,
) -> Any:
    """The core's ``Connection`` from the connection options (imported here: start-up speed)."""
    from adp_cli.accounting.catalog import parse_price
    from adp_cli.providers import Connection

    return Connection(
        base_url=base_url,
        timeout=timeout,
        max_retries=max_retries,
        max_wait=max_wait,
        rpm=rpm,
        tpm=tpm,
        service_tier=service_tier.value if service_tier else None,
        price=parse_price(price) if price is not None else None,
    )


@app.command("models", help="The Groq models adp knows, with prices; --live asks the server which are served now.")
def models_command(
    category: CategoryOpt = None,
    live: LiveOpt = False,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
    provider: ProviderOpt = None,
    base_url: BaseUrlOpt = None,
    timeout: TimeoutOpt = 60.0,
    max_retries: RetriesOpt = 2,
    verbose: VerboseOpt = False,
) -> None:
    with _reported(verbose):
        from adp_cli import render
        from adp_cli.commands import models

        connection = _connection(base_url, timeout, max_retries) if live else None
        rows = models.model_rows(category, connection, provider.value if provider else None)
        render.models(rows, live=live, view=render.View(as_json, wide=wide or verbose))


@app.command("cost", help="Count tokens and price them: TEXT, - for stdin, --file or --tokens; --ledger shows spending.")
def cost_command(
    text: CostTextArg = None,
    file: CostFileOpt = None,
    tokens: TokensOpt = None,
    output_tokens: OutputTokensOpt = 0,
    model: CostModelOpt = None,
    ledger: LedgerOpt = False,
    days: DaysOpt = None,
    chart: ChartOpt = False,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    with _reported(verbose):
        from adp_cli import render
        from adp_cli.commands import cost
        from adp_cli.errors import UsageError

        view = render.View(as_json, wide=wide or verbose)
        if chart:
            if not ledger or as_json:
                raise UsageError("--chart draws the ledger for people: give it with --ledger, without --json")
            render.spending_chart(cost.daily_spending(days))
        elif ledger:
            render.spending(cost.spending(days), view)
        else:
            render.cost(cost.cost(text, file, tokens, output_tokens, model), view)


batch_app = typer.Typer(
    name="batch",
    help="Groq Batch API jobs (adp casual|structure|bpm --batch-api -o FILE): status, wait, results, cancel, list.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(batch_app)


@batch_app.command("status", help="Where a job's batches stand (TARGET: its -o file, its state file, or a batch id).")
def batch_status_command(
    target: TargetArg,
    as_json: JsonOpt = False,
    base_url: BaseUrlOpt = None,
    timeout: TimeoutOpt = 60.0,
    max_retries: RetriesOpt = 2,
    verbose: VerboseOpt = False,
) -> None:
    with _reported(verbose):
        from adp_cli import render
        from adp_cli.commands import batch

        render.batch_status(batch.status(target, _connection(base_url, timeout, max_retries)), render.View(as_json))


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
    with _reported(verbose):
        from adp_cli import render
        from adp_cli.commands import batch

        _long_running()
        run = batch.collect(target, _connection(base_url, timeout, max_retries), wait=ctx.info_name == "wait")
        status = render.batch_api(run, render.View(quiet=quiet))
    raise typer.Exit(status)


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
    base_url: BaseUrlOpt = None,
    timeout: TimeoutOpt = 60.0,
    max_retries: RetriesOpt = 2,
    verbose: VerboseOpt = False,
) -> None:
    with _reported(verbose):
        from adp_cli import render
        from adp_cli.commands import batch

        render.batch_cancelled(batch.cancel(target, _connection(base_url, timeout, max_retries)), render.View(as_json))


@batch_app.command("list", help="The account's batches, newest first.")
def batch_list_command(
    limit: LimitOpt = 20,
    as_json: JsonOpt = False,
    base_url: BaseUrlOpt = None,
    timeout: TimeoutOpt = 60.0,
    max_retries: RetriesOpt = 2,
    verbose: VerboseOpt = False,
) -> None:
    with _reported(verbose):
        from adp_cli import render
        from adp_cli.commands import batch

        render.batch_list(batch.listing(_connection(base_url, timeout, max_retries), limit), render.View(as_json))


def _version(value: bool) -> None:
    """The versions that decide what adp sends and what it charges; read only when asked, so
    ``adp --help`` never pays for the package metadata."""
    if value:
        from importlib.metadata import version

        from adp_cli import render

        prices = f"genai-prices {version('genai-prices')}" + (" + ADP_PRICES_FILE" if os.environ.get("ADP_PRICES_FILE") else "")
        render.out(f"adp {__version__} (groq SDK {version('groq')}, prices: {prices})")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
) -> None:
    """Audio Description Protocol: music descriptions, BPM estimates, Groq models and costs."""


def main() -> None:
    """Console entry point: Typer's own usage errors also end in one line and exit 2."""
    from typer.exceptions import TyperException

    try:
        code = app(args=sys.argv[1:] or ["--help"], prog_name="adp", standalone_mode=False)
    except TyperException as error:
        context = getattr(error, "ctx", None)
        command = context.command_path if context is not None else "adp"
        sys.stderr.write(f"adp: error: {terminal_safe(one_line(redact(error.format_message())))} (see '{command} --help')\n")
        sys.exit(ExitStatus.USAGE)
    except typer.Abort:
        sys.stderr.write("adp: error: interrupted\n")
        sys.exit(ExitStatus.INTERRUPTED)
    sys.exit(code if isinstance(code, int) else ExitStatus.SUCCESS)
