"""The Typer layer: declare the commands, turn options into a request, call the core, render.

Only typer and the standard library are imported at start-up; the core (pydantic, groq,
tiktoken, genai-prices, yaml, rich) is imported inside the commands that need it.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperCommand

from adp_cli import __version__
from adp_cli.errors import ExitStatus
from adp_cli.options import (
    TASK_OPTIONS,
    TASK_SPECIFIC,
    BaseUrlOpt,
    BpmOpt,
    ConcurrencyOpt,
    DryRunOpt,
    EnergyOpt,
    GenreOpt,
    InputArg,
    InstrumentOpt,
    JsonOpt,
    MaxTokensOpt,
    ModelOpt,
    MoodOpt,
    OutputOpt,
    PhraseOpt,
    PoeticLevelOpt,
    PromptsDirOpt,
    ProviderName,
    ProviderOpt,
    QuietOpt,
    RetriesOpt,
    SeedOpt,
    StandardizedOpt,
    SubgenreOpt,
    TemperatureOpt,
    TextureOpt,
    TimeoutOpt,
    VerboseOpt,
    VocalsOpt,
)
from adp_cli.text import one_line, redact, terminal_safe

app = typer.Typer(
    name="adp",
    help="Audio Description Protocol: music descriptions, BPM estimates, Groq models and costs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

log = logging.getLogger("adp")


class _SafeFormatter(logging.Formatter):
    """Log lines, tracebacks included, pass the same redaction and escaping as error lines: an
    exception text may hold the key, and a logged reply may hold escape sequences."""

    def format(self, record: logging.LogRecord) -> str:
        return terminal_safe(redact(super().format(record)))


def _configure(verbose: bool) -> None:
    """Logging to stderr only, for the 'adp' logger only (the SDK's own logs stay quiet)."""
    level = logging.DEBUG if verbose else getattr(logging, os.environ.get("LOG_LEVEL", "WARNING").upper(), logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_SafeFormatter("adp: %(levelname)s: %(message)s"))
    log.handlers = [handler]
    log.propagate = False
    log.setLevel(level)
    env_file = Path.cwd() / ".env"
    if env_file.is_file():
        from dotenv import load_dotenv

        load_dotenv(env_file, override=False, encoding="utf-8")


@contextmanager
def _reported(verbose: bool) -> Iterator[None]:
    """Every command runs in here: logging and .env set up, and the one place where errors
    become one line on stderr and an exit status."""
    _configure(verbose)
    from adp_cli import render
    from adp_cli.errors import AdpError

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
    poetic_level: PoeticLevelOpt = 50,
    model: ModelOpt = None,
    seed: SeedOpt = None,
    temperature: TemperatureOpt = None,
    max_tokens: MaxTokensOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
    provider: ProviderOpt = ProviderName.groq,
    base_url: BaseUrlOpt = None,
    timeout: TimeoutOpt = 60.0,
    max_retries: RetriesOpt = 2,
    concurrency: ConcurrencyOpt = 4,
    output: OutputOpt = None,
    prompts_dir: PromptsDirOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    with _reported(verbose):
        from adp_cli import render
        from adp_cli.commands import generate
        from adp_cli.items import Flags
        from adp_cli.providers import Connection
        from adp_cli.tasks import TASKS, Settings

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
            ),
            provider=provider.value,
            connection=Connection(base_url, timeout, max_retries),
            dry_run=dry_run,
            concurrency=concurrency,
            output=output,
        )
        status = render.generation(generate.run(request), render.View(as_json, quiet))
    raise typer.Exit(status)


app.command("casual", cls=_TaskCommand, help="A casual description of the music (poetic level 1-100).")(generate)
app.command("structure", cls=_TaskCommand, help="A concise professional description from the structured tags.")(generate)
app.command("bpm", cls=_TaskCommand, help="Estimate the tempo (BPM) from a description and its genre, mood and energy.")(generate)


@app.command("models", help="The Groq models adp knows, with prices; --live asks the API which are served now.")
def models_command(
    category: Annotated[Optional[str], typer.Option("--category", help="text, guard, compound, audio or tts.")] = None,
    live: Annotated[bool, typer.Option("--live", help="Ask the API's model list (needs GROQ_API_KEY).")] = False,
    as_json: JsonOpt = False,
    base_url: BaseUrlOpt = None,
    timeout: TimeoutOpt = 60.0,
    max_retries: RetriesOpt = 2,
    verbose: VerboseOpt = False,
) -> None:
    with _reported(verbose):
        from adp_cli import render
        from adp_cli.commands import models
        from adp_cli.providers import Connection

        rows = models.model_rows(category, Connection(base_url, timeout, max_retries) if live else None)
        render.models(rows, live=live, view=render.View(as_json))


@app.command("cost", help="Count tokens and price them: TEXT, - for stdin, --file or --tokens; --ledger shows spending.")
def cost_command(
    text: Annotated[Optional[str], typer.Argument(help="Text to count, or - for stdin.", show_default=False)] = None,
    file: Annotated[Optional[Path], typer.Option("--file", dir_okay=False, help="Count the tokens of this file.")] = None,
    tokens: Annotated[Optional[int], typer.Option("--tokens", min=0, max=10**15, help="Price this many input tokens.")] = None,
    output_tokens: Annotated[int, typer.Option("--output-tokens", min=0, max=10**15, help="Output tokens to add.")] = 0,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="One model (default: every text model).")] = None,
    ledger: Annotated[bool, typer.Option("--ledger", help="Show spending per day and model from the ledger.")] = False,
    days: Annotated[Optional[int], typer.Option("--days", min=1, max=36500, help="With --ledger: the last N days.")] = None,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    with _reported(verbose):
        from adp_cli import render
        from adp_cli.commands import cost

        view = render.View(as_json)
        if ledger:
            render.spending(cost.spending(days), view)
        else:
            render.cost(cost.cost(text, file, tokens, output_tokens, model), view)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"adp {__version__}")
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
