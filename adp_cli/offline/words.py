"""Energy and mood words as numbers: how intense a piece sounds, from -1 (calm) to 1 (intense).

Both halves of the offline provider read the same words: the templates pick their imagery by it
and the tempo estimate moves toward the fast or slow end of a genre's range by it, so one table
keeps a "driving" track driving in both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# Values run from -1 (calm, slow) to 1 (intense, fast); unknown words count as nothing.

_ENERGY_WORDS: dict[str, float] = {
    "very low": -1.0, "low": -1.0, "calm": -0.9, "slow": -1.0, "chill": -0.8, "relaxed": -0.8,
    "laid back": -0.8, "subdued": -0.8, "quiet": -0.8, "mellow": -0.7, "gentle": -0.7,
    "soft": -0.7, "medium": 0.0, "moderate": 0.0, "mid": 0.0, "steady": 0.0, "balanced": 0.0,
    "powerful": 0.7, "upbeat": 0.7, "driving": 0.8, "energetic": 0.9, "high": 1.0,
    "very high": 1.0, "intense": 1.0, "aggressive": 1.0, "explosive": 1.0, "frantic": 1.0,
    "fast": 1.0,
}

_MOOD_WORDS: dict[str, float] = {
    "peaceful": -0.9, "serene": -0.9, "calm": -0.8, "melancholic": -0.8, "melancholy": -0.8,
    "sad": -0.8, "somber": -0.7, "sombre": -0.7, "dreamy": -0.7, "relaxed": -0.7,
    "chill": -0.6, "tender": -0.6, "reflective": -0.5, "romantic": -0.4, "nostalgic": -0.4,
    "epic": 0.3, "playful": 0.4, "tense": 0.4, "happy": 0.5, "uplifting": 0.5,
    "triumphant": 0.5, "joyful": 0.6, "excited": 0.8, "upbeat": 0.8, "energetic": 0.9,
    "angry": 0.9, "aggressive": 0.9, "euphoric": 1.0,
}

# Energy leads; mood only nudges (an "energetic" mood in a low-energy track stays fairly calm).
_ENERGY_WEIGHT = 0.75
_MOOD_WEIGHT = 0.25


def _word_values(words: Iterable[str], table: Mapping[str, float]) -> list[float]:
    """Values of the known words; "very high" or "high-energy" fall back to their single words."""
    values: list[float] = []
    for word in words:
        key = " ".join(re.sub(r"[^a-z]+", " ", word.lower()).split())
        if key in table:
            values.append(table[key])
        else:
            values.extend(table[token] for token in key.split() if token in table)
    return values


def _mean_value(words: Iterable[str] | None, table: Mapping[str, float]) -> float:
    values = _word_values(words or (), table)
    return sum(values) / len(values) if values else 0.0


def drive(energy: Iterable[str] | None, mood: Iterable[str] | None) -> float:
    """How intense the music sounds, from -1 to 1: the mean energy word, nudged by the moods."""
    value = _ENERGY_WEIGHT * _mean_value(energy, _ENERGY_WORDS) + _MOOD_WEIGHT * _mean_value(mood, _MOOD_WORDS)
    return max(-1.0, min(1.0, value))
