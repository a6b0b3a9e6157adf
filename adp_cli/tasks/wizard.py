"""The ADP wizard data, BPM input and results, and the guide's two prompt builders.

Input models are pydantic so that a bad file gets a message naming the field; they accept the
guide's shape plus two shortcuts people type by hand: ``genre: Rock`` and a single string where
a list is expected.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)
from pydantic.alias_generators import to_camel

from adp_cli.errors import InputError


def _listify(value: Any) -> Any:
    """A single string stands for a one-item list."""
    return [value] if isinstance(value, str) else value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
# Long enough for the music string of the largest valid wizard item.
Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500_000)]
TextList = Annotated[Annotated[list[Text], Field(max_length=50)] | None, BeforeValidator(_listify)]
ItemId = str | int | None


class _Strict(BaseModel):
    """Unknown keys are errors that name the key; strings are not silently made from numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Genre(_Strict):
    primary: Text
    secondary: TextList = None


class Instrumentation(_Strict):
    instrument: Text
    role: Text
    descriptors: TextList = None


class Vocals(_Strict):
    presence: Text
    gender: Text | None = None
    style: Text | None = None
    descriptors: TextList = None


class WizardData(_Strict):
    """Structured wizard data following the ADP vocabulary; ``id`` is carried through batches."""

    id: ItemId = None
    genre: Genre | None = None
    mood: TextList = None
    energy: TextList = None
    texture: TextList = None
    instrumentation: Annotated[list[Instrumentation], Field(max_length=50)] | None = None
    vocals: Vocals | None = None
    bpm: int | None = Field(default=None, ge=1, le=999)

    @field_validator("genre", mode="before")
    @classmethod
    def _genre_shortcut(cls, value: Any) -> Any:
        return {"primary": value} if isinstance(value, str) else value

    @field_validator("instrumentation", mode="before")
    @classmethod
    def _one_instrument(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @field_validator("bpm", mode="before")
    @classmethod
    def _whole_bpm(cls, value: Any) -> Any:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError("must be a whole number")
        return value


class BpmEstimationInput(_Strict):
    """What the BPM estimator is told; accepts snake_case or the TypeScript camelCase names.

    ``bpm`` is a tempo already known (from wizard data); the offline provider uses it as is.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)

    id: ItemId = None
    input_phrase: Phrase
    standardized_phrase: Phrase
    genre: Text | None = None
    subgenres: TextList = None
    mood: TextList = None
    energy: TextList = None
    texture: TextList = None
    bpm: int | None = Field(default=None, ge=1, le=999)


# pydantic puts the tried member of a union into the location ("id.str"); people want "id".
_UNION_MEMBER = re.compile(r"^(str|int|float|bool|none)$|^(list|dict|function-\w+|constrained-\w+)\[")


def _field_path(location: tuple[Any, ...], *, user_keys: bool = False) -> str:
    """Dotted path; an unknown key's location is all the user's own names, so nothing is dropped."""
    parts = [str(part) for part in location if user_keys or not (isinstance(part, str) and _UNION_MEMBER.search(part))]
    return ".".join(parts) or "(item)"


def describe_validation_error(error: ValidationError) -> str:
    """One line that names each bad field: ``mood.0: Input should be a valid string``."""
    problems: dict[str, str] = {}
    for issue in error.errors():
        unknown = issue["type"] == "extra_forbidden"
        where = _field_path(issue["loc"], user_keys=unknown)
        if unknown:
            problems.setdefault(f"unknown key '{where}'", "")
        else:
            problems.setdefault(where, issue["msg"])
    listed = [f"{where}: {message}" if message else where for where, message in list(problems.items())[:3]]
    more = len(problems) - len(listed)
    return "; ".join(listed) + (f" (and {more} more)" if more > 0 else "")


def parse_wizard(document: Any) -> WizardData:
    """Validate one wizard document; the InputError names the bad field or unknown key."""
    if not isinstance(document, dict):
        raise InputError(f"expected a mapping of wizard fields, got {type(document).__name__}")
    try:
        return WizardData.model_validate(document)
    except ValidationError as error:
        raise InputError(describe_validation_error(error)) from None


# Keys only a BpmEstimationInput has; anything else is read as wizard data.
BPM_MARKERS = {"input_phrase", "inputPhrase", "standardized_phrase", "standardizedPhrase", "subgenres"}


def parse_bpm_input(document: Any) -> BpmEstimationInput:
    """A BPM item is either BpmEstimationInput fields or wizard data to describe first."""
    if not isinstance(document, dict):
        raise InputError(f"expected a mapping of BPM input fields, got {type(document).__name__}")
    if BPM_MARKERS & document.keys():
        try:
            return BpmEstimationInput.model_validate(document)
        except ValidationError as error:
            raise InputError(describe_validation_error(error)) from None
    return bpm_input_from_wizard(parse_wizard(document))


def bpm_input_from_wizard(wizard: WizardData) -> BpmEstimationInput:
    """Wizard data becomes a BPM question: its music string stands for both phrases."""
    phrase = build_music_data_string(wizard) or "Untitled music"
    return BpmEstimationInput(
        id=wizard.id,
        input_phrase=phrase,
        standardized_phrase=phrase,
        genre=wizard.genre.primary if wizard.genre else None,
        subgenres=wizard.genre.secondary if wizard.genre else None,
        mood=wizard.mood,
        energy=wizard.energy,
        texture=wizard.texture,
        bpm=wizard.bpm,
    )


def build_music_data_string(wizard_data: WizardData) -> str:
    """The guide's one-line summary appended to the casual prompt (its exact format)."""
    parts: list[str] = []
    genre = wizard_data.genre
    if genre and genre.primary:
        parts.append(f"Genre: {genre.primary}")
        if genre.secondary:
            parts.append(f"({', '.join(genre.secondary)})")
    if wizard_data.mood:
        parts.append(f"Mood: {', '.join(wizard_data.mood)}")
    if wizard_data.energy:
        parts.append(f"Energy: {', '.join(wizard_data.energy)}")
    if wizard_data.texture:
        parts.append(f"Texture: {', '.join(wizard_data.texture)}")
    if wizard_data.instrumentation:
        instruments = ", ".join(f"{inst.instrument} ({inst.role})" for inst in wizard_data.instrumentation)
        parts.append(f"Instruments: {instruments}")
    vocals = wizard_data.vocals
    if vocals and vocals.presence and vocals.presence != "none":
        vocals_str = f"Vocals: {vocals.presence}"
        if vocals.style:
            vocals_str += f" {vocals.style}"
        parts.append(vocals_str)
    if wizard_data.bpm:
        parts.append(f"Tempo: {wizard_data.bpm} BPM")
    return ". ".join(parts)


def build_structured_json(wizard_data: WizardData) -> str:
    """The guide's structured JSON for the phrase prompt (``json.dumps(..., indent=2)``)."""
    structured: dict[str, Any] = {}
    genre = wizard_data.genre
    if genre and genre.primary:
        structured["Genre"] = genre.primary
    if genre and genre.secondary:
        structured["Sub-genre"] = genre.secondary[0]
    if wizard_data.mood:
        structured["Mood"] = wizard_data.mood
    if wizard_data.energy:
        structured["Energy"] = wizard_data.energy
    if wizard_data.texture:
        structured["Texture"] = wizard_data.texture
    for idx, inst in enumerate(wizard_data.instrumentation or [], 1):
        structured[f"Featured Instrument {idx}"] = {
            "Instrument": inst.instrument,
            "Role": inst.role,
            "Descriptors": inst.descriptors or [],
        }
    vocals = wizard_data.vocals
    if vocals and vocals.presence and vocals.presence != "none":
        structured["Vocals"] = {
            "Presence": vocals.presence,
            "Gender": vocals.gender,
            "Style": vocals.style,
            "Descriptors": vocals.descriptors or [],
        }
    return json.dumps(structured, indent=2)
