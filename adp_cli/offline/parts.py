"""The wizard data tidied once into the parts every template uses.

Values arrive as a form gives them: Title Case, stray punctuation, empty or placeholder entries,
"none" for no vocals. Tidying them here means the six templates never see raw wizard data and
cannot disagree about what a field says.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from adp_cli.offline.grammar import (
    PROPER_WORDS,
    clean,
    join_list,
    mid,
    stack,
    third_person,
    with_article,
    with_noun,
)
from adp_cli.offline.words import drive
from adp_cli.tasks.wizard import Instrumentation, Vocals, WizardData

# Instrument names that take no article: 'shimmering percussion', not 'a shimmering percussion'.
_MASS_NOUNS = frozenset({"percussion", "brass", "noise", "feedback", "programming", "ambience", "foley"})


@dataclass(frozen=True)
class Instrument:
    name: str
    role: str
    descriptors: tuple[str, ...]

    @property
    def plural(self) -> bool:
        """'drums', 'strings', '808s' take plural verbs; 'bass', 'chorus', 'Rhodes' do not."""
        last = self.name.split()[-1].lower()
        return last.endswith("s") and not last.endswith(("ss", "us", "is")) and last not in PROPER_WORDS

    def named(self, role: str = "", *, article: bool = True) -> str:
        """'a distorted, aggressive electric guitar', 'driving drums', 'shimmering percussion'.

        Only a singular countable instrument takes an article; ``role`` goes just before the name.
        """
        words = " ".join(filter(None, [stack(self.descriptors), role, self.name]))
        countable = not self.plural and self.name.split()[-1].lower() not in _MASS_NOUNS
        return with_article(words) if article and countable else words


@dataclass(frozen=True)
class Section:
    """The instruments sharing one role, so two rhythm players read 'a guitar and drums hold the rhythm'."""

    role: str
    members: tuple[Instrument, ...]

    def names(self, *, article: bool = True) -> str:
        return join_list([member.named(article=article) for member in self.members])

    def acts(self, verb: str, rest: str) -> str:
        """'drums hold the rhythm' / 'an electric guitar takes the lead' (verb in its base form)."""
        plural = len(self.members) > 1 or self.members[0].plural
        return f"{self.names()} {verb if plural else third_person(verb)} {rest}"


@dataclass(frozen=True)
class Voice:
    adjectives: tuple[str, ...]  # descriptors, then the style
    gender: str
    presence: str

    def phrase(self, join: Callable[[Sequence[str]], str]) -> str:
        """'powerful male lead vocals', adjectives joined the register's way."""
        words = " ".join(filter(None, [join(self.adjectives), self.gender, self.presence]))
        return with_noun(words, "vocals") if words else "vocals"


class Level(Enum):
    """How intense the music sounds, in three steps: it picks the templates' imagery."""

    LOW = "low"
    MID = "mid"
    HIGH = "high"


@dataclass(frozen=True)
class Parts:
    """Everything a template may mention, already worded for the middle of a sentence."""

    genre: str  # 'Alternative Rock', 'Techno Electronic'; "" when there is no genre
    moods: tuple[str, ...]
    energy: tuple[str, ...]
    texture: tuple[str, ...]
    instruments: tuple[Instrument, ...]
    voice: Voice | None
    instrumental: bool
    bpm: int | None
    level: Level
    seed: int

    @property
    def empty(self) -> bool:
        return not (
            self.genre or self.moods or self.energy or self.texture or self.instruments
            or self.voice or self.instrumental or self.bpm
        )

    @property
    def sections(self) -> list[Section]:
        """Instruments grouped by role, in order of each role's first appearance."""
        roles: dict[str, list[Instrument]] = {}
        for inst in self.instruments:
            roles.setdefault(inst.role.lower(), []).append(inst)
        return [Section(members[0].role, tuple(members)) for members in roles.values()]

    def core(self, *, moods: bool, missing: str = "piece of music") -> str:
        """'energetic, uplifting instrumental Alternative Rock track', without an article."""
        noun = f"{self.genre} track" if self.genre else missing
        mood_words = stack(self.moods) if moods else ""
        return " ".join(filter(None, [mood_words, "instrumental" if self.instrumental else "", noun]))

    def feel_items(self, *, articles: bool = True) -> list[str]:
        """['high energy', 'a dense texture'] (no article on the texture when ``articles`` is off)."""
        texture = with_noun(stack(self.texture), "texture")
        items = [with_noun(stack(self.energy), "energy"), with_article(texture) if articles else texture]
        return [item for item in items if item]

    def feel(self, *, articles: bool = True) -> str:
        return join_list(self.feel_items(articles=articles))

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
    primary = clean(wizard.genre.primary) if _says_something(wizard.genre.primary) else ""
    subs = [clean(sub) for sub in wizard.genre.secondary or [] if _says_something(sub)]
    if primary and any(primary.lower() in sub.lower() for sub in subs):
        return join_list(subs)
    return " ".join(filter(None, [join_list(subs), primary]))


def _voice(vocals: Vocals | None) -> tuple[Voice | None, bool]:
    """The vocal phrase's parts, or the instrumental flag when presence says there are none."""
    if vocals is None:
        return None, False
    if vocals.presence.strip().lower() in _NO_VOCALS:
        return None, True
    adjectives = list(_words(vocals.descriptors))
    adjectives += [style for style in _words([vocals.style or ""]) if style not in adjectives]
    gender, presence = (" ".join(_words([text or ""])) for text in (vocals.gender, vocals.presence))
    return Voice(tuple(adjectives), gender, presence), False


def _instruments(items: Iterable[Instrumentation] | None) -> tuple[Instrument, ...]:
    """The instruments that have a name and a role worth printing."""
    return tuple(
        Instrument(mid(item.instrument), mid(item.role), _words(item.descriptors))
        for item in items or ()
        if _says_something(item.instrument) and _says_something(item.role)
    )


def _says_something(text: str) -> bool:
    """A value with no letter or digit ('.', '--') would only leave stray punctuation."""
    return bool(re.search(r"[^\W_]", text))


def _words(values: Iterable[str] | None) -> tuple[str, ...]:
    """Values as they read mid-sentence, without the ones that say nothing."""
    return tuple(mid(value) for value in values or () if _says_something(value))


def parts_of(wizard: WizardData) -> Parts:
    """The parts of ``wizard`` every template reads, tidied once so no two templates disagree."""
    voice, instrumental = _voice(wizard.vocals)
    intensity = drive(wizard.energy, wizard.mood)
    level = Level.MID
    if abs(intensity) > _DRIVE_THRESHOLD:
        level = Level.HIGH if intensity > 0 else Level.LOW
    return Parts(
        genre=_genre_label(wizard),
        moods=_words(wizard.mood),
        energy=_words(wizard.energy),
        texture=_words(wizard.texture),
        instruments=_instruments(wizard.instrumentation),
        voice=voice,
        instrumental=instrumental,
        bpm=wizard.bpm,
        level=level,
        # CRC-32, not hash(): Python salts hash() per process, and the same data must read the
        # same on every run. The id is left out so that it does not change the wording.
        seed=zlib.crc32(wizard.model_dump_json(exclude={"id"}).encode()),
    )
