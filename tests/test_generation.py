"""The shared request path's limit check: exact, yet counting tokens only when bytes can't decide."""

from __future__ import annotations

import pytest

from adp_cli.accounting import tokens
from adp_cli.accounting.tokens import count_tokens
from adp_cli.errors import TokenLimitError
from adp_cli.tasks.bpm import BPM
from adp_cli.tasks.casual import CASUAL
from adp_cli.tasks.prepared import prepare
from adp_cli.tasks.settings import Settings
from adp_cli.tasks.structure import STRUCTURE
from adp_cli.tasks.wizard import parse_bpm_input, parse_wizard

ROCK = {"genre": {"primary": "Rock", "secondary": ["Alternative Rock"]}, "mood": ["energetic"], "bpm": 140}


def _wordy(moods: int, word: str) -> dict[str, object]:
    return {"genre": "Ambient", "mood": [f"{word} {index}" for index in range(moods)]}


def test_a_prompt_within_limit_bytes_is_not_counted(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """One-shots and batch items skip the count when the byte length already proves the limit."""

    def no_count(text: str) -> int:
        raise AssertionError("counted a prompt whose byte length proves it is within the limit")

    monkeypatch.setattr("adp_cli.tasks.prepared.count_tokens", no_count)
    prepared = prepare(CASUAL, parse_wizard(ROCK), Settings())
    assert len(prepared.prompt_text.encode("utf-8")) <= 900
    assert prepared.over_limit is False
    assert prepare(BPM, parse_bpm_input(ROCK), Settings()).over_limit is False  # bpm has no limit


@pytest.mark.parametrize(
    ("moods", "word"),
    [
        (0, "x"),
        (30, "calm"),
        (120, "calm"),
        (40, "über-dreamy ✨"),
        (50, "a b c d e f g h " * 3),
        (100, "x " * 25),
        (100, "x " * 40),
    ],
)
def test_over_limit_agrees_with_the_exact_count(env: dict[str, str], moods: int, word: str) -> None:
    wizard = parse_wizard({**_wordy(min(moods, 50), word), "texture": [f"{word} t{i}" for i in range(max(0, moods - 50))][:50]})
    for task in (CASUAL, STRUCTURE):
        prepared = prepare(task, wizard, Settings(), enforce_limit=False)
        assert prepared.over_limit == (count_tokens(prepared.prompt_text) > (task.limit or 0))
        assert prepared.prompt_tokens == count_tokens(prepared.prompt_text)


def test_the_agreement_cases_cover_both_sides_of_both_limits(env: dict[str, str]) -> None:
    """Guard for the table above: it must include prompts over and under each limit."""
    outcomes = {
        (
            task.name,
            prepare(task, parse_wizard({**_wordy(50, word), "texture": [f"{word} t{i}" for i in range(50)]}), Settings(), enforce_limit=False).over_limit,
        )
        for word in ("calm", "x " * 40)
        for task in (CASUAL, STRUCTURE)
    }
    assert outcomes == {("casual", False), ("casual", True), ("structure", False), ("structure", True)}


def test_over_the_limit_raises_with_the_exact_count(env: dict[str, str]) -> None:
    wizard = parse_wizard({"genre": "Ambient", "mood": [f"mood number {index} " * 20 for index in range(50)]})
    with pytest.raises(TokenLimitError) as caught:
        prepare(CASUAL, wizard, Settings())
    expected = tokens.count_tokens(prepare(CASUAL, wizard, Settings(), enforce_limit=False).prompt_text)
    assert caught.value.tokens == expected > 900
    assert str(caught.value) == f"Token limit exceeded: {expected} > 900 (o200k_base); nothing was sent"
