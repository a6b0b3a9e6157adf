"""The offline tempo estimate: a genre's conventional BPM range, moved toward its ends by energy and mood.

Genre names arrive however people type them ("Hip-Hop", "DnB", "Drum 'n' Bass"), so they are
normalised to one spelling before the table is searched.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping

from adp_cli.offline.words import drive
from adp_cli.scales import clamp_bpm
from adp_cli.tasks.wizard import BpmEstimationInput

logger = logging.getLogger("adp")

# Conventional tempo range (low, high) in BPM per genre or sub-genre, keyed by normalised name.
# Half-time styles are listed at the tempo producers set in the DAW (full time): trap 130-150
# rather than its 65-75 half-time feel, dubstep 138-142 rather than 70.
_TEMPO_RANGES: dict[str, tuple[int, int]] = {
    # electronic
    "electronic": (110, 140),
    "edm": (120, 132),
    "house": (118, 130),
    "deep house": (118, 125),
    "tech house": (122, 128),
    "progressive house": (124, 130),
    "afro house": (118, 124),
    "techno": (125, 140),
    "minimal techno": (120, 130),
    "ambient techno": (105, 125),
    "hard techno": (140, 155),
    "trance": (130, 140),
    "psytrance": (138, 148),
    "drum and bass": (160, 180),
    "liquid drum and bass": (168, 176),
    "jungle": (160, 175),
    "dubstep": (138, 142),
    "garage": (128, 135),
    "2 step": (128, 135),
    "grime": (138, 142),
    "breakbeat": (125, 140),
    "hardstyle": (145, 155),
    "synthwave": (80, 118),
    "lo fi": (70, 90),
    "disco": (110, 125),
    "nu disco": (115, 125),
    "moombahton": (105, 115),
    # rock and metal
    "rock": (100, 140),
    "alternative rock": (100, 140),
    "indie rock": (110, 140),
    "hard rock": (110, 140),
    "classic rock": (100, 130),
    "rock and roll": (140, 180),
    "garage rock": (120, 160),
    "psychedelic rock": (90, 130),
    "post rock": (80, 130),
    "grunge": (100, 130),
    "punk": (150, 200),
    "pop punk": (150, 180),
    "hardcore punk": (160, 210),
    "metal": (100, 160),
    "thrash metal": (160, 200),
    "death metal": (160, 220),
    "power metal": (150, 190),
    "doom metal": (50, 80),
    "metalcore": (120, 160),
    "nu metal": (90, 120),
    # hip hop, r&b, soul and funk
    "hip hop": (80, 100),
    "boom bap": (85, 95),
    "trap": (130, 150),
    "drill": (138, 145),
    "lo fi hip hop": (70, 90),
    "chillhop": (70, 90),
    "g funk": (90, 100),
    "r and b": (65, 95),
    "neo soul": (70, 95),
    "soul": (70, 110),
    "funk": (95, 120),
    # pop
    "pop": (100, 130),
    "k pop": (100, 130),
    "j pop": (110, 140),
    "synth pop": (110, 130),
    "dance pop": (115, 128),
    "indie pop": (100, 125),
    "ballad": (60, 80),
    # jazz and blues
    "jazz": (80, 160),
    "bebop": (180, 250),  # often played faster still; the estimate is clamped to the BPM range anyway
    "swing": (120, 180),
    "big band": (120, 180),
    "smooth jazz": (80, 105),
    "acid jazz": (95, 120),
    "jazz fusion": (100, 140),
    "bossa nova": (120, 140),
    "blues": (70, 110),
    # latin (ballroom conventions where they exist)
    "latin": (90, 130),
    "salsa": (160, 220),
    "reggaeton": (88, 100),
    "cumbia": (85, 115),
    "bachata": (120, 140),
    "samba": (95, 110),
    "merengue": (120, 160),
    "cha cha": (112, 128),
    "rumba": (96, 108),
    "tango": (115, 130),
    # world
    "afrobeat": (100, 120),
    "afrobeats": (100, 115),
    "amapiano": (108, 116),
    "reggae": (60, 90),
    "dub": (60, 90),
    "ska": (110, 150),
    "dancehall": (90, 110),
    "soca": (150, 170),
    "flamenco": (90, 150),  # varies widely by palo, from slow soleares to fast bulerias
    # folk and country
    "folk": (80, 120),
    "country": (85, 125),
    "bluegrass": (110, 160),
    # classical and film
    "classical": (60, 140),
    "baroque": (80, 120),
    "romantic era": (60, 110),
    "minimalism": (100, 140),
    "march": (110, 130),
    "waltz": (84, 96),
    "viennese waltz": (170, 180),
    "cinematic": (70, 120),
    # ambient and downtempo
    "ambient": (60, 90),
    "downtempo": (80, 110),
    "chillout": (90, 110),
    "trip hop": (70, 95),
    "new age": (60, 90),
    "drone": (40, 70),
}

# Used when no genre is known; centred on 110, a middle-of-the-road tempo.
_GENERIC_RANGE: tuple[int, int] = (90, 130)

# Single spellings that stand for several words once punctuation is gone.
_TOKEN_ALIASES: dict[str, str] = {
    "hiphop": "hip hop",
    "dnb": "drum and bass",
    "drumnbass": "drum and bass",
    "lofi": "lo fi",
    "synthpop": "synth pop",
    "kpop": "k pop",
    "jpop": "j pop",
    "rnb": "r and b",
    "boombap": "boom bap",
    "triphop": "trip hop",
}

# Other names people use for a table entry. Only given genre names go through these: a phrase
# such as "a romantic evening" must not be read as the Romantic era.
_NAME_ALIASES: dict[str, str] = {
    "rap": "hip hop",
    "d and b": "drum and bass",
    "liquid funk": "liquid drum and bass",
    "uk garage": "garage",
    "psy trance": "psytrance",
    "psychedelic trance": "psytrance",
    "thrash": "thrash metal",
    "doom": "doom metal",
    "heavy metal": "metal",
    "electropop": "synth pop",
    "be bop": "bebop",
    "rhythm and blues": "r and b",
    "chill out": "chillout",
    "chill hop": "chillhop",
    "cha cha cha": "cha cha",
    "romantic": "romantic era",
    "minimalist": "minimalism",
    "film score": "cinematic",
    "soundtrack": "cinematic",
    "orchestral": "cinematic",
}


def _normalise(name: str) -> str:
    """One spelling per name: case, accents, '&'/'n', hyphens, underscores and joined forms."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"['’]", "", text.replace("&", " and "))
    tokens = re.sub(r"[^a-z0-9]+", " ", text).split()
    words = " ".join(_TOKEN_ALIASES.get(token, token) for token in tokens).split()
    return " ".join("and" if word == "n" else word for word in words)


def _match(name: str, aliases: Mapping[str, str]) -> str | None:
    """The table key for ``name``, else for its longest run of words, rightmost first.

    Rightmost because English puts the head last: "Melodic Techno" is techno, "Dub Techno" too.
    """
    words = _normalise(name).split()
    for size in range(len(words), 0, -1):
        for start in range(len(words) - size, -1, -1):
            candidate = " ".join(words[start : start + size])
            key = aliases.get(candidate, candidate)
            if key in _TEMPO_RANGES:
                return key
    return None


def _find_genre_key(item: BpmEstimationInput) -> str | None:
    """The most specific known genre: each sub-genre in turn, then the genre.

    With no genre at all, the phrases are searched for one, so ``adp bpm --phrase "fast techno"``
    still lands in the techno range.
    """
    names = [*(item.subgenres or []), *([item.genre] if item.genre else [])]
    if names:
        return next((key for name in names if (key := _match(name, _NAME_ALIASES))), None)
    phrases = (item.standardized_phrase, item.input_phrase)
    return next((key for phrase in phrases if (key := _match(phrase, {}))), None)


def estimate_bpm(item: BpmEstimationInput) -> int:
    """A tempo from the genre's conventional range, moved toward its ends by energy and mood."""
    if item.bpm is not None:
        return clamp_bpm(item.bpm)
    key = _find_genre_key(item)
    if key is None:
        low, high = _GENERIC_RANGE
        given = ", ".join(repr(name) for name in [*(item.subgenres or []), item.genre] if name)
        unknown = f"unknown genre {given}" if given else "no genre given or found in the phrases"
        logger.info("%s; using the generic %d-%d BPM range", unknown, low, high)
    else:
        low, high = _TEMPO_RANGES[key]
        logger.debug("tempo range for %s: %d-%d BPM", key, low, high)
    centre, half_width = (low + high) / 2, (high - low) / 2
    return clamp_bpm(round(centre + drive(item.energy, item.mood) * half_width))
