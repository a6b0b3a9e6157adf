"""The three prompts: the guide's style bands and message formats, where prompt files are found."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest

from adp_cli.accounting.tokens import count_tokens
from adp_cli.errors import ConfigError
from adp_cli.tasks import messages
from adp_cli.tasks.messages import (
    BPM_PROMPT,
    CASUAL_PROMPT,
    PHRASE_PROMPT,
    bpm_messages,
    casual_messages,
    load_bpm_estimator_prompt,
    load_casual_prompt_file,
    load_phrase_prompt_file,
    prompts_dir,
    structure_messages,
    style_instruction,
)
from adp_cli.tasks.wizard import (
    BpmEstimationInput,
    build_music_data_string,
    build_structured_json,
    parse_wizard,
)

REPO_PROMPTS = Path(__file__).resolve().parents[1] / "prompts"

# The guide's five style instructions, verbatim.
VERY_POETIC = (
    "\n\n**IMPORTANT STYLE INSTRUCTION:** Be EXTREMELY poetic, flowery, and metaphorical. "
    "Use vivid imagery, creative comparisons, and evocative language. Prioritize emotional "
    "impact and artistic expression over technical accuracy. Paint a picture with words, "
    "but still make it clearly about music, with at least 1 musical term"
)
POETIC = (
    "\n\n**IMPORTANT STYLE INSTRUCTION:** Be quite poetic and descriptive. Use metaphors, "
    "imagery, and colorful language. Balance artistic expression with some musical references, "
    "with at least 1 musical term."
)
BALANCED = (
    "\n\n**IMPORTANT STYLE INSTRUCTION:** Balance poetic description with musical terminology. "
    "Mix creative language with accurate music, instrument and genre references, with at least "
    "1 musical term"
)
FACTUAL = (
    "\n\n**IMPORTANT STYLE INSTRUCTION:** Be precise and musical. Use proper instrument names, "
    "genre terms, and technical vocabulary. Include specific musical characteristics while "
    "keeping it accessible."
)
VERY_FACTUAL = (
    "\n\n**IMPORTANT STYLE INSTRUCTION:** Be EXTREMELY factual, precise, and technical. "
    "Use specific instrument names, exact musical terms, genre classifications, and production "
    "techniques. Prioritize accuracy and clarity. Describe using realistic musical and instrument "
    "terminology as logical and precise as possible."
)

ROCK = {
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


@pytest.fixture(autouse=True)
def fresh_prompt_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Prompt files are read through a cache keyed by folder; no test sees another's reads."""
    monkeypatch.delenv("ADP_PROMPTS_DIR", raising=False)
    messages._read.cache_clear()
    yield
    messages._read.cache_clear()


@pytest.fixture
def custom_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "my-prompts"
    folder.mkdir()
    (folder / CASUAL_PROMPT).write_text("CASUAL BASE", encoding="utf-8")
    (folder / PHRASE_PROMPT).write_text("PHRASE BASE\n", encoding="utf-8")
    (folder / BPM_PROMPT).write_text("\n  BPM BASE  \n\n", encoding="utf-8")
    return folder


def _shipped(name: str) -> str:
    return (REPO_PROMPTS / name).read_text(encoding="utf-8")


# -- style bands -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (1, VERY_POETIC),
        (20, VERY_POETIC),
        (21, POETIC),
        (40, POETIC),
        (41, BALANCED),
        (50, BALANCED),
        (60, BALANCED),
        (61, FACTUAL),
        (80, FACTUAL),
        (81, VERY_FACTUAL),
        (100, VERY_FACTUAL),
    ],
)
def test_style_instruction_bands(level: int, expected: str) -> None:
    assert style_instruction(level) == expected
    assert load_casual_prompt_file(level) == _shipped(CASUAL_PROMPT) + expected


def test_default_poetic_level_is_balanced() -> None:
    assert load_casual_prompt_file() == _shipped(CASUAL_PROMPT) + BALANCED


# -- message formats -------------------------------------------------------------------------


def test_casual_message() -> None:
    wizard = parse_wizard(ROCK)
    messages = casual_messages(wizard, 30)
    assert messages == [
        {
            "role": "user",
            "content": _shipped(CASUAL_PROMPT)
            + POETIC
            + "\n\nMusic Data: Genre: Rock. (Alternative Rock). Mood: energetic, uplifting. Energy: high. "
            "Texture: dense. Instruments: Electric Guitar (lead), Drums (rhythm). Vocals: lead powerful. "
            "Tempo: 140 BPM",
        }
    ]


def test_casual_message_with_custom_folder(custom_dir: Path) -> None:
    wizard = parse_wizard({"genre": "Jazz", "mood": "relaxed"})
    assert casual_messages(wizard, 90, custom_dir) == [
        {"role": "user", "content": "CASUAL BASE" + VERY_FACTUAL + "\n\nMusic Data: Genre: Jazz. Mood: relaxed"}
    ]


def test_structure_message() -> None:
    wizard = parse_wizard({"genre": {"primary": "Jazz", "secondary": ["Smooth Jazz"]}, "mood": ["relaxed"]})
    assert structure_messages(wizard) == [
        {
            "role": "user",
            "content": _shipped(PHRASE_PROMPT)
            + "\n\nPlease generate a phrase for the following structured data:\n\n"
            + '{\n  "Genre": "Jazz",\n  "Sub-genre": "Smooth Jazz",\n  "Mood": [\n    "relaxed"\n  ]\n}',
        }
    ]


def test_structure_message_with_custom_folder(custom_dir: Path) -> None:
    wizard = parse_wizard({"genre": "Techno"})
    assert structure_messages(wizard, custom_dir) == [
        {
            "role": "user",
            "content": 'PHRASE BASE\n\n\nPlease generate a phrase for the following structured data:\n\n{\n  "Genre": "Techno"\n}',
        }
    ]


def test_bpm_messages() -> None:
    item = BpmEstimationInput(
        input_phrase="A fast-paced techno track with pounding kicks",
        standardized_phrase="High-energy electronic dance music with driving percussion",
        genre="Electronic",
        subgenres=["Techno"],
        energy=["high", "intense"],
        mood=["energetic"],
    )
    assert bpm_messages(item) == [
        {"role": "system", "content": _shipped(BPM_PROMPT).strip()},
        {
            "role": "user",
            "content": 'Input Phrase: "A fast-paced techno track with pounding kicks"\n'
            "\n"
            'Standardized Phrase: "High-energy electronic dance music with driving percussion"\n'
            "\n"
            "Structured Terms:\n"
            "- Genre: Electronic\n"
            "- Subgenres: Techno\n"
            "- Mood: energetic\n"
            "- Energy: high, intense\n"
            "- Texture: None\n"
            "\n"
            "Provide only the BPM as a single integer.",
        },
    ]


def test_bpm_messages_with_nothing_but_phrases(custom_dir: Path) -> None:
    item = BpmEstimationInput(input_phrase="slow waltz", standardized_phrase="A slow waltz")
    assert bpm_messages(item, custom_dir) == [
        {"role": "system", "content": "BPM BASE"},
        {
            "role": "user",
            "content": 'Input Phrase: "slow waltz"\n\nStandardized Phrase: "A slow waltz"\n\nStructured Terms:\n'
            "- Genre: None\n- Subgenres: None\n- Mood: None\n- Energy: None\n- Texture: None\n\n"
            "Provide only the BPM as a single integer.",
        },
    ]


# -- where the files come from ---------------------------------------------------------------


def test_packaged_prompts_are_found_via_importlib_resources() -> None:
    folder = prompts_dir()
    assert folder == Path(str(files("adp_cli.prompt_files")))
    for name in (CASUAL_PROMPT, PHRASE_PROMPT, BPM_PROMPT):
        assert (folder / name).is_file()
        assert (files("adp_cli.prompt_files") / name).read_text(encoding="utf-8") == _shipped(name)
    assert load_phrase_prompt_file() == _shipped(PHRASE_PROMPT)
    assert load_bpm_estimator_prompt() == _shipped(BPM_PROMPT).strip()


def test_shipped_prompts_are_not_empty() -> None:
    for name in (CASUAL_PROMPT, PHRASE_PROMPT, BPM_PROMPT):
        assert _shipped(name).strip()


def test_adp_prompts_dir_overrides(custom_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADP_PROMPTS_DIR", str(custom_dir))
    assert prompts_dir() == custom_dir
    assert load_casual_prompt_file(1) == "CASUAL BASE" + VERY_POETIC
    assert load_phrase_prompt_file() == "PHRASE BASE\n"
    assert load_bpm_estimator_prompt() == "BPM BASE"


def test_folder_argument_beats_adp_prompts_dir(custom_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADP_PROMPTS_DIR", str(tmp_path / "elsewhere"))
    assert prompts_dir(custom_dir) == custom_dir
    assert load_phrase_prompt_file(custom_dir) == "PHRASE BASE\n"
    assert load_bpm_estimator_prompt(custom_dir) == "BPM BASE"


@pytest.mark.parametrize("name", [CASUAL_PROMPT, PHRASE_PROMPT, BPM_PROMPT])
def test_missing_prompt_file_is_a_config_error_naming_the_path(custom_dir: Path, name: str) -> None:
    (custom_dir / name).unlink()
    load = {
        CASUAL_PROMPT: lambda: load_casual_prompt_file(50, custom_dir),
        PHRASE_PROMPT: lambda: load_phrase_prompt_file(custom_dir),
        BPM_PROMPT: lambda: load_bpm_estimator_prompt(custom_dir),
    }[name]
    with pytest.raises(ConfigError) as caught:
        load()
    assert str(custom_dir / name) in str(caught.value)
    assert str(caught.value).startswith("cannot read prompt file ")


def test_missing_prompts_dir_from_env_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADP_PROMPTS_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(ConfigError, match="nowhere"):
        load_casual_prompt_file()


def test_non_utf8_prompt_file_is_a_config_error(custom_dir: Path) -> None:
    (custom_dir / PHRASE_PROMPT).write_bytes(b"caf\xe9 \xff")
    with pytest.raises(ConfigError, match="phrase-prompt.md"):
        load_phrase_prompt_file(custom_dir)


# -- size ------------------------------------------------------------------------------------


def test_rich_casual_prompt_is_well_under_the_limit(env: dict[str, str]) -> None:
    wizard = parse_wizard(
        {
            "genre": {"primary": "Rock", "secondary": ["Alternative Rock", "Grunge"]},
            "mood": ["energetic", "uplifting", "defiant"],
            "energy": ["high"],
            "texture": ["dense", "gritty"],
            "instrumentation": [
                {"instrument": "Electric Guitar", "role": "lead", "descriptors": ["distorted"]},
                {"instrument": "Bass Guitar", "role": "rhythm"},
                {"instrument": "Drums", "role": "rhythm"},
                {"instrument": "Hammond Organ", "role": "pad"},
            ],
            "vocals": {"presence": "lead", "gender": "male", "style": "powerful"},
            "bpm": 140,
        }
    )
    longest = max(range(1, 101), key=lambda level: count_tokens(style_instruction(level)))
    assert style_instruction(longest) == VERY_POETIC
    content = casual_messages(wizard, longest)[0]["content"]
    assert count_tokens(content) == 227
    assert count_tokens(content) < 300


def test_music_string_and_json_are_what_the_messages_carry() -> None:
    wizard = parse_wizard(ROCK)
    assert casual_messages(wizard)[0]["content"].endswith("\n\nMusic Data: " + build_music_data_string(wizard))
    assert structure_messages(wizard)[0]["content"].endswith("structured data:\n\n" + build_structured_json(wizard))
