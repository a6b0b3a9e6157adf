"""The Typer layer: declare the commands, turn options into a request, call the core, render.

Only typer and the standard library are imported at start-up; the core (pydantic, groq,
tiktoken, genai-prices, yaml, rich) is imported inside the commands that need it.
"""


import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand

from adp_cli import __version__
from adp_cli.cli.batch_app import batch_app
from adp_cli.cli.boundary import (
    connection_of,
    reported,
    settle_env_file,
    shown,
    stopped,
    view_of,
)
from adp_cli.cli.logs_app import logs_app
from adp_cli.cli.options import (
    BaseUrlOpt,
    BatchApiOpt,
    BatchSizeOpt,
    BpmOpt,
    CacheOpt,
    CategoryOpt,
    ChartOpt,
    CheckOpt,
    ConcurrencyOpt,
    CostFileOpt,
    CostModelOpt,
    CostTextArg,
    DaysOpt,
    DryRunOpt,
    EnergyOpt,
    EvalInputOpt,
    FormatOpt,
    GenreOpt,
    InputArg,
    InputFormatOpt,
    InstrumentOpt,
    JsonOpt,
    KeepOpt,
    LedgerOpt,
    LiveOpt,
    MaxTokensOpt,
    MaxWaitOpt,
    MinRecallOpt,
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
    RegenerateOpt,
    ResultsArg,
    RetriesOpt,
    RpmOpt,
    SeedOpt,
    ServiceTierOpt,
    StandardizedOpt,
    SubgenreOpt,
    TemperatureOpt,
    TextureOpt,
    TimeoutOpt,
    TokensOpt,
    TpmOpt,
    VariantsOpt,
    VerboseOpt,
    VocalsOpt,
    WaitOpt,
    WideOpt,
    WindowOpt,
)
from adp_cli.errors import ExitStatus
from adp_cli.scales import POETIC_LEVEL_DEFAULT
from adp_cli.tasks.registry import TASK_SPECS, TaskSpec, task_specific_options
from adp_cli.text import one_line, redact, terminal_safe

if TYPE_CHECKING:
    pass

app = typer.Typer(
    name="adp",
    help="Audio Description Protocol: music descriptions, BPM estimates, Groq models and costs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(batch_app)
app.add_typer(logs_app)

class _TaskCommand(TyperCommand):
    """Every generation command shares one declaration (``generation``); each offers only the
    task-specific options its own task reads (its ``TaskSpec``)."""

    def __init__(self, *, name: str, params: list[Any], **settings: Any) -> None:
        offered = TASK_SPECS[name].options
        specific = task_specific_options()
        kept = [param for param in params if param.name not in specific or param.name in offered]
        super().__init__(name=name, params=kept, **settings)


def generation(
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
    keep: KeepOpt = [],
    input_format: InputFormatOpt = None,
    poetic_level: PoeticLevelOpt = POETIC_LEVEL_DEFAULT,
    check: CheckOpt = False,
    min_recall: MinRecallOpt = 0.5,
    regenerate: RegenerateOpt = 0,
    variants: VariantsOpt = 1,
    model: ModelOpt = None,
    seed: SeedOpt = None,
    temperature: TemperatureOpt = None,
    max_tokens: MaxTokensOpt = None,
    reasoning: ReasoningOpt = None,
    as_json: JsonOpt = False,
    fmt: FormatOpt = "text",
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
    cache: CacheOpt = False,
    batch_api: BatchApiOpt = False,
    wait: WaitOpt = False,
    window: WindowOpt = "24h",
    batch_size: BatchSizeOpt = None,
    prompts_dir: PromptsDirOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    with reported(verbose):
        from adp_cli.commands import generate
        from adp_cli.output.live import live
        from adp_cli.runs.captioning import Captioning
        from adp_cli.tasks.items import Flags
        from adp_cli.tasks.registry import load
        from adp_cli.tasks.settings import Settings

        request = generate.Request(
            task=load(ctx.info_name or ""),
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
                keep=tuple(keep),
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
            provider=provider,
            connection=connection_of(base_url, timeout, max_retries, max_wait, rpm, tpm, service_tier, price),
            dry_run=dry_run,
            concurrency=concurrency,
            output=output,
            batch_api=batch_api,
            wait=wait,
            window=window,
            batch_size=batch_size,
            cache=cache,
            input_format=input_format,
            captioning=Captioning(check, min_recall, regenerate, variants),
        )
        view = view_of(as_json, fmt, quiet)
        with live(view, job=batch_api) as sink:
            report = generate.run(request, sink)
        shown(report, view)


def task_command(spec: TaskSpec) -> None:
    """``adp NAME`` for a registered task."""
    app.command(spec.name, cls=_TaskCommand, help=spec.help)(generation)


for _spec in TASK_SPECS.values():
    task_command(_spec)


@app.command("models", help="The Groq models adp knows, with prices; --live asks the server which are served now.")
def models_command(
    category: CategoryOpt = None,
    live: LiveOpt = False,
    as_json: JsonOpt = False,
    fmt: FormatOpt = "text",
    wide: WideOpt = False,
    provider: ProviderOpt = None,
    base_url: BaseUrlOpt = None,
    timeout: TimeoutOpt = 60.0,
    max_retries: RetriesOpt = 2,
    verbose: VerboseOpt = False,
) -> None:
    with reported(verbose):
        from adp_cli.commands import models

        connection = connection_of(base_url, timeout, max_retries) if live else None
        shown(models.models(category, connection, provider), view_of(as_json, fmt, wide=wide or verbose))


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
    fmt: FormatOpt = "text",
    wide: WideOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    with reported(verbose):
        from adp_cli.commands import cost
        from adp_cli.errors import UsageError

        view = view_of(as_json, fmt, wide=wide or verbose)
        if chart:
            if not ledger or as_json:
                raise UsageError("--chart draws the ledger for people: give it with --ledger, without --json")
            report: Any = cost.chart(days)
        elif ledger:
            report = cost.spending(days)
        else:
            report = cost.cost(text, file, tokens, output_tokens, model)
        shown(report, view)


@app.command("eval", help="Measure a run's captions against its input: recall, invented words, tempo, vocabulary, length, variety.")
def eval_command(
    results: ResultsArg,
    input: EvalInputOpt,
    min_recall: MinRecallOpt = 0.5,
    input_format: InputFormatOpt = None,
    keep: KeepOpt = [],
    as_json: JsonOpt = False,
    fmt: FormatOpt = "text",
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    with reported(verbose):
        from adp_cli.commands import evaluate

        report = evaluate.run(results, input, min_recall=min_recall, fmt=input_format, keep=tuple(keep))
        shown(report, view_of(as_json, fmt, quiet))


def _version(value: bool) -> None:
    """The versions that decide what adp sends and what it charges; read only when asked, so
    ``adp --help`` never pays for the package metadata."""
    if value:
        from importlib.metadata import version

        from adp_cli.output.console import out

        prices = f"genai-prices {version('genai-prices')}" + (" + ADP_PRICES_FILE" if os.environ.get("ADP_PRICES_FILE") else "")
        out(f"adp {__version__} (groq SDK {version('groq')}, prices: {prices})")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
) -> None:
    """Audio Description Protocol: music descriptions, BPM estimates, Groq models and costs."""
    settle_env_file()  # before any subcommand's options read ADP_PROVIDER, ADP_BASE_URL, ADP_MODEL


def main() -> None:
    """Console entry point: Typer's own usage errors also end in one line and exit 2; SIGTERM
    and SIGHUP stop a run as Ctrl-C does (``process.stop_on_termination``)."""
    from typer.exceptions import TyperException

    from adp_cli.process import stop_on_termination, terminated

    try:
        stop_on_termination()
        code = app(args=sys.argv[1:] or ["--help"], prog_name="adp", standalone_mode=False)
    except TyperException as error:
        context = getattr(error, "ctx", None)
        command = context.command_path if context is not None else "adp"
        sys.stderr.write(f"adp: error: {terminal_safe(one_line(redact(error.format_message())))} (see '{command} --help')\n")
        sys.exit(ExitStatus.USAGE)
    except (typer.Abort, KeyboardInterrupt) as abort:  # an EOF in a prompt, or a stop before Typer parses
        sys.exit(stopped(abort if isinstance(abort, KeyboardInterrupt) else KeyboardInterrupt()))
    stop = terminated()
    if code == ExitStatus.INTERRUPTED and stop is not None:  # met while Typer parsed: it said nothing
        sys.exit(stopped(stop))
    sys.exit(code if isinstance(code, int) else ExitStatus.SUCCESS)
