"""The offline provider: fixed-template descriptions and a tempo table, with no network and no key.

Everything here is a pure function of its input, so ``--provider offline`` gives the same answer
on every run: a new user sees the tool work before having a key, and tests can pin exact strings.
Where the wording varies it is chosen by a CRC-32 of the content, never by ``hash()``, which
Python salts per process.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from adp_cli.wizard import BpmEstimationInput, Instrumentation, Vocals, WizardData

logger = logging.getLogger("adp")


class Register(str, Enum):
    """How a description reads: the guide's five poetic bands, plus `structure`'s own."""

    VIVID = "vivid"  # poetic level 1-20: vivid and figurative
    EVOCATIVE = "evocative"  # 21-40: quite poetic, imagery
    BALANCED = "balanced"  # 41-60: poetic and musical terms
    PRECISE = "precise"  # 61-80: precise, musical vocabulary
    TECHNICAL = "technical"  # 81-100: plain technical
    PROFESSIONAL = "professional"  # `structure`: concise, catalogue style


# Upper bound of each poetic band, in the guide's order (1 very poetic ... 100 very factual).
_POETIC_BANDS: tuple[tuple[int, Register], ...] = (
    (20, Register.VIVID),
    (40, Register.EVOCATIVE),
    (60, Register.BALANCED),
    (80, Register.PRECISE),
    (100, Register.TECHNICAL),
)


def register_for_poetic_level(level: int) -> Register:
    """The register of the guide's style band for ``level``; outside 1-100 is a caller bug."""
    if not 1 <= level <= 100:
        raise ValueError(f"poetic level must be between 1 and 100, got {level}")
    return next(register for top, register in _POETIC_BANDS if level <= top)


# ---------------------------------------------------------------------------------------------
# Energy and mood words: they pick the imagery of a description and move a tempo estimate.
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


def _drive(energy: Iterable[str] | None, mood: Iterable[str] | None) -> float:
    """How intense the music sounds, from -1 to 1: the mean energy word, nudged by the moods."""
    drive = _ENERGY_WEIGHT * _mean_value(energy, _ENERGY_WORDS) + _MOOD_WEIGHT * _mean_value(mood, _MOOD_WORDS)
    return max(-1.0, min(1.0, drive))


# ---------------------------------------------------------------------------------------------
# Tempo estimation

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
    "bebop": (180, 250),  # often played faster still; the estimate is clamped at 250 anyway
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

_MIN_BPM = 40
_MAX_BPM = 250

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


def _clamp_bpm(bpm: int) -> int:
    return max(_MIN_BPM, min(_MAX_BPM, bpm))


def estimate_bpm(item: BpmEstimationInput) -> int:
    """A tempo from the genre's conventional range, moved toward its ends by energy and mood."""
    if item.bpm is not None:
        return _clamp_bpm(item.bpm)
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
    return _clamp_bpm(round(centre + _drive(item.energy, item.mood) * half_width))


# ---------------------------------------------------------------------------------------------
# Descriptions: text helpers


def _join(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c' (no Oxford comma, everywhere in this module)."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _stack(words: Sequence[str]) -> str:
    """Coordinate adjectives before a noun: 'distorted, aggressive'."""
    return ", ".join(words)


def _slashed(words: Sequence[str]) -> str:
    """Spec-sheet adjectives: 'distorted/aggressive'."""
    return "/".join(words)


def _with_noun(modifier: str, noun: str) -> str:
    """'high' + 'energy' -> 'high energy', without doubling a noun the user already typed."""
    if not modifier or modifier.lower().split()[-1] == noun:
        return modifier
    return f"{modifier} {noun}"


_VOWEL_SOUND_H = ("hour", "honest", "honor", "honour", "heir")
# Vowel letters read with a consonant sound: a unique, a euphoric, a uke, a one-shot.
_CONSONANT_SOUND_VOWEL = re.compile(r"^(?:uni(?![mn])|us[eu]|uti|uto|uk[eu]|ubi|eu|ewe|one(?![a-z])|once)")
# Letters whose spoken name starts with a vowel sound: an EDM, an LFO, an R&B, an FM.
_INITIALISM_AN = frozenset("aefhilmnorsx")


def _article(phrase: str) -> str:
    """'a' or 'an' by how the phrase's first word sounds, not how it is spelled."""
    word = phrase.split()[0]
    lower = word.lower()
    letters = "".join(char for char in word if char.isalpha())
    if word[:1].isdigit():
        digits = re.sub(r"\D.*", "", word)
        # eight..., eighty, eight hundred; eleven, eighteen (and eleven thousand...)
        spoken_vowel = digits[0] == "8" or (len(digits) % 3 == 2 and digits[:2] in {"11", "18"})
        return "an" if spoken_vowel else "a"
    if letters and word == word.upper() and (len(letters) <= 3 or not set(lower) & set("aeiou")):
        return "an" if letters[0].lower() in _INITIALISM_AN else "a"
    if lower.startswith(_VOWEL_SOUND_H):
        return "an"
    if _CONSONANT_SOUND_VOWEL.match(lower):
        return "a"
    return "an" if lower[:1] in set("aeiou") else "a"


def _a(phrase: str) -> str:
    """The phrase with its indefinite article; an empty phrase stays empty."""
    return f"{_article(phrase)} {phrase}" if phrase else ""


def _sentence(body: str) -> str:
    """Capitalise only the first letter (genres keep their case) and end with one period."""
    return f"{body[:1].upper()}{body[1:]}."


# Words kept capitalised mid-sentence: instrument makers and models, nationalities, places.
_PROPER_WORDS = frozenset({
    "akai", "clavinet", "farfisa", "fender", "gibson", "gretsch", "hammond", "hofner", "hohner",
    "ibanez", "juno", "korg", "leslie", "linn", "marshall", "mellotron", "minimoog", "moog",
    "nord", "oberheim", "prophet", "rhodes", "rickenbacker", "roland", "simmons", "steinway",
    "stratocaster", "telecaster", "vox", "wurlitzer", "yamaha",
    "african", "american", "andean", "arabic", "balinese", "brazilian", "celtic", "chinese",
    "cuban", "english", "french", "german", "greek", "hawaiian", "indian", "irish", "italian",
    "japanese", "javanese", "latin", "persian", "portuguese", "scottish", "spanish", "tibetan",
    "turkish",
})


def _clean(text: str) -> str:
    """One value as it sits in a sentence: single spaces, no trailing punctuation of its own."""
    collapsed = " ".join(text.split())
    return collapsed.rstrip(".,;:") or collapsed


def _mid(text: str) -> str:
    """Form-style Title Case ('Electric Guitar') reads lower case mid-sentence.

    Proper names, nationalities and words with digits or inner capitals ('Rhodes', 'Spanish',
    '808', 'TR-808', 'DnB') keep their case.
    """
    words = _clean(text).split()
    return " ".join(
        word.lower()
        if word.istitle() and re.fullmatch(r"[A-Za-z'-]+", word) and word.lower() not in _PROPER_WORDS
        else word
        for word in words
    )


# ---------------------------------------------------------------------------------------------
# Descriptions: the wizard data, tidied once for every register

# Instrument names that take no article: 'shimmering percussion', not 'a shimmering percussion'.
_MASS_NOUNS = frozenset({"percussion", "brass", "noise", "feedback", "programming", "ambience", "foley"})


@dataclass(frozen=True)
class _Instrument:
    name: str
    role: str
    descriptors: tuple[str, ...]

    @property
    def plural(self) -> bool:
        """'drums', 'strings', '808s' take plural verbs; 'bass', 'chorus', 'Rhodes' do not."""
        last = self.name.split()[-1].lower()
        return last.endswith("s") and not last.endswith(("ss", "us", "is")) and last not in _PROPER_WORDS

    def named(self, role: str = "", *, article: bool = True) -> str:
        """'a distorted, aggressive electric guitar', 'driving drums', 'shimmering percussion'.

        Only a singular countable instrument takes an article; ``role`` goes just before the name.
        """
        words = " ".join(filter(None, [_stack(self.descriptors), role, self.name]))
        countable = not self.plural and self.name.split()[-1].lower() not in _MASS_NOUNS
        return _a(words) if article and countable else words


@dataclass(frozen=True)
class _Section:
    """The instruments sharing one role, so two rhythm players read 'a guitar and drums hold the rhythm'."""

    role: str
    members: tuple[_Instrument, ...]

    def names(self, *, article: bool = True) -> str:
        return _join([member.named(article=article) for member in self.members])

    def acts(self, verb: str, rest: str) -> str:
        """'drums hold the rhythm' / 'an electric guitar takes the lead' (verb in its base form)."""
        plural = len(self.members) > 1 or self.members[0].plural
        return f"{self.names()} {verb if plural else _third_person(verb)} {rest}"


def _third_person(verb: str) -> str:
    """'carry' -> 'carries', 'touch' -> 'touches', 'take' -> 'takes' (the role tables' verbs)."""
    if re.search(r"[^aeiou]y$", verb):
        return f"{verb[:-1]}ies"
    if verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        return f"{verb}es"
    return f"{verb}s"


@dataclass(frozen=True)
class _Voice:
    adjectives: tuple[str, ...]  # descriptors, then the style
    gender: str
    presence: str

    def phrase(self, join: Callable[[Sequence[str]], str]) -> str:
        """'powerful male lead vocals', adjectives joined the register's way."""
        words = " ".join(filter(None, [join(self.adjectives), self.gender, self.presence]))
        return _with_noun(words, "vocals") if words else "vocals"


class _Level(Enum):
    LOW = "low"
    MID = "mid"
    HIGH = "high"


@dataclass(frozen=True)
class _Parts:
    genre: str  # 'Alternative Rock', 'Techno Electronic'; "" when there is no genre
    moods: tuple[str, ...]
    energy: tuple[str, ...]
    texture: tuple[str, ...]
    instruments: tuple[_Instrument, ...]
    voice: _Voice | None
    instrumental: bool
    bpm: int | None
    level: _Level
    seed: int

    @property
    def empty(self) -> bool:
        return not (
            self.genre or self.moods or self.energy or self.texture or self.instruments
            or self.voice or self.instrumental or self.bpm
        )

    @property
    def sections(self) -> list[_Section]:
        """Instruments grouped by role, in order of each role's first appearance."""
        roles: dict[str, list[_Instrument]] = {}
        for inst in self.instruments:
            roles.setdefault(inst.role.lower(), []).append(inst)
        return [_Section(members[0].role, tuple(members)) for members in roles.values()]

    def core(self, *, moods: bool, missing: str = "piece of music") -> str:
        """'energetic, uplifting instrumental Alternative Rock track', without an article."""
        noun = f"{self.genre} track" if self.genre else missing
        mood_words = _stack(self.moods) if moods else ""
        return " ".join(filter(None, [mood_words, "instrumental" if self.instrumental else "", noun]))

    def feel_items(self, *, articles: bool = True) -> list[str]:
        """['high energy', 'a dense texture'] (no article on the texture when ``articles`` is off)."""
        texture = _with_noun(_stack(self.texture), "texture")
        items = [_with_noun(_stack(self.energy), "energy"), _a(texture) if articles else texture]
        return [item for item in items if item]

    def feel(self, *, articles: bool = True) -> str:
        return _join(self.feel_items(articles=articles))

    def tempo(self) -> str:
        return f" at {self.bpm} BPM" if self.bpm else ""


# Presence values that mean there is no singing at all.
_NO_VOCALS = frozenset({"none", "no", "no vocals", "instrumental"})
_DRIVE_THRESHOLD = 0.25


def _genre_label(wizard: WizardData) -> str:
    """'Alternative Rock' for Rock / Alternative Rock, but 'Techno Electronic' for Electronic / Techno.

    The sub-genres are the more specific words, so they lead; the genre is added only when no
    sub-genre already names it.
    """
    if wizard.genre is None:
        return ""
    primary = _clean(wizard.genre.primary) if _says_something(wizard.genre.primary) else ""
    subs = [_clean(sub) for sub in wizard.genre.secondary or [] if _says_something(sub)]
    if primary and any(primary.lower() in sub.lower() for sub in subs):
        return _join(subs)
    return " ".join(filter(None, [_join(subs), primary]))


def _voice(vocals: Vocals | None) -> tuple[_Voice | None, bool]:
    """The vocal phrase's parts, or the instrumental flag when presence says there are none."""
    if vocals is None:
        return None, False
    if vocals.presence.strip().lower() in _NO_VOCALS:
        return None, True
    adjectives = list(_words(vocals.descriptors))
    adjectives += [style for style in _words([vocals.style or ""]) if style not in adjectives]
    gender, presence = (" ".join(_words([text or ""])) for text in (vocals.gender, vocals.presence))
    return _Voice(tuple(adjectives), gender, presence), False


def _instruments(items: Iterable[Instrumentation] | None) -> tuple[_Instrument, ...]:
    """The instruments that have a name and a role worth printing."""
    return tuple(
        _Instrument(_mid(item.instrument), _mid(item.role), _words(item.descriptors))
        for item in items or ()
        if _says_something(item.instrument) and _says_something(item.role)
    )


def _says_something(text: str) -> bool:
    """A value with no letter or digit ('.', '--') would only leave stray punctuation."""
    return bool(re.search(r"[^\W_]", text))


def _words(values: Iterable[str] | None) -> tuple[str, ...]:
    """Values as they read mid-sentence, without the ones that say nothing."""
    return tuple(_mid(value) for value in values or () if _says_something(value))


def _parts(wizard: WizardData) -> _Parts:
    voice, instrumental = _voice(wizard.vocals)
    drive = _drive(wizard.energy, wizard.mood)
    level = _Level.MID
    if abs(drive) > _DRIVE_THRESHOLD:
        level = _Level.HIGH if drive > 0 else _Level.LOW
    return _Parts(
        genre=_genre_label(wizard),
        moods=_words(wizard.mood),
        energy=_words(wizard.energy),
        texture=_words(wizard.texture),
        instruments=_instruments(wizard.instrumentation),
        voice=voice,
        instrumental=instrumental,
        bpm=wizard.bpm,
        level=level,
        seed=zlib.crc32(wizard.model_dump_json(exclude={"id"}).encode()),
    )


# ---------------------------------------------------------------------------------------------
# Descriptions: the registers


@dataclass(frozen=True)
class _Imagery:
    """Figurative wording that suits how intense the music is."""

    images: tuple[str, ...]  # each names a musical thing, so a vivid line is still about music
    surge: str  # what the track does, in the vivid register
    bar: str  # opens the vivid second sentence
    vivid_voice: str
    motion: str  # how the track moves at its tempo, in the evocative register
    evocative_voice: str


_IMAGERY: dict[_Level, _Imagery] = {
    _Level.HIGH: _Imagery(
        images=(
            "Like a thunderstorm with a backbeat",
            "Like wildfire caught in a chorus",
            "Like a city skyline pulsing to a drumbeat",
        ),
        surge="surges",
        bar="Every bar burns bright",
        vivid_voice="rise like a flare",
        motion="racing",
        evocative_voice="soar above it all",
    ),
    _Level.MID: _Imagery(
        images=(
            "Like a river humming its own melody",
            "Like sunlight falling in rhythm through the leaves",
            "Like a long road unrolling to a steady groove",
        ),
        surge="flows",
        bar="Every bar sways",
        vivid_voice="glow like embers",
        motion="moving",
        evocative_voice="ride on top",
    ),
    _Level.LOW: _Imagery(
        images=(
            "Like moonlight turned into melody",
            "Like a slow tide keeping quiet time",
            "Like a lullaby sung to an empty room",
        ),
        surge="drifts",
        bar="Every bar breathes slowly",
        vivid_voice="curl like smoke",
        motion="drifting",
        evocative_voice="float above",
    ),
}

# What the players of a role do: (verb in its base form, the rest). Each rest names the role.
_VIVID_ROLES: dict[str, tuple[str, str]] = {
    "lead": ("blaze", "a trail in the lead"),
    "rhythm": ("beat", "out the rhythm like a heart"),
    "bass": ("rumble", "through the bass like distant thunder"),
    "melody": ("sing", "the melody like a bird at dawn"),
    "harmony": ("shimmer", "through the harmony like heat haze"),
    "pad": ("spread", "the pad like morning mist"),
    "background": ("glimmer", "in the background like far-off stars"),
    "percussion": ("scatter", "percussion like rain on a tin roof"),
    "accompaniment": ("wrap", "the accompaniment around it like a shawl"),
    "solo": ("soar", "through the solo like a kite"),
}

_EVOCATIVE_ROLES: dict[str, tuple[str, str]] = {
    "lead": ("take", "the lead"),
    "rhythm": ("hold", "the rhythm"),
    "bass": ("anchor", "the bass"),
    "melody": ("carry", "the melody"),
    "harmony": ("weave", "the harmony"),
    "pad": ("lay", "down the pad"),
    "background": ("fill", "the background"),
    "percussion": ("drive", "the percussion"),
    "accompaniment": ("provide", "the accompaniment"),
    "solo": ("take", "the solo"),
}


def _role_action(section: _Section, roles: Mapping[str, tuple[str, str]], verb: str, rest: str) -> str:
    """The players at work; a role the table lacks gets the register's generic wording."""
    known = roles.get(section.role.lower())
    return section.acts(*known) if known else section.acts(verb, rest.format(role=_a(section.role)))


def _vivid(parts: _Parts) -> str:
    """Two short figurative sentences: an image and the track's motion, then its players."""
    look = _IMAGERY[parts.level]
    image = look.images[parts.seed % len(look.images)]
    feel = parts.feel(articles=False)
    first = f"{image}, this {parts.core(moods=True)} {look.surge}{parts.tempo()}"
    first += f", all {feel}" if feel else ""
    actions = [_role_action(section, _VIVID_ROLES, "shine", "in {role} role") for section in parts.sections]
    if parts.voice:
        actions.append(f"{parts.voice.phrase(_stack)} {look.vivid_voice}")
    if not actions:
        return _sentence(first)
    return f"{_sentence(first)} {_sentence(f'{look.bar} as {_join(actions)}')}"


def _evocative(parts: _Parts) -> str:
    """One flowing sentence of imagery: the track moving, carried by its feel, its players at work."""
    look = _IMAGERY[parts.level]
    head = _a(parts.core(moods=True))
    head += f" {look.motion}{parts.tempo()}" if parts.bpm else ""
    feel = parts.feel()
    actions = [_role_action(section, _EVOCATIVE_ROLES, "play", "{role} part") for section in parts.sections]
    if parts.voice:
        actions.append(f"{parts.voice.phrase(_stack)} {look.evocative_voice}")
    clauses = [head, f"carried by {feel}" if feel else "", f"where {_join(actions)}" if actions else ""]
    return _sentence(", ".join(filter(None, clauses)))


# Roles that read as adjectives before an instrument ("a lead guitar"); others follow it
# ("a warm Rhodes on chords", not "a warm chords Rhodes").
_ADJECTIVAL_ROLES = {"lead", "rhythm", "backing", "solo", "bass", "pad", "supporting", "main"}


def _attributive(inst: _Instrument) -> str:
    """'a distorted, aggressive lead electric guitar', 'a warm Rhodes on chords'; no 'bass bass guitar'."""
    if set(inst.role.lower().split()) <= set(inst.name.lower().split()):
        return inst.named()
    if inst.role.lower() in _ADJECTIVAL_ROLES:
        return inst.named(inst.role)
    return f"{inst.named()} on {inst.role}"


def _balanced(parts: _Parts) -> str:
    """Musical terms in plain prose: what it is, what it is built on, what sits on top."""
    feel = parts.feel()
    clauses = [_a(parts.core(moods=True)) + parts.tempo() + (f" with {feel}" if feel else "")]
    if parts.instruments:
        clauses.append(f"built on {_join([_attributive(inst) for inst in parts.instruments])}")
    if parts.voice:
        clauses.append(f"{'topped' if parts.instruments else 'carried'} by {parts.voice.phrase(_stack)}")
    return _sentence(", ".join(clauses))


def _precise(parts: _Parts) -> str:
    """Accessible but exact: the mood as a noun phrase, each role named outright."""
    withs = [_a(_with_noun(_join(parts.moods), "mood")), *parts.feel_items()]
    featured = [f"{section.names()} in the {section.role} role" for section in parts.sections]
    if parts.voice:
        featured.append(parts.voice.phrase(_stack))
    head = _a(parts.core(moods=False)) + parts.tempo()
    head += f" with {_join([w for w in withs if w])}" if any(withs) else ""
    return _sentence(head + (f", featuring {_join(featured)}" if featured else ""))


def _technical(parts: _Parts) -> str:
    """A spec line: facts separated by commas, instruments and vocals as their own sections."""
    facts = [
        parts.core(moods=False, missing="track"),
        f"{parts.bpm} BPM" if parts.bpm else "",
        _with_noun(_slashed(parts.energy), "energy"),
        _with_noun(_slashed(parts.texture), "texture"),
        _with_noun(_slashed(parts.moods), "mood"),
    ]
    instruments = ", ".join(
        " ".join(filter(None, [_slashed(inst.descriptors), inst.name, f"({inst.role})"]))
        for inst in parts.instruments
    )
    vocals = parts.voice.phrase(_slashed) if parts.voice else ""
    return _sentence("; ".join(filter(None, [", ".join(filter(None, facts)), instruments, vocals])))


def _professional(parts: _Parts) -> str:
    """Catalogue copy: no article, genre first, the character in a word or two, then the line-up."""
    head = parts.core(moods=False, missing="track") + parts.tempo()
    feel = parts.feel()
    if feel and not parts.moods:
        head += f" with {feel}"  # "EDM track with high energy"; after a mood it is its own clause
    line_up = [f"{section.names(article=False)} on {section.role}" for section in parts.sections]
    if parts.voice:
        line_up.append(parts.voice.phrase(_stack))
    clauses = [
        head,
        f"{_join(parts.moods)} in character" if parts.moods else "",
        f"with {feel}" if feel and parts.moods else "",
        f"featuring {_join(line_up)}" if line_up else "",
    ]
    return _sentence(", ".join(filter(None, clauses)))


_RENDERERS: dict[Register, Callable[[_Parts], str]] = {
    Register.VIVID: _vivid,
    Register.EVOCATIVE: _evocative,
    Register.BALANCED: _balanced,
    Register.PRECISE: _precise,
    Register.TECHNICAL: _technical,
    Register.PROFESSIONAL: _professional,
}


def describe(wizard: WizardData, register: Register) -> str:
    """The wizard data as one sentence (two short ones when vivid) in the given register."""
    parts = _parts(wizard)
    if parts.empty and register is not Register.VIVID:
        return "A piece of music."
    return _RENDERERS[register](parts)
