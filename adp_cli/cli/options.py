"""Every command-line option, declared once; commands list the ones they take.

Only typer and the standard library are imported here: ``adp --help`` must stay fast, so the
core's types (Flags, Settings, Connection) are built from these values inside the commands.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from adp_cli.scales import POETIC_LEVEL_MAX, POETIC_LEVEL_MIN


class ServiceTier(str, Enum):
    on_demand = "on_demand"
    flex = "flex"
    auto = "auto"


class ReasoningLevel(str, Enum):
    """``--reasoning``: capabilities' REASONING_CHOICES (a test keeps the two equal)."""

    low = "low"
    medium = "medium"
    high = "high"
    default = "default"


def complete_provider(incomplete: str) -> list[str]:
    """Tab completion for ``--provider``: the transports adp has."""
    from adp_cli.transports import TRANSPORTS

    return [name for name in TRANSPORTS if name.startswith(incomplete)]


def complete_format(incomplete: str) -> list[str]:
    from adp_cli.output.formats import FORMATS

    return [name for name in FORMATS if name.startswith(incomplete)]


def complete_model(incomplete: str) -> list[tuple[str, str]]:
    """Tab completion for a generation's ``-m``: ``random`` and the text models, with a hint."""
    from adp_cli.accounting import capabilities, catalog

    pool = {model.value for model in catalog.TEXT_GENERATION_MODELS}
    texts = [model for model in _model_ids() if catalog.category_of(model) is catalog.Category.TEXT]
    hints = [("random", "a model from the random pool")]
    for model in texts:
        retired = catalog.lifecycle_of(model).status is catalog.Status.RETIRED
        notes = ["retired" if retired else "", "random pool" if model in pool else "", "reasoning" if model in capabilities.REASONING else ""]
        hints.append((model, ", ".join(["text", *filter(None, notes)])))
    return [(value, hint) for value, hint in hints if value.startswith(incomplete)]


def complete_priced_model(incomplete: str) -> list[tuple[str, str]]:
    """Tab completion for ``adp cost -m``: every model adp can price, with its category."""
    from adp_cli.accounting import catalog

    return [(model, catalog.category_of(model).value) for model in _model_ids() if model.startswith(incomplete)]


def _model_ids() -> list[str]:
    """The catalog's ids; a broken ADP_PRICES_FILE must not spill a traceback into the shell."""
    from adp_cli.accounting import catalog
    from adp_cli.accounting.prices import known_model_ids
    from adp_cli.errors import AdpError

    try:
        return known_model_ids()
    except AdpError:
        return [model.value for model in catalog.ALL_GROQ_MODELS]


# Item: where the items come from, and the field flags that override theirs.
InputArg = Annotated[str | None, typer.Argument(metavar="INPUT", help="YAML/JSON/JSONL file, or - for stdin.", show_default=False)]
GenreOpt = Annotated[str | None, typer.Option("--genre", metavar="TEXT", help="Primary genre.")]
SubgenreOpt = Annotated[list[str], typer.Option("--subgenre", metavar="TEXT", help="Sub-genre (repeatable).")]
MoodOpt = Annotated[list[str], typer.Option("--mood", metavar="TEXT", help="Mood (repeatable, or comma-separated).")]
EnergyOpt = Annotated[list[str], typer.Option("--energy", metavar="TEXT", help="Energy (repeatable, or comma-separated).")]
TextureOpt = Annotated[list[str], typer.Option("--texture", metavar="TEXT", help="Texture (repeatable, or comma-separated).")]
InstrumentOpt = Annotated[list[str], typer.Option("--instrument", metavar="NAME:ROLE[:DESC,DESC]", help="Instrument (repeatable).")]
VocalsOpt = Annotated[str | None, typer.Option("--vocals", metavar="PRESENCE[:GENDER[:STYLE]]", help="Vocals.")]
BpmOpt = Annotated[int | None, typer.Option("--bpm", min=1, max=999, help="Known tempo in BPM.")]
PhraseOpt = Annotated[str | None, typer.Option("--phrase", metavar="TEXT", help="The input phrase.")]
StandardizedOpt = Annotated[str | None, typer.Option("--standardized", metavar="TEXT", help="The standardized phrase (default: the phrase).")]

InputFormatOpt = Annotated[str | None, typer.Option("--format", metavar="FORMAT", help="Read INPUT (or stdin) as json, jsonl, yaml or csv instead of by its extension.")]
KeepOpt = Annotated[list[str], typer.Option("--keep", metavar="FIELD", help="Copy this item field (CSV column, JSON key) into its output line (repeatable).")]

# Captions.
CheckOpt = Annotated[bool, typer.Option("--check", help="Check each caption against its item's tags: recall, missing, invented, tempo.")]
MinRecallOpt = Annotated[float, typer.Option("--min-recall", min=0.0, max=1.0, help="The share of its item's tags a caption must mention to pass the check.")]
RegenerateOpt = Annotated[int, typer.Option("--regenerate", min=0, max=10, metavar="N", help="Ask again, up to N more times, for a caption that fails --check or repeats another variant.")]
VariantsOpt = Annotated[int, typer.Option("--variants", "-n", min=1, max=20, metavar="K", help="K distinct captions per item (K requests, each with its own seed).")]

ResultsArg = Annotated[Path, typer.Argument(metavar="RESULTS", dir_okay=False, help="A run's result lines (its -o file, or its stdout saved).", show_default=False)]
EvalInputOpt = Annotated[str, typer.Option("--input", metavar="ITEMS", help="The run's input: the file (or - for stdin) it read its items from.", show_default=False)]

# Generation settings.
PoeticLevelOpt = Annotated[int, typer.Option("--poetic-level", "-p", min=POETIC_LEVEL_MIN, max=POETIC_LEVEL_MAX, help="1 very poetic .. 100 very factual.")]
ModelOpt = Annotated[str | None, typer.Option("--model", "-m", metavar="ID", envvar="ADP_MODEL", autocompletion=complete_model, help="Model id, or 'random' (the default pool).")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Make the random model pick repeatable.")]
TemperatureOpt = Annotated[float | None, typer.Option("--temperature", min=0.0, max=2.0, help="Override the sampling temperature.")]
MaxTokensOpt = Annotated[int | None, typer.Option("--max-tokens", min=1, max=131072, help="Override max_tokens.")]
ReasoningOpt = Annotated[ReasoningLevel | None, typer.Option("--reasoning", case_sensitive=False, help="Let reasoning models reason: low, medium, high, or default (the model's own). Without it they are asked not to.")]
PromptsDirOpt = Annotated[Path | None, typer.Option("--prompts-dir", envvar="ADP_PROMPTS_DIR", file_okay=False, metavar="DIR", help="Folder with the three prompt files.")]

# Output.
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON on stdout (the same as --output-format json).")]
FormatOpt = Annotated[str, typer.Option("--output-format", metavar="NAME", autocompletion=complete_format, help="How answers are written on stdout: text or json (--json is json).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No table on stderr.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show messages, token count and cost estimate; send nothing.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging and tracebacks on stderr.")]
WideOpt = Annotated[bool, typer.Option("--wide", help="Every column, however wide (-v too).")]

# Listings (models, cost).
CategoryOpt = Annotated[str | None, typer.Option("--category", help="text, guard, compound, audio or tts.")]
LiveOpt = Annotated[bool, typer.Option("--live", help="Ask the server's model list (Groq: needs GROQ_API_KEY).")]
CostTextArg = Annotated[str | None, typer.Argument(help="Text to count, or - for stdin.", show_default=False)]
CostFileOpt = Annotated[Path | None, typer.Option("--file", dir_okay=False, help="Count the tokens of this file.")]
TokensOpt = Annotated[int | None, typer.Option("--tokens", min=0, max=10**15, help="Price this many input tokens.")]
OutputTokensOpt = Annotated[int, typer.Option("--output-tokens", min=0, max=10**15, help="Output tokens to add.")]
CostModelOpt = Annotated[str | None, typer.Option("--model", "-m", metavar="ID", autocompletion=complete_priced_model, help="One model (default: every text model).")]
LedgerOpt = Annotated[bool, typer.Option("--ledger", help="Show spending per day and model from the ledger.")]
DaysOpt = Annotated[int | None, typer.Option("--days", min=1, max=36500, help="With --ledger: the last N days (--chart: default 7).")]
ChartOpt = Annotated[bool, typer.Option("--chart", help="With --ledger: spending per day as a bar chart.")]

# Provider and connection.
ProviderOpt = Annotated[
    str | None,
    typer.Option(
        "--provider",
        metavar="NAME",
        envvar="ADP_PROVIDER",
        show_default=False,
        autocompletion=complete_provider,
        help="groq (default), openai (an OpenAI-compatible server at --base-url), or offline (no key, no network).",
    ),
]
BaseUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        metavar="URL",
        envvar="ADP_BASE_URL",
        help="API root: Groq's (default: GROQ_BASE_URL or the SDK's), or an OpenAI-compatible server's as it documents it, e.g. http://localhost:11434/v1 (which selects --provider openai).",
    ),
]
TimeoutOpt = Annotated[float, typer.Option("--timeout", min=0.1, max=3600, help="Seconds per request.")]
RetriesOpt = Annotated[int, typer.Option("--max-retries", min=0, max=20, help="SDK retries on 5xx, timeouts and lost connections.")]
MaxWaitOpt = Annotated[float, typer.Option("--max-wait", min=0, max=86400, metavar="SECONDS", help="Longest rate-limit wait; past it (or at a daily cap) the run stops with exit 3.")]
RpmOpt = Annotated[int | None, typer.Option("--rpm", min=1, metavar="N", help="Requests per minute your tier allows (learned from the server otherwise).")]
TpmOpt = Annotated[int | None, typer.Option("--tpm", min=1, metavar="N", help="Tokens per minute your tier allows (learned from the server otherwise).")]
ServiceTierOpt = Annotated[ServiceTier | None, typer.Option("--service-tier", case_sensitive=False, show_default=False, help="Groq's service tier: on_demand, flex (paid tiers; waits when busy) or auto.")]
PriceOpt = Annotated[str | None, typer.Option("--price", metavar="IN,OUT", help="USD per 1M input and output tokens for the cost (local servers are free otherwise).")]

# Batches.
ConcurrencyOpt = Annotated[int, typer.Option("--concurrency", "-j", min=1, max=256, help="Requests in flight for a batch.")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", dir_okay=False, metavar="FILE", help="Batch: append JSON lines here and skip items already done.")]

# The generation log.
CacheOpt = Annotated[bool, typer.Option("--cache", envvar="ADP_CACHE", help="Answer from the generation log what it answered before: nothing sent, nothing paid.")]
LogCountOpt = Annotated[int, typer.Option("-n", "--limit", min=1, max=1_000_000, help="At most N entries, newest first.")]
LogTaskOpt = Annotated[str | None, typer.Option("--task", metavar="TASK", help="Only this task's entries (casual, structure, bpm).")]
LogModelOpt = Annotated[str | None, typer.Option("--model", "-m", metavar="ID", help="Only this model's entries.")]
SinceOpt = Annotated[str | None, typer.Option("--since", metavar="DATE", help="From this day (2026-12-01, today, yesterday) or moment (2026-12-01T09:30) on.")]
SearchOpt = Annotated[str | None, typer.Option("--search", "-s", metavar="TEXT", help="Entries whose item, prompt or reply holds every word of TEXT.")]
EntryArg = Annotated[int, typer.Argument(metavar="ID", help="The entry's id (the first column of `adp logs`).", show_default=False)]

# Groq's Batch API.
BatchApiOpt = Annotated[bool, typer.Option("--batch-api", help="Send the batch through Groq's Batch API: half price, results within --window; needs -o.")]
WaitOpt = Annotated[bool, typer.Option("--wait", help="With --batch-api: keep polling until the results are written.")]
WindowOpt = Annotated[str, typer.Option("--window", metavar="24h..7d", help="With --batch-api: Groq's completion window.")]
BatchSizeOpt = Annotated[int | None, typer.Option("--batch-size", min=1, help="With --batch-api: at most N requests per batch (default: Groq's maximum).", show_default=False)]
TargetArg = Annotated[str, typer.Argument(metavar="TARGET", help="The -o file of a batch job, its state file, or a batch id.", show_default=False)]
LimitOpt = Annotated[int, typer.Option("--limit", min=1, max=10_000, help="At most N batches, newest first.")]
