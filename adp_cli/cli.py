"""The Typer layer: declare commands, turn options into a request, call the core, render.

Only typer and the standard library are imported at start-up; the core (pydantic, groq,
tiktoken, genai-prices, yaml, rich) is imported inside the commands that need it.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from adp_cli import __version__
from adp_cli.errors import one_line

app = typer.Typer(
    name="adp",
    help="Audio Description Protocol: music descriptions, BPM estimates, Groq models and costs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

log = logging.getLogger("adp")


class Provider(str, Enum):
    groq = "groq"
    offline = "offline"


# Options shared by casual, structure and bpm.
InputArg = Annotated[Optional[str], typer.Argument(metavar="INPUT", help="YAML/JSON/JSONL file, or - for stdin.", show_default=False)]
GenreOpt = Annotated[Optional[str], typer.Option("--genre", metavar="TEXT", help="Primary genre.")]
SubgenreOpt = Annotated[list[str], typer.Option("--subgenre", metavar="TEXT", help="Sub-genre (repeatable).")]
MoodOpt = Annotated[list[str], typer.Option("--mood", metavar="TEXT", help="Mood (repeatable, or comma-separated).")]
EnergyOpt = Annotated[list[str], typer.Option("--energy", metavar="TEXT", help="Energy (repeatable, or comma-separated).")]
TextureOpt = Annotated[list[str], typer.Option("--texture", metavar="TEXT", help="Texture (repeatable, or comma-separated).")]
InstrumentOpt = Annotated[list[str], typer.Option("--instrument", metavar="NAME:ROLE[:DESC,DESC]", help="Instrument (repeatable).")]
VocalsOpt = Annotated[Optional[str], typer.Option("--vocals", metavar="PRESENCE[:GENDER[:STYLE]]", help="Vocals.")]
BpmOpt = Annotated[Optional[int], typer.Option("--bpm", min=1, max=999, help="Known tempo in BPM.")]
ModelOpt = Annotated[Optional[str], typer.Option("--model", "-m", metavar="ID", help="Model id, or 'random' (the default pool).")]
SeedOpt = Annotated[Optional[int], typer.Option("--seed", help="Make the random model pick repeatable.")]
TemperatureOpt = Annotated[Optional[float], typer.Option("--temperature", min=0.0, max=2.0, help="Override the sampling temperature.")]
MaxTokensOpt = Annotated[Optional[int], typer.Option("--max-tokens", min=1, max=131072, help="Override max_tokens.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No table on stderr.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show messages, token count and cost estimate; send nothing.")]
ProviderOpt = Annotated[Provider, typer.Option("--provider", envvar="ADP_PROVIDER", case_sensitive=False, help="groq, or offline (no key, no network).")]
BaseUrlOpt = Annotated[Optional[str], typer.Option("--base-url", metavar="URL", help="Groq API base URL (default: GROQ_BASE_URL or the SDK's).")]
TimeoutOpt = Annotated[float, typer.Option("--timeout", min=0.1, max=3600, help="Seconds per request.")]
RetriesOpt = Annotated[int, typer.Option("--max-retries", min=0, max=20, help="SDK retries on 429, 5xx and timeouts.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging and tracebacks on stderr.")]
PromptsDirOpt = Annotated[Optional[Path], typer.Option("--prompts-dir", envvar="ADP_PROMPTS_DIR", file_okay=False, metavar="DIR", help="Folder with the three prompt files.")]
ConcurrencyOpt = Annotated[int, typer.Option("--concurrency", "-j", min=1, max=256, help="Requests in flight for a batch.")]
OutputOpt = Annotated[Optional[Path], typer.Option("--output", "-o", dir_okay=False, metavar="FILE", help="Batch: append JSON lines here and skip items already done.")]


def _configure(verbose: bool) -> None:
    """Logging to stderr only, for the 'adp' logger only (the SDK's own logs stay quiet)."""
    level = logging.DEBUG if verbose else getattr(logging, os.environ.get("LOG_LEVEL", "WARNING").upper(), logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("adp: %(levelname)s: %(message)s"))
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
    become one line on stderr and an exit code."""
    _configure(verbose)
    from adp_cli import render
    from adp_cli.errors import AdpError

    try:
        yield
    except AdpError as error:
        if verbose:
            log.exception("traceback")
        render.error(str(error))
        raise typer.Exit(error.exit_code) from None
    except KeyboardInterrupt:
        render.error("interrupted")
        raise typer.Exit(130) from None
    except BrokenPipeError:  # `adp ... | head`: the reader has all it wanted; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(1) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as error:
        if verbose:
            log.exception("traceback")
        render.error(f"internal error: {type(error).__name__}: {error} (run with --verbose for the traceback)")
        raise typer.Exit(1) from None


_FLAG_NAMES = ("genre", "subgenre", "mood", "energy", "texture", "instrument", "vocals", "bpm", "phrase", "standardized")


def _run(task_name: str, arguments: dict[str, Any]) -> None:
    """Shared body of casual, structure and bpm (``arguments`` are the command's parameters):
    read the input, then run one item, show a dry run, or stream a batch."""
    with _reported(arguments["verbose"]):
        from adp_cli import batch, inputs, render
        from adp_cli.client import ClientSettings
        from adp_cli.errors import UsageError
        from adp_cli.generation import TASKS, Options, estimate_costs, generate, prepare

        task = TASKS[task_name]
        flags = inputs.Flags(**{name: arguments[name] for name in _FLAG_NAMES if name in arguments})
        model = arguments["model"]
        options = Options(
            provider=arguments["provider"].value,
            model=None if model in (None, "random") else model,
            seed=arguments["seed"],
            temperature=arguments["temperature"],
            max_tokens=arguments["max_tokens"],
            poetic_level=arguments.get("poetic_level", 50),
            prompts_dir=arguments["prompts_dir"],
            client=ClientSettings(arguments["base_url"], arguments["timeout"], arguments["max_retries"]),
        )
        as_json, quiet, dry_run = arguments["as_json"], arguments["quiet"], arguments["dry_run"]
        if arguments["input"] is None and not flags.any():
            raise UsageError("no input: give a YAML/JSON/JSONL file, - for stdin, or field flags such as --genre")
        source = inputs.open_source(arguments["input"])
        if source.batch:
            if dry_run:
                raise UsageError("--dry-run takes a single item, not a batch")
            failed = batch.run_batch(
                task, source, flags, options, concurrency=arguments["concurrency"], output=arguments["output"], quiet=quiet
            )
            raise typer.Exit(1 if failed else 0)
        item = batch.parse_item(task, next(source.documents, {}), flags)
        if dry_run:
            prepared = prepare(task, item, options, enforce_limit=False)
            render.dry_run(prepared, estimate_costs(prepared), as_json=as_json, quiet=quiet)
            raise typer.Exit(2 if prepared.over_limit else 0)
        render.result(generate(task, item, options), as_json=as_json, quiet=quiet)


def _wizard_command(task_name: str, *, poetic: bool) -> Callable[..., None]:
    """casual and structure take wizard data; only casual has --poetic-level, so structure's
    signature (which Typer reads) leaves it out."""

    def command(
        input: InputArg = None,
        genre: GenreOpt = None,
        subgenre: SubgenreOpt = [],
        mood: MoodOpt = [],
        energy: EnergyOpt = [],
        texture: TextureOpt = [],
        instrument: InstrumentOpt = [],
        vocals: VocalsOpt = None,
        bpm: BpmOpt = None,
        poetic_level: Annotated[int, typer.Option("--poetic-level", "-p", min=1, max=100, help="1 very poetic .. 100 very factual.")] = 50,
        model: ModelOpt = None,
        seed: SeedOpt = None,
        temperature: TemperatureOpt = None,
        max_tokens: MaxTokensOpt = None,
        as_json: JsonOpt = False,
        quiet: QuietOpt = False,
        dry_run: DryRunOpt = False,
        provider: ProviderOpt = Provider.groq,
        base_url: BaseUrlOpt = None,
        timeout: TimeoutOpt = 60.0,
        max_retries: RetriesOpt = 2,
        concurrency: ConcurrencyOpt = 4,
        output: OutputOpt = None,
        prompts_dir: PromptsDirOpt = None,
        verbose: VerboseOpt = False,
    ) -> None:
        _run(task_name, locals())

    if not poetic:
        import inspect

        signature = inspect.signature(command, eval_str=True)
        command.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[parameter for parameter in signature.parameters.values() if parameter.name != "poetic_level"]
        )
    return command


app.command("casual", help="A casual description of the music (poetic level 1-100).")(_wizard_command("casual", poetic=True))
app.command("structure", help="A concise professional description from the structured tags.")(
    _wizard_command("structure", poetic=False)
)


@app.command("bpm", help="Estimate the tempo (BPM) from a description and its genre, mood and energy.")
def bpm_command(
    input: InputArg = None,
    phrase: Annotated[Optional[str], typer.Option("--phrase", metavar="TEXT", help="The input phrase.")] = None,
    standardized: Annotated[Optional[str], typer.Option("--standardized", metavar="TEXT", help="The standardized phrase (default: the phrase).")] = None,
    genre: GenreOpt = None,
    subgenre: SubgenreOpt = [],
    mood: MoodOpt = [],
    energy: EnergyOpt = [],
    texture: TextureOpt = [],
    model: ModelOpt = None,
    seed: SeedOpt = None,
    temperature: TemperatureOpt = None,
    max_tokens: MaxTokensOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
    provider: ProviderOpt = Provider.groq,
    base_url: BaseUrlOpt = None,
    timeout: TimeoutOpt = 60.0,
    max_retries: RetriesOpt = 2,
    concurrency: ConcurrencyOpt = 4,
    output: OutputOpt = None,
    prompts_dir: PromptsDirOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    _run("bpm", locals())


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
        from adp_cli import models, render
        from adp_cli.client import ClientSettings

        rows = models.model_rows(category, ClientSettings(base_url, timeout, max_retries) if live else None)
        if as_json:
            render.out_json(rows)
        else:
            render.models_table(rows, live=live)


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
        from adp_cli import costs

        if ledger:
            costs.show_ledger(days, as_json=as_json)
        else:
            costs.show_cost(text, file, tokens, output_tokens, model, as_json=as_json)


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
        sys.stderr.write(f"adp: error: {one_line(error.format_message())} (see '{command} --help')\n")
        sys.exit(2)
    except typer.Abort:
        sys.stderr.write("adp: error: interrupted\n")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
