"""Wizard data: the guide's two builders, input validation that names the field, BPM input, results."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from adp_cli.errors import InputError
from adp_cli.tasks.results import BpmEstimationResult, GenerationResult
from adp_cli.tasks.wizard import (
    BpmEstimationInput,
    Genre,
    Instrumentation,
    Vocals,
    WizardData,
    bpm_input_from_wizard,
    build_music_data_string,
    build_structured_json,
    parse_bpm_input,
    parse_wizard,
)

# The guide's usage fields, then adp's token split and latency, then today's cached and reasoning tokens.
USAGE_KEYS = [
    "tokens_used", "cost_usd", "provider", "model", "prompt_tokens", "completion_tokens", "latency_ms", "cached_tokens", "reasoning_tokens"
]


def guide_rock() -> WizardData:
    """The guide's Example 1."""
    return WizardData(
        genre=Genre(primary="Rock", secondary=["Alternative Rock"]),
        mood=["energetic", "uplifting"],
        energy=["high"],
        texture=["dense"],
        instrumentation=[
            Instrumentation(instrument="Electric Guitar", role="lead", descriptors=["distorted", "aggressive"]),
            Instrumentation(instrument="Drums", role="rhythm", descriptors=["driving", "powerful"]),
        ],
        vocals=Vocals(presence="lead", gender="male", style="powerful"),
        bpm=140,
    )


# -- the guide's unit tests -------------------------------------------------------------------


def test_build_music_data_string() -> None:
    wizard_data = WizardData(genre=Genre(primary="Rock"), mood=["energetic"], bpm=140)

    result = build_music_data_string(wizard_data)

    assert "Genre: Rock" in result
    assert "Mood: energetic" in result
    assert "Tempo: 140 BPM" in result
    assert result == "Genre: Rock. Mood: energetic. Tempo: 140 BPM"


def test_build_music_data_string_guide_example() -> None:
    assert build_music_data_string(guide_rock()) == (
        "Genre: Rock. (Alternative Rock). Mood: energetic, uplifting. Energy: high. Texture: dense. "
        "Instruments: Electric Guitar (lead), Drums (rhythm). Vocals: lead powerful. Tempo: 140 BPM"
    )


def test_build_structured_json() -> None:
    """The guide's test expects an inline list; its own code (indent=2) wins, per the spec."""
    wizard_data = WizardData(genre=Genre(primary="Jazz", secondary=["Smooth Jazz"]), mood=["relaxed"])

    result = build_structured_json(wizard_data)

    assert '"Genre": "Jazz"' in result
    assert '"Sub-genre": "Smooth Jazz"' in result
    assert result == '{\n  "Genre": "Jazz",\n  "Sub-genre": "Smooth Jazz",\n  "Mood": [\n    "relaxed"\n  ]\n}'


def test_build_structured_json_guide_example() -> None:
    assert build_structured_json(guide_rock()) == """{
  "Genre": "Rock",
  "Sub-genre": "Alternative Rock",
  "Mood": [
    "energetic",
    "uplifting"
  ],
  "Energy": [
    "high"
  ],
  "Texture": [
    "dense"
  ],
  "Featured Instrument 1": {
    "Instrument": "Electric Guitar",
    "Role": "lead",
    "Descriptors": [
      "distorted",
      "aggressive"
    ]
  },
  "Featured Instrument 2": {
    "Instrument": "Drums",
    "Role": "rhythm",
    "Descriptors": [
      "driving",
      "powerful"
    ]
  },
  "Vocals": {
    "Presence": "lead",
    "Gender": "male",
    "Style": "powerful",
    "Descriptors": []
  }
}"""


def test_structured_json_leaves_out_bpm_and_id_and_takes_the_first_subgenre() -> None:
    wizard = parse_wizard({"id": "x1", "genre": {"primary": "Jazz", "secondary": ["Bebop", "Cool"]}, "bpm": 200})
    assert json.loads(build_structured_json(wizard)) == {"Genre": "Jazz", "Sub-genre": "Bebop"}
    assert build_music_data_string(wizard) == "Genre: Jazz. (Bebop, Cool). Tempo: 200 BPM"


def test_instrument_without_descriptors_gets_an_empty_list() -> None:
    wizard = WizardData(instrumentation=[Instrumentation(instrument="Hi-Hats", role="percussion")])
    assert json.loads(build_structured_json(wizard)) == {
        "Featured Instrument 1": {"Instrument": "Hi-Hats", "Role": "percussion", "Descriptors": []}
    }
    assert build_music_data_string(wizard) == "Instruments: Hi-Hats (percussion)"


def test_vocals_none_is_left_out() -> None:
    wizard = parse_wizard({"genre": "Techno", "vocals": {"presence": "none"}})
    assert build_music_data_string(wizard) == "Genre: Techno"
    assert build_structured_json(wizard) == '{\n  "Genre": "Techno"\n}'


def test_vocals_without_style_and_with_descriptors() -> None:
    wizard = parse_wizard({"vocals": {"presence": "backing", "gender": "female", "descriptors": "airy"}})
    assert build_music_data_string(wizard) == "Vocals: backing"
    assert json.loads(build_structured_json(wizard)) == {
        "Vocals": {"Presence": "backing", "Gender": "female", "Style": None, "Descriptors": ["airy"]}
    }


def test_empty_wizard_builds_empty_strings() -> None:
    assert build_music_data_string(WizardData()) == ""
    assert build_structured_json(WizardData()) == "{}"


# -- validation ------------------------------------------------------------------------------


def test_genre_shortcut_and_single_strings() -> None:
    wizard = parse_wizard(
        {
            "genre": "Rock",
            "mood": "energetic",
            "energy": "high",
            "texture": "dense",
            "instrumentation": {"instrument": "Drums", "role": "rhythm", "descriptors": "driving"},
        }
    )
    assert wizard.genre == Genre(primary="Rock")
    assert wizard.mood == ["energetic"]
    assert wizard.energy == ["high"]
    assert wizard.texture == ["dense"]
    assert wizard.instrumentation == [Instrumentation(instrument="Drums", role="rhythm", descriptors=["driving"])]
    assert parse_wizard({"genre": {"primary": "Rock", "secondary": "Grunge"}}).genre == Genre(
        primary="Rock", secondary=["Grunge"]
    )


def test_strings_are_stripped() -> None:
    wizard = parse_wizard({"genre": "  Rock ", "mood": [" calm "]})
    assert build_music_data_string(wizard) == "Genre: Rock. Mood: calm"


@pytest.mark.parametrize("item_id", ["track-1", 7])
def test_id_is_allowed_and_passed_through(item_id: Any) -> None:
    assert parse_wizard({"id": item_id, "genre": "Rock"}).id == item_id


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"foo": 1}, "unknown key 'foo'"),
        ({"genre": "Rock", "Mood": ["calm"]}, "unknown key 'Mood'"),
        ({"genre": {"primary": "Rock", "sub": ["x"]}}, "unknown key 'genre.sub'"),
        ({"vocals": {"presence": "lead", "pitch": "high"}}, "unknown key 'vocals.pitch'"),
        ({"instrumentation": [{"instrument": "Drums", "role": "rhythm", "level": 3}]}, "unknown key 'instrumentation.0.level'"),
    ],
)
def test_unknown_key_is_named(document: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_wizard(document)
    assert str(caught.value) == message


def test_unknown_keys_that_look_like_type_names_are_named() -> None:
    """Only pydantic's union tags are dropped from a path, never the user's own key."""
    cases = [
        ({"list": 1}, "unknown key 'list'"),
        ({"genre": "Rock", "moods[0]": "calm"}, "unknown key 'moods[0]'"),
        ({"vocals": {"presence": "lead", "none": True}}, "unknown key 'vocals.none'"),
    ]
    for document, message in cases:
        with pytest.raises(InputError) as caught:
            parse_wizard(document)
        assert str(caught.value) == message


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"mood": [1]}, "mood.0"),
        ({"mood": ["calm", 3.5]}, "mood.1"),
        ({"mood": 5}, "mood"),
        ({"energy": {"level": "high"}}, "energy"),
        ({"instrumentation": [{"instrument": "Drums"}]}, "instrumentation.0.role"),
        ({"instrumentation": [{"instrument": "Drums", "role": 4}]}, "instrumentation.0.role"),
        ({"instrumentation": [{"instrument": "Bass", "role": "low"}, {"role": "lead"}]}, "instrumentation.1.instrument"),
        ({"instrumentation": "Drums"}, "instrumentation"),
        ({"vocals": {"gender": "male"}}, "vocals.presence"),
        ({"vocals": "lead"}, "vocals"),
        ({"genre": {"secondary": ["x"]}}, "genre.primary"),
        ({"genre": 5}, "genre"),
        ({"genre": {"primary": "Rock", "secondary": [None]}}, "genre.secondary.0"),
        ({"bpm": "fast"}, "bpm"),
        ({"bpm": 0}, "bpm"),
        ({"bpm": 1000}, "bpm"),
        ({"bpm": True}, "bpm"),
        ({"bpm": 120.5}, "bpm"),
    ],
)
def test_wrong_types_name_the_field(document: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_wizard(document)
    assert str(caught.value).startswith(f"{field}: ")


def test_a_bad_id_names_the_id_key() -> None:
    """The path is the user's key, ``id``, not pydantic's union-member tags (``id.str``, ``id.int``)."""
    for bad_id in ([1], 1.5):
        with pytest.raises(InputError) as caught:
            parse_wizard({"id": bad_id, "genre": "Rock"})
        message = str(caught.value)
        assert message.startswith("id: "), message
        assert "id.str" not in message and "id.int" not in message


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"genre": ""}, "genre.primary"),
        ({"genre": "   "}, "genre.primary"),
        ({"mood": [""]}, "mood.0"),
        ({"mood": ["calm", "  \t"]}, "mood.1"),
        ({"texture": ""}, "texture.0"),
        ({"instrumentation": [{"instrument": " ", "role": "lead"}]}, "instrumentation.0.instrument"),
        ({"vocals": {"presence": ""}}, "vocals.presence"),
    ],
)
def test_empty_and_blank_strings_are_rejected(document: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_wizard(document)
    assert str(caught.value) == f"{field}: String should have at least 1 character"


def test_bpm_bool_and_fraction_messages() -> None:
    with pytest.raises(InputError, match=r"^bpm: Value error, must be a whole number$"):
        parse_wizard({"bpm": True})
    with pytest.raises(InputError, match=r"^bpm: Value error, must be a whole number$"):
        parse_wizard({"bpm": 128.5})


def test_whole_float_bpm_is_accepted() -> None:
    assert parse_wizard({"bpm": 128.0}).bpm == 128


def test_limits_on_lengths() -> None:
    assert len(parse_wizard({"mood": ["m"] * 50}).mood or []) == 50
    with pytest.raises(InputError, match=r"^mood: List should have at most 50 items"):
        parse_wizard({"mood": ["m"] * 51})
    assert parse_wizard({"mood": ["x" * 500]}).mood == ["x" * 500]
    with pytest.raises(InputError, match=r"^mood\.0: String should have at most 500 characters$"):
        parse_wizard({"mood": ["x" * 501]})


def test_many_problems_are_summarised() -> None:
    with pytest.raises(InputError) as caught:
        parse_wizard({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5})
    assert str(caught.value) == "unknown key 'a'; unknown key 'b'; unknown key 'c' (and 2 more)"


@pytest.mark.parametrize(("document", "kind"), [(["Rock"], "list"), ("Rock", "str"), (None, "NoneType"), (3, "int")])
def test_a_wizard_item_must_be_a_mapping(document: Any, kind: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_wizard(document)
    assert str(caught.value) == f"expected a mapping of wizard fields, got {kind}"


def test_models_are_frozen() -> None:
    wizard = parse_wizard({"genre": "Rock"})
    with pytest.raises(ValidationError):
        wizard.bpm = 3  # type: ignore[misc]


# -- BPM input -------------------------------------------------------------------------------

GUIDE_BPM = {
    "input_phrase": "A fast-paced techno track with pounding kicks",
    "standardized_phrase": "High-energy electronic dance music with driving percussion",
    "genre": "Electronic",
    "subgenres": ["Techno"],
    "energy": ["high", "intense"],
    "mood": ["energetic"],
}


def test_bpm_input_snake_case() -> None:
    item = parse_bpm_input(GUIDE_BPM)
    assert item == BpmEstimationInput(**GUIDE_BPM)
    assert item.input_phrase == "A fast-paced techno track with pounding kicks"
    assert item.subgenres == ["Techno"]
    assert item.texture is None


def test_bpm_input_camel_case() -> None:
    camel = {
        "inputPhrase": GUIDE_BPM["input_phrase"],
        "standardizedPhrase": GUIDE_BPM["standardized_phrase"],
        "genre": "Electronic",
        "subgenres": "Techno",
        "energy": ["high", "intense"],
        "mood": "energetic",
    }
    assert parse_bpm_input(camel) == parse_bpm_input(GUIDE_BPM)


def test_bpm_input_errors_name_the_field() -> None:
    with pytest.raises(InputError, match=r"^standardizedPhrase: Field required$"):
        parse_bpm_input({"inputPhrase": "fast"})
    with pytest.raises(InputError, match=r"^unknown key 'tempo'$"):
        parse_bpm_input({**GUIDE_BPM, "tempo": 3})
    with pytest.raises(InputError, match=r"^input_phrase: String should have at least 1 character$"):
        parse_bpm_input({**GUIDE_BPM, "input_phrase": " "})
    with pytest.raises(InputError, match=r"^expected a mapping of BPM input fields, got list$"):
        parse_bpm_input([GUIDE_BPM])


def test_bpm_input_from_wizard_data() -> None:
    rock = {
        "id": "r1",
        "genre": {"primary": "Rock", "secondary": ["Alternative Rock"]},
        "mood": ["energetic", "uplifting"],
        "energy": ["high"],
        "texture": ["dense"],
        "instrumentation": [
            {"instrument": "Electric Guitar", "role": "lead", "descriptors": ["distorted", "aggressive"]},
            {"instrument": "Drums", "role": "rhythm", "descriptors": ["driving", "powerful"]},
        ],
        "vocals": {"presence": "lead", "gender": "male", "style": "powerful"},
        "bpm": 140,
    }
    item = parse_bpm_input(rock)
    phrase = build_music_data_string(guide_rock())
    assert item == BpmEstimationInput(
        id="r1",
        input_phrase=phrase,
        standardized_phrase=phrase,
        genre="Rock",
        subgenres=["Alternative Rock"],
        mood=["energetic", "uplifting"],
        energy=["high"],
        texture=["dense"],
        bpm=140,
    )
    assert item.input_phrase.startswith("Genre: Rock. (Alternative Rock). Mood: energetic, uplifting.")


ORCHESTRA = [
    ("Violins", "melody"), ("Violas", "harmony"), ("Cellos", "harmony"), ("Double Basses", "bass"),
    ("Flutes", "melody"), ("Oboes", "melody"), ("Clarinets", "harmony"), ("Bassoons", "bass"),
    ("French Horns", "melody"), ("Trumpets", "accent"), ("Trombones", "harmony"), ("Tuba", "bass"),
    ("Timpani", "percussion"), ("Snare Drum", "rhythm"), ("Cymbals", "accent"), ("Harp", "texture"),
    ("Piano", "harmony"), ("Celesta", "texture"), ("Choir", "pad"),
]


def test_bpm_input_from_a_large_valid_wizard() -> None:
    """A valid wizard item whose music string is over 500 characters still makes a BPM question.

    The 500-character cap is on what a user types, not on the phrase adp derives from valid data.
    """
    document = {
        "genre": {"primary": "Orchestral", "secondary": ["Film Score", "Neoclassical"]},
        "mood": ["epic", "triumphant", "dramatic", "hopeful"],
        "energy": ["high", "building"],
        "texture": ["lush", "layered", "wide"],
        "instrumentation": [{"instrument": name, "role": role} for name, role in ORCHESTRA],
        "bpm": 96,
    }
    phrase = build_music_data_string(parse_wizard(document))
    assert len(phrase) > 500
    item = parse_bpm_input(document)
    assert item.input_phrase == item.standardized_phrase == phrase
    assert item.genre == "Orchestral"
    assert item.bpm == 96


def test_bpm_input_from_the_largest_valid_wizard() -> None:
    """50 moods of 500 characters is valid wizard data, so it is a valid BPM question too (the
    derived phrase may be shortened, but no raw pydantic ValidationError escapes)."""
    document = {"genre": "Rock", "mood": [("energetic " * 50).strip()[:500]] * 50}
    parse_wizard(document)
    item = parse_bpm_input(document)
    assert item.input_phrase.startswith("Genre: Rock. Mood: energetic energetic")
    assert item.mood == document["mood"]


def test_bpm_input_from_wizard_with_nothing_to_say() -> None:
    item = bpm_input_from_wizard(WizardData())
    assert (item.input_phrase, item.standardized_phrase, item.genre) == ("Untitled music", "Untitled music", None)


def test_bpm_input_from_bad_wizard_data_names_the_field() -> None:
    with pytest.raises(InputError, match=r"^unknown key 'phrase'$"):
        parse_bpm_input({"genre": "Rock", "phrase": "x"})


# -- results ---------------------------------------------------------------------------------


def test_generation_result_json() -> None:
    result = GenerationResult(
        tokens_used=120, cost_usd=1.5e-05, provider="groq", model="openai/gpt-oss-20b",
        prompt_tokens=100, completion_tokens=20, latency_ms=350, phrase="A driving rock anthem.",
        cached_tokens=64, reasoning_tokens=8,
    )
    data = result.to_json()
    assert list(data) == ["phrase", *USAGE_KEYS]
    assert data == {
        "phrase": "A driving rock anthem.",
        "tokens_used": 120,
        "cost_usd": 1.5e-05,
        "provider": "groq",
        "model": "openai/gpt-oss-20b",
        "prompt_tokens": 100,
        "completion_tokens": 20,
        "latency_ms": 350,
        "cached_tokens": 64,
        "reasoning_tokens": 8,
    }
    assert json.loads(json.dumps(data)) == data


def test_bpm_result_json() -> None:
    result = BpmEstimationResult(
        tokens_used=210, cost_usd=0.0001, provider="offline", model="offline-templates",
        prompt_tokens=208, completion_tokens=2, latency_ms=0, bpm=128,
    )
    data = result.to_json()
    assert list(data) == ["bpm", *USAGE_KEYS]
    assert data["bpm"] == 128
    assert data["tokens_used"] == 210
    assert data["provider"] == "offline"
    assert (data["cached_tokens"], data["reasoning_tokens"]) == (0, 0)  # none unless the server says
