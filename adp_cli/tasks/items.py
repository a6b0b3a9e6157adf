"""Turning a document plus the field flags into one validated item: the single path every
generation, one-shot or batch, takes from input to a ``WizardData`` or ``BpmEstimationInput``.

Flags override the document's fields (``--mood`` replaces the file's moods); lists are
repeatable and comma-separated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic.alias_generators import to_snake

from adp_cli.errors import InputError, UsageError
from adp_cli.tasks.wizard import (
    BPM_MARKERS,
    BpmEstimationInput,
    WizardData,
    bpm_input_from_wizard,
    parse_bpm_input,
    parse_wizard,
)

# The fields an output line has of its own: a kept item field may not take their place.
RESULT_FIELDS = frozenset(
    {"index", "id", "error", "phrase", "bpm", "tokens_used", "cost_usd", "provider", "model", "prompt_tokens", "completion_tokens",
     "latency_ms", "cached_tokens", "reasoning_tokens", "cached", "check", "variants", "attempts"}
)


@dataclass(frozen=True)
class Flags:
    """Field flags; each set one replaces that field of every item (lists are repeatable)."""

    genre: str | None = None
    subgenre: list[str] = field(default_factory=list)
    mood: list[str] = field(default_factory=list)
    energy: list[str] = field(default_factory=list)
    texture: list[str] = field(default_factory=list)
    instrument: list[str] = field(default_factory=list)
    vocals: str | None = None
    bpm: int | None = None
    phrase: str | None = None
    standardized: str | None = None
    keep: tuple[str, ...] = ()  # --keep: item keys (CSV columns) copied as they are into the output line

    def __post_init__(self) -> None:
        """Check the flags once, before any item: ``--mood ,,,`` is a mistake, not "no moods"."""
        for name in self.keep:
            if name in RESULT_FIELDS or not name.strip():
                raise UsageError(f"--keep {name!r}: the output line has a field of that name; keep another field")
        for name in ("subgenre", "mood", "energy", "texture"):
            for value in getattr(self, name):
                if not _split_values([value]):
                    raise UsageError(f"--{name} {value!r}: no value in it (give one or more, comma-separated)")
        for spec in self.instrument:
            parse_instrument(spec)
        if self.vocals is not None:
            parse_vocals(self.vocals)

    def any(self) -> bool:
        """Whether any field flag is given (``--keep`` shapes items, it is none)."""
        return any(value not in (None, []) for name, value in vars(self).items() if name != "keep")

    def kept(self, document: Any) -> dict[str, Any]:
        """The item's kept fields, for its output line, as the document holds them."""
        if not self.keep or not isinstance(document, dict):
            return {}
        return {name: document[name] for name in self.keep if name in document}

    def without_kept(self, document: dict[str, Any]) -> dict[str, Any]:
        """The item's own fields: kept ones are passed through, never validated as fields."""
        return {name: value for name, value in document.items() if name not in self.keep} if self.keep else document


def _split_values(values: list[str]) -> list[str]:
    """``--mood calm --mood dreamy`` and ``--mood calm,dreamy`` mean the same."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def parse_instrument(spec: str) -> dict[str, Any]:
    """``NAME:ROLE[:DESC,DESC]`` as given to ``--instrument``."""
    parts = spec.split(":", 2)
    if len(parts) < 2 or not parts[0].strip() or not parts[1].strip():
        raise UsageError(f"--instrument {spec!r}: expected NAME:ROLE[:DESC,DESC]")
    instrument: dict[str, Any] = {"instrument": parts[0].strip(), "role": parts[1].strip()}
    if len(parts) == 3 and parts[2].strip():
        instrument["descriptors"] = _split_values([parts[2]])
        if not instrument["descriptors"]:
            raise UsageError(f"--instrument {spec!r}: the descriptors after the second ':' are empty")
    return instrument


def parse_vocals(spec: str) -> dict[str, Any]:
    """``PRESENCE[:GENDER[:STYLE]]`` as given to ``--vocals``."""
    parts = [part.strip() for part in spec.split(":", 2)]
    if not parts[0]:
        raise UsageError(f"--vocals {spec!r}: expected PRESENCE[:GENDER[:STYLE]]")
    keys = ("presence", "gender", "style")
    return {key: value for key, value in zip(keys, parts) if value}


def _apply_list_flags(merged: dict[str, Any], flags: Flags) -> None:
    """--mood, --energy and --texture: the same fields in wizard data and BPM inputs."""
    for name in ("mood", "energy", "texture"):
        if values := getattr(flags, name):
            merged[name] = _split_values(values)


def apply_wizard_flags(document: dict[str, Any], flags: Flags) -> dict[str, Any]:
    """Wizard fields from flags win over the file's."""
    merged = dict(document)
    if flags.genre is not None or flags.subgenre:
        genre = merged.get("genre")
        if isinstance(genre, str):
            genre = {"primary": genre}
        elif isinstance(genre, dict):
            genre = dict(genre)
        elif genre is None or flags.genre is not None:
            genre = {}
        else:  # a malformed genre with only --subgenre: leave it for validation to name
            return merged
        if flags.genre is not None:
            genre["primary"] = flags.genre
        if flags.subgenre:
            genre["secondary"] = _split_values(flags.subgenre)
        merged["genre"] = genre
    _apply_list_flags(merged, flags)
    if flags.instrument:
        merged["instrumentation"] = [parse_instrument(spec) for spec in flags.instrument]
    if flags.vocals is not None:
        merged["vocals"] = parse_vocals(flags.vocals)
    if flags.bpm is not None:
        merged["bpm"] = flags.bpm
    return merged


def apply_bpm_flags(document: dict[str, Any], flags: Flags) -> dict[str, Any]:
    """BPM fields from flags; ``--standardized`` defaults to the phrase.

    Wizard data stays wizard data unless a phrase flag is given; then it becomes a BPM input
    first (its music string fills the phrase the flags leave unset).
    """
    phrases = flags.phrase is not None or flags.standardized is not None
    if not BPM_MARKERS & document.keys():
        wizard = apply_wizard_flags(document, flags)
        if not phrases:
            return wizard
        merged = bpm_input_from_wizard(parse_wizard(wizard)).model_dump(exclude_none=True)
    else:
        merged = _snake_case_fields(document)
        if flags.genre is not None:
            merged["genre"] = flags.genre
        if flags.subgenre:
            merged["subgenres"] = _split_values(flags.subgenre)
        _apply_list_flags(merged, flags)
    if flags.phrase is not None:
        merged["input_phrase"] = flags.phrase
        if not {"standardized_phrase", "standardizedPhrase"} & document.keys():
            merged["standardized_phrase"] = flags.phrase
    if flags.standardized is not None:
        merged["standardized_phrase"] = flags.standardized
    return merged


def _snake_case_fields(document: dict[str, Any]) -> dict[str, Any]:
    """BPM fields by their snake_case names; the same field in both spellings is an error, since
    one of the two values would be dropped without a word."""
    merged: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for key, value in document.items():
        name = to_snake(key) if isinstance(key, str) else key
        if name in spelled:
            raise InputError(f"both {spelled[name]!r} and {key!r} are given: they are the same field, keep one")
        spelled[name] = key
        merged[name] = value
    return merged


def as_mapping(document: Any) -> dict[str, Any]:
    """The document as a mapping of fields; an unreadable batch line arrives as its InputError and
    is raised here, so it becomes that item's error line."""
    if isinstance(document, InputError):
        raise document
    if document is None:
        raise InputError("no item: the document is empty (null); expected a mapping of fields")
    if not isinstance(document, dict):
        raise InputError(f"expected a mapping of fields, got {type(document).__name__}")
    return document


def wizard_item(document: Any, flags: Flags) -> WizardData:
    return parse_wizard(apply_wizard_flags(flags.without_kept(as_mapping(document)), flags))


def bpm_item(document: Any, flags: Flags) -> BpmEstimationInput:
    return parse_bpm_input(apply_bpm_flags(flags.without_kept(as_mapping(document)), flags))
