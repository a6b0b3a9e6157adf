"""The offline provider: exact sentences per register, grammar hygiene, and the tempo table."""

from __future__ import annotations

import itertools
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from adp_cli.offline import (
    Register,
    describe,
    estimate_bpm,
    register_for_poetic_level,
)
from adp_cli.tasks.wizard import BpmEstimationInput, Instrumentation, WizardData, parse_bpm_input, parse_wizard
from adp_cli.transports.offline import OFFLINE_MODEL

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _document(name: str) -> Any:
    """A sample file as the CLI would read it (YAML or JSON by extension)."""
    text = (SAMPLES / name).read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else yaml.safe_load(text)


def _sample(name: str) -> WizardData:
    return parse_wizard(_document(name))


def _bpm_input(**fields: Any) -> BpmEstimationInput:
    """A BPM question with placeholder phrases that name no genre."""
    return BpmEstimationInput(input_phrase="a track", standardized_phrase="a track", **fields)


# ---------------------------------------------------------------------------------------------
# describe(): golden sentences

GOLDEN: list[tuple[str, Register, str]] = [
    (
        "rock.yaml",
        Register.VIVID,
        (
            "Like a city skyline pulsing to a drumbeat, this energetic, uplifting Alternative Rock "
            "track surges at 140 BPM, all high energy and dense texture. Every bar burns bright as a "
            "distorted, aggressive electric guitar blazes a trail in the lead, driving, powerful "
            "drums beat out the rhythm like a heart and powerful male lead vocals rise like a flare."
        ),
    ),
    (
        "rock.yaml",
        Register.EVOCATIVE,
        (
            "An energetic, uplifting Alternative Rock track racing at 140 BPM, carried by high energy "
            "and a dense texture, where a distorted, aggressive electric guitar takes the lead, "
            "driving, powerful drums hold the rhythm and powerful male lead vocals soar above it all."
        ),
    ),
    (
        "rock.yaml",
        Register.BALANCED,
        (
            "An energetic, uplifting Alternative Rock track at 140 BPM with high energy and a dense "
            "texture, built on a distorted, aggressive lead electric guitar and driving, powerful "
            "rhythm drums, topped by powerful male lead vocals."
        ),
    ),
    (
        "rock.yaml",
        Register.PRECISE,
        (
            "An Alternative Rock track at 140 BPM with an energetic and uplifting mood, high energy "
            "and a dense texture, featuring a distorted, aggressive electric guitar in the lead role, "
            "driving, powerful drums in the rhythm role and powerful male lead vocals."
        ),
    ),
    (
        "rock.yaml",
        Register.TECHNICAL,
        (
            "Alternative Rock track, 140 BPM, high energy, dense texture, energetic/uplifting mood; "
            "distorted/aggressive electric guitar (lead), driving/powerful drums (rhythm); powerful "
            "male lead vocals."
        ),
    ),
    (
        "rock.yaml",
        Register.PROFESSIONAL,
        (
            "Alternative Rock track at 140 BPM, energetic and uplifting in character, with high "
            "energy and a dense texture, featuring distorted, aggressive electric guitar on lead, "
            "driving, powerful drums on rhythm and powerful male lead vocals."
        ),
    ),
    (
        "jazz.json",
        Register.VIVID,
        (
            "Like a river humming its own melody, this relaxed, romantic Smooth Jazz track flows at "
            "90 BPM, all medium energy."
        ),
    ),
    (
        "jazz.json",
        Register.EVOCATIVE,
        "A relaxed, romantic Smooth Jazz track moving at 90 BPM, carried by medium energy.",
    ),
    (
        "jazz.json",
        Register.BALANCED,
        "A relaxed, romantic Smooth Jazz track at 90 BPM with medium energy.",
    ),
    (
        "jazz.json",
        Register.PRECISE,
        "A Smooth Jazz track at 90 BPM with a relaxed and romantic mood and medium energy.",
    ),
    (
        "jazz.json",
        Register.TECHNICAL,
        "Smooth Jazz track, 90 BPM, medium energy, relaxed/romantic mood.",
    ),
    (
        "jazz.json",
        Register.PROFESSIONAL,
        "Smooth Jazz track at 90 BPM, relaxed and romantic in character, with medium energy.",
    ),
    (
        "techno.yaml",
        Register.VIVID,
        (
            "Like a city skyline pulsing to a drumbeat, this dark, hypnotic instrumental Techno "
            "Electronic track surges at 132 BPM, all high energy and sparse, metallic texture. Every "
            "bar burns bright as a booming, distorted 808 kick beats out the rhythm like a heart, "
            "acid, squelchy analog synths blaze a trail in the lead and hi-hats scatter percussion "
            "like rain on a tin roof."
        ),
    ),
    (
        "techno.yaml",
        Register.EVOCATIVE,
        (
            "A dark, hypnotic instrumental Techno Electronic track racing at 132 BPM, carried by high "
            "energy and a sparse, metallic texture, where a booming, distorted 808 kick holds the "
            "rhythm, acid, squelchy analog synths take the lead and hi-hats drive the percussion."
        ),
    ),
    (
        "techno.yaml",
        Register.BALANCED,
        (
            "A dark, hypnotic instrumental Techno Electronic track at 132 BPM with high energy and a "
            "sparse, metallic texture, built on a booming, distorted rhythm 808 kick, acid, squelchy "
            "lead analog synths and hi-hats on percussion."
        ),
    ),
    (
        "techno.yaml",
        Register.PRECISE,
        (
            "An instrumental Techno Electronic track at 132 BPM with a dark and hypnotic mood, high "
            "energy and a sparse, metallic texture, featuring a booming, distorted 808 kick in the "
            "rhythm role, acid, squelchy analog synths in the lead role and hi-hats in the percussion "
            "role."
        ),
    ),
    (
        "techno.yaml",
        Register.TECHNICAL,
        (
            "Instrumental Techno Electronic track, 132 BPM, high energy, sparse/metallic texture, "
            "dark/hypnotic mood; booming/distorted 808 kick (rhythm), acid/squelchy analog synths "
            "(lead), hi-hats (percussion)."
        ),
    ),
    (
        "techno.yaml",
        Register.PROFESSIONAL,
        (
            "Instrumental Techno Electronic track at 132 BPM, dark and hypnotic in character, with "
            "high energy and a sparse, metallic texture, featuring booming, distorted 808 kick on "
            "rhythm, acid, squelchy analog synths on lead and hi-hats on percussion."
        ),
    ),
    (
        "folk.json",
        Register.VIVID,
        (
            "Like a lullaby sung to an empty room, this nostalgic Folk track drifts, all low energy "
            "and warm, intimate texture. Every bar breathes slowly as a fingerpicked acoustic guitar "
            "beats out the rhythm like a heart, a gentle fiddle sings the melody like a bird at dawn "
            "and soft, breathy female lead vocals curl like smoke."
        ),
    ),
    (
        "folk.json",
        Register.EVOCATIVE,
        (
            "A nostalgic Folk track, carried by low energy and a warm, intimate texture, where a "
            "fingerpicked acoustic guitar holds the rhythm, a gentle fiddle carries the melody and "
            "soft, breathy female lead vocals float above."
        ),
    ),
    (
        "folk.json",
        Register.BALANCED,
        (
            "A nostalgic Folk track with low energy and a warm, intimate texture, built on a "
            "fingerpicked rhythm acoustic guitar and a gentle fiddle on melody, topped by soft, breathy "
            "female lead vocals."
        ),
    ),
    (
        "folk.json",
        Register.PRECISE,
        (
            "A Folk track with a nostalgic mood, low energy and a warm, intimate texture, featuring a "
            "fingerpicked acoustic guitar in the rhythm role, a gentle fiddle in the melody role and "
            "soft, breathy female lead vocals."
        ),
    ),
    (
        "folk.json",
        Register.TECHNICAL,
        (
            "Folk track, low energy, warm/intimate texture, nostalgic mood; fingerpicked acoustic "
            "guitar (rhythm), gentle fiddle (melody); soft/breathy female lead vocals."
        ),
    ),
    (
        "folk.json",
        Register.PROFESSIONAL,
        (
            "Folk track, nostalgic in character, with low energy and a warm, intimate texture, "
            "featuring fingerpicked acoustic guitar on rhythm, gentle fiddle on melody and soft, "
            "breathy female lead vocals."
        ),
    ),
]


@pytest.mark.parametrize(("sample", "register", "expected"), GOLDEN)
def test_golden_sentence(sample: str, register: Register, expected: str) -> None:
    assert describe(_sample(sample), register) == expected


def test_every_register_has_golden_sentences_for_three_samples_or_more() -> None:
    for register in Register:
        assert len({sample for sample, reg, _ in GOLDEN if reg is register}) >= 3


def test_registers_read_differently() -> None:
    texts = [describe(_sample("rock.yaml"), register) for register in Register]
    for first, second in itertools.combinations(texts, 2):
        assert first != second


def test_vivid_is_at_most_two_sentences_and_the_rest_one() -> None:
    wizard = _sample("rock.yaml")
    for register in Register:
        sentences = describe(wizard, register).count(". ") + 1
        assert sentences == (2 if register is Register.VIVID else 1)


# ---------------------------------------------------------------------------------------------
# describe(): missing fields and grammar hygiene

SPARSE: dict[str, dict[str, Any]] = {
    "only genre": {"genre": "Ambient"},
    "only mood": {"mood": ["melancholic", "dreamy"]},
    "instruments without descriptors": {
        "instrumentation": [
            {"instrument": "Piano", "role": "harmony"},
            {"instrument": "Cello", "role": "countermelody"},
        ]
    },
    "vocals none": {"genre": "Techno", "vocals": {"presence": "none"}},
    "vocals without gender or style": {"vocals": {"presence": "background"}},
    "empty": {},
}


def _assert_clean(text: str) -> None:
    """No trace of a missing field: stray spaces, orphan punctuation, doubled or empty bits."""
    for flaw in ("  ", " ,", ",.", "..", " .", ",,", "()", ";;", "; ;"):
        assert flaw not in text, (flaw, text)
    assert not re.search(r"\b(a|an) (a|an)\b", text, re.IGNORECASE), text
    assert text[0].isupper() and text.endswith("."), text


def _given_words(document: dict[str, Any]) -> set[str]:
    """Every word the user typed, lower case; a vocals 'none' shows up as 'instrumental'."""
    words: set[str] = set()
    for key, value in document.items():
        if key == "vocals" and value.get("presence") == "none":
            words.add("instrumental")
        else:
            words.update(re.findall(r"[a-z0-9]+", json.dumps(value).lower()))
    keys = {"primary", "secondary", "instrument", "role", "descriptors", "presence", "gender", "style"}
    return words - keys


@pytest.mark.parametrize("register", list(Register))
@pytest.mark.parametrize("case", list(SPARSE))
def test_missing_fields_leave_no_trace(case: str, register: Register) -> None:
    document = SPARSE[case]
    text = describe(WizardData.model_validate(document), register)
    _assert_clean(text)
    assert _given_words(document) <= set(re.findall(r"[a-z0-9]+", text.lower())), text


@pytest.mark.parametrize("register", list(Register))
@pytest.mark.parametrize("sample", ["rock.yaml", "jazz.json", "techno.yaml", "folk.json", "minimal.yaml"])
def test_samples_read_cleanly_with_every_field(sample: str, register: Register) -> None:
    document = _document(sample)
    text = describe(parse_wizard(document), register)
    _assert_clean(text)
    assert _given_words(document) <= set(re.findall(r"[a-z0-9]+", text.lower())), text


@pytest.mark.parametrize("register", [r for r in Register if r is not Register.VIVID])
def test_empty_wizard_is_a_piece_of_music(register: Register) -> None:
    assert describe(WizardData(), register) == "A piece of music."


def test_empty_wizard_vivid_still_names_music() -> None:
    expected = "Like a long road unrolling to a steady groove, this piece of music flows."
    assert describe(WizardData(), Register.VIVID) == expected


def test_values_that_say_nothing_are_dropped() -> None:
    wizard = WizardData.model_validate(
        {
            "genre": "Rock.",
            "mood": [".", "sad"],
            "instrumentation": [{"instrument": "...", "role": "lead"}],
            "vocals": {"presence": "lead", "style": "?"},
        }
    )
    assert describe(wizard, Register.PRECISE) == "A Rock track with a sad mood, featuring lead vocals."


def test_genre_keeps_its_case_and_form_title_case_is_lowered() -> None:
    wizard = WizardData.model_validate(
        {
            "genre": "J-Pop",
            "instrumentation": {"instrument": "Fender Rhodes Piano", "role": "Lead", "descriptors": "Warm"},
        }
    )
    expected = "A J-Pop track, featuring a warm Fender Rhodes piano in the lead role."
    assert describe(wizard, Register.PRECISE) == expected


def test_instruments_sharing_a_role_share_a_verb() -> None:
    wizard = WizardData.model_validate(
        {
            "instrumentation": [
                {"instrument": "Guitar", "role": "rhythm"},
                {"instrument": "Drums", "role": "rhythm"},
            ]
        }
    )
    assert describe(wizard, Register.EVOCATIVE) == "A piece of music, where a guitar and drums hold the rhythm."


# ---------------------------------------------------------------------------------------------
# describe(): articles


@pytest.mark.parametrize(
    ("document", "register", "expected"),
    [
        ({"mood": ["upbeat"]}, Register.BALANCED, "An upbeat piece of music."),
        ({"mood": ["euphoric"]}, Register.BALANCED, "A euphoric piece of music."),
        ({"mood": ["unique"]}, Register.BALANCED, "A unique piece of music."),
        ({"genre": "808 Trap"}, Register.PRECISE, "An 808 Trap track."),
        ({"genre": "EDM"}, Register.PRECISE, "An EDM track."),
        ({"genre": "UK Garage"}, Register.PRECISE, "A UK Garage track."),
        ({"genre": "Hip Hop"}, Register.PRECISE, "A Hip Hop track."),
        ({"texture": ["hour-long"]}, Register.PRECISE, "A piece of music with an hour-long texture."),
        (
            {"instrumentation": [{"instrument": "808 Kick", "role": "rhythm"}]},
            Register.EVOCATIVE,
            "A piece of music, where an 808 kick holds the rhythm.",
        ),
        (
            {"instrumentation": [{"instrument": "Uke", "role": "lead"}]},
            Register.EVOCATIVE,
            "A piece of music, where a uke takes the lead.",
        ),
        (
            {"instrumentation": [{"instrument": "Organ", "role": "pad", "descriptors": ["euphoric"]}]},
            Register.PRECISE,
            "A piece of music, featuring a euphoric organ in the pad role.",
        ),
    ],
)
def test_articles_follow_the_sound(document: dict[str, Any], register: Register, expected: str) -> None:
    assert describe(WizardData.model_validate(document), register) == expected


# ---------------------------------------------------------------------------------------------
# Determinism and poetic levels


@pytest.mark.parametrize(
    ("level", "register"),
    [
        (1, Register.VIVID),
        (20, Register.VIVID),
        (21, Register.EVOCATIVE),
        (40, Register.EVOCATIVE),
        (41, Register.BALANCED),
        (60, Register.BALANCED),
        (61, Register.PRECISE),
        (80, Register.PRECISE),
        (81, Register.TECHNICAL),
        (100, Register.TECHNICAL),
    ],
)
def test_poetic_level_bands(level: int, register: Register) -> None:
    assert register_for_poetic_level(level) is register
    wizard = _sample("rock.yaml")
    assert describe(wizard, register_for_poetic_level(level)) == describe(wizard, register)


@pytest.mark.parametrize("level", [0, 101, -5])
def test_poetic_level_outside_the_bands_is_refused(level: int) -> None:
    with pytest.raises(ValueError, match="between 1 and 100"):
        register_for_poetic_level(level)


def test_same_input_same_output() -> None:
    for register in Register:
        first = describe(_sample("techno.yaml"), register)
        assert describe(_sample("techno.yaml"), register) == first


def test_the_id_does_not_change_the_wording() -> None:
    document = _document("rock.yaml")
    for register in Register:
        tagged = describe(parse_wizard({**document, "id": "track-999"}), register)
        assert tagged == describe(parse_wizard(document), register)


def test_model_name() -> None:
    assert OFFLINE_MODEL == "offline-template"


# ---------------------------------------------------------------------------------------------
# estimate_bpm()

TEMPO_CASES: list[tuple[str | None, list[str] | None, int, int]] = [
    ("Electronic", ["House"], 118, 130),
    ("Electronic", ["Deep House"], 118, 125),
    ("Electronic", ["Techno"], 125, 140),
    ("Electronic", ["Melodic Techno"], 125, 140),
    ("Electronic", ["Ambient Techno"], 105, 125),
    ("Electronic", ["Trance"], 130, 140),
    ("Electronic", ["Drum & Bass"], 160, 180),
    ("Electronic", ["DnB"], 160, 180),
    ("Electronic", ["drum_and_bass"], 160, 180),
    ("Electronic", ["Dubstep"], 138, 142),
    ("Electronic", ["UK Garage"], 128, 135),
    ("Electronic", ["Hardstyle"], 145, 155),
    ("Electronic", ["Synthwave"], 80, 118),
    ("Lo-Fi", None, 70, 90),
    ("Rock", ["Punk"], 150, 200),
    ("Rock", ["Grunge"], 100, 130),
    ("Rock", ["Rock 'n' Roll"], 140, 180),
    ("Metal", ["Thrash"], 160, 200),
    ("Metal", ["Doom"], 50, 80),
    ("Metal", ["Metalcore"], 120, 160),
    ("Hip-Hop", ["Boom Bap"], 85, 95),
    ("hiphop", ["Trap"], 130, 150),
    ("Hip Hop", ["UK Drill"], 138, 145),
    ("Hip Hop", ["Lo-Fi Hip Hop"], 70, 90),
    ("hip_hop", None, 80, 100),
    ("R&B", None, 65, 95),
    ("Pop", ["K-Pop"], 100, 130),
    ("Pop", ["Synth-Pop"], 110, 130),
    ("Pop", ["Power Ballad"], 60, 80),
    ("Jazz", ["Bebop"], 180, 250),
    ("Jazz", ["Swing"], 120, 180),
    ("Jazz", ["Smooth Jazz"], 80, 105),
    ("Jazz", ["Bossa Nova"], 120, 140),
    ("Latin", ["Salsa"], 160, 220),
    ("Latin", ["Reggaetón"], 88, 100),
    ("Latin", ["Cumbia"], 85, 115),
    ("Latin", ["Bachata"], 120, 140),
    ("Latin", ["Samba"], 95, 110),
    ("World", ["Afrobeat"], 100, 120),
    ("Reggae", None, 60, 90),
    ("World", ["Dancehall"], 90, 110),
    ("World", ["Flamenco"], 90, 150),
    ("Classical", ["Baroque"], 80, 120),
    ("Classical", ["Romantic"], 60, 110),
    ("Classical", ["Minimalism"], 100, 140),
    ("Classical", ["March"], 110, 130),
    ("Classical", ["Waltz"], 84, 96),
    ("Ambient", None, 60, 90),
    (None, ["Downtempo"], 80, 110),
]


@pytest.mark.parametrize(("genre", "subgenres", "low", "high"), TEMPO_CASES)
def test_tempo_stays_in_the_genre_range(
    genre: str | None, subgenres: list[str] | None, low: int, high: int
) -> None:
    for energy in (None, ["low"], ["medium"], ["high", "intense"]):
        bpm = estimate_bpm(_bpm_input(genre=genre, subgenres=subgenres, energy=energy))
        assert low <= bpm <= high, (energy, bpm)


def test_no_energy_or_mood_is_the_middle_of_the_range() -> None:
    assert estimate_bpm(_bpm_input(genre="House")) == 124


@pytest.mark.parametrize("genre", ["House", "Techno", "Hip Hop", "Jazz", "Reggaeton", "Ambient", "Polka"])
def test_energy_moves_the_estimate(genre: str) -> None:
    low = estimate_bpm(_bpm_input(genre=genre, energy=["low"]))
    medium = estimate_bpm(_bpm_input(genre=genre, energy=["medium"]))
    high = estimate_bpm(_bpm_input(genre=genre, energy=["high"]))
    assert low < medium < high


def test_mood_nudges_less_than_energy() -> None:
    plain = estimate_bpm(_bpm_input(genre="Jazz"))
    euphoric = estimate_bpm(_bpm_input(genre="Jazz", mood=["euphoric"]))
    sad = estimate_bpm(_bpm_input(genre="Jazz", mood="sad"))
    energetic = estimate_bpm(_bpm_input(genre="Jazz", energy=["high"]))
    assert sad < plain < euphoric < energetic


def test_the_guide_example_is_fast_techno() -> None:
    assert estimate_bpm(parse_bpm_input(_document("bpm.yaml"))) == 140


def test_sub_genre_beats_genre() -> None:
    assert estimate_bpm(_bpm_input(genre="Rock", subgenres=["Doom Metal"])) <= 80
    assert estimate_bpm(_bpm_input(genre="Electronic", subgenres=["Drum and Bass"])) >= 160


def test_a_given_bpm_is_used_as_is() -> None:
    assert estimate_bpm(_bpm_input(genre="Techno", energy=["low"], bpm=97)) == 97


@pytest.mark.parametrize(
    ("given", "expected"), [(1, 40), (39, 40), (40, 40), (250, 250), (251, 250), (999, 250)]
)
def test_a_given_bpm_is_clamped(given: int, expected: int) -> None:
    assert estimate_bpm(_bpm_input(bpm=given)) == expected


def test_unknown_genre_falls_back_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="adp")
    assert estimate_bpm(_bpm_input(genre="Polka")) == 110
    assert estimate_bpm(_bpm_input(genre="Polka", energy=["high"])) == 125
    messages = [r.getMessage() for r in caplog.records if r.name == "adp" and r.levelno == logging.INFO]
    assert messages[0] == "unknown genre 'Polka'; using the generic 90-130 BPM range"


def test_no_genre_falls_back_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="adp")
    assert estimate_bpm(_bpm_input()) == 110
    assert "no genre given" in caplog.text


def test_with_no_genre_the_phrases_are_searched() -> None:
    item = BpmEstimationInput(input_phrase="A chill lo-fi hip hop beat", standardized_phrase="Relaxed beats")
    assert 70 <= estimate_bpm(item) <= 90


def test_a_mood_word_in_a_phrase_is_not_a_genre(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="adp")
    item = BpmEstimationInput(input_phrase="A romantic evening", standardized_phrase="A romantic evening")
    assert estimate_bpm(item) == 110
    assert "generic" in caplog.text


@pytest.mark.parametrize(
    "energy", [None, ["low", "calm"], ["very high", "aggressive", "frantic"], ["unheard-of"]]
)
@pytest.mark.parametrize("genre", ["Drone", "Doom Metal", "Bebop", "Salsa", "Polka", None])
@pytest.mark.parametrize("mood", [None, ["euphoric", "angry"], ["sad", "peaceful"]])
def test_always_between_40_and_250(
    genre: str | None, energy: list[str] | None, mood: list[str] | None
) -> None:
    assert 40 <= estimate_bpm(_bpm_input(genre=genre, energy=energy, mood=mood)) <= 250


# ---------------------------------------------------------------------------------------------
# samples/


@pytest.mark.parametrize("name", ["rock.yaml", "jazz.json", "techno.yaml", "folk.json", "minimal.yaml"])
def test_wizard_samples_validate(name: str) -> None:
    assert parse_wizard(_document(name)).genre is not None


def test_bpm_sample_is_a_bpm_input() -> None:
    item = parse_bpm_input(_document("bpm.yaml"))
    assert item.input_phrase == "A fast-paced techno track with pounding kicks"
    assert item.subgenres == ["Techno"] and item.texture == ["dense"]


def test_batch_sample_items_validate_with_ids() -> None:
    lines = (SAMPLES / "batch.jsonl").read_text(encoding="utf-8").splitlines()
    items = [parse_wizard(json.loads(line)) for line in lines]
    assert [item.id for item in items] == [f"track-{n:03d}" for n in range(1, 21)]
    for item in items:
        bpm = estimate_bpm(parse_bpm_input(json.loads(item.model_dump_json(exclude_none=True))))
        assert 40 <= bpm <= 250
        for register in Register:
            _assert_clean(describe(item, register))


def test_noun_roles_follow_the_instrument_in_the_balanced_register() -> None:
    """'a warm Rhodes on chords', never 'a warm chords Rhodes'; adjectival roles stay in front."""
    wizard = WizardData(
        instrumentation=[
            Instrumentation(instrument="Rhodes", role="chords", descriptors=["warm"]),
            Instrumentation(instrument="Electric Guitar", role="lead"),
        ]
    )
    assert describe(wizard, Register.BALANCED) == "A piece of music, built on a warm Rhodes on chords and a lead electric guitar."
