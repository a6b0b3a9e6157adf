"""The shipped vocabularies: genre and instrument names, and the other words for a tag.

They are plain text under ``data/`` so that a user can read exactly what is looked for (and a
maintainer can add a name without touching code). Each is read and compiled once per process,
on first use, into lookups keyed by normal form (see ``forms``): the check itself then does no
parsing and no regular-expression work per vocabulary entry.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from adp_cli.captions.forms import key_of, words_of

GENRE = "genre"
INSTRUMENT = "instrument"
_FILES = {GENRE: "genres.txt", INSTRUMENT: "instruments.txt"}
_SYNONYMS = "synonyms.txt"
_AMBIGUOUS = "~"
_ADJECTIVE_LED = "^"


@dataclass(frozen=True, slots=True)
class Entry:
    """One genre or instrument, with every spelling the data file gives it."""

    name: str  # its first spelling in the data file
    kind: str  # GENRE or INSTRUMENT
    keys: frozenset[str]  # the normal form of each spelling
    ambiguous: bool  # a common word too: names the genre only before a word like "track"
    head: str | None  # adjective-led ("cool jazz"): the form of the last word, which must be the item's


@dataclass(frozen=True, slots=True)
class Vocabulary:
    entries: Mapping[str, Entry]  # by the normal form of each spelling
    prefixes: frozenset[str]  # every leading part of those forms: where a scan may go on
    equivalents: Mapping[str, frozenset[str]]  # a form -> the forms that name the same thing
    longest: int  # the length of the longest of all those forms
    splits: Mapping[str, frozenset[int]]  # a form -> where a spelling of it has a space (or hyphen)


def data_lines(name: str) -> Iterator[str]:
    """The meaningful lines of a shipped data file (comments and blank lines skipped)."""
    text = resources.files("adp_cli.captions").joinpath("data", name).read_text(encoding="utf-8")
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield stripped


def _spellings(line: str) -> list[str]:
    return [part.strip() for part in line.lstrip(_AMBIGUOUS + _ADJECTIVE_LED).split("|") if part.strip()]


def parse_entry(line: str, kind: str) -> Entry:
    """``~^name | other name | ...`` as one entry."""
    flags = line[: len(line) - len(line.lstrip(_AMBIGUOUS + _ADJECTIVE_LED))]
    spellings = _spellings(line)
    head = words_of(spellings[0]).forms[-1] if _ADJECTIVE_LED in flags else None
    return Entry(spellings[0], kind, frozenset(key_of(spelling) for spelling in spellings), _AMBIGUOUS in flags, head)


@cache
def vocabulary() -> Vocabulary:
    """The vocabularies compiled once; a spelling given twice keeps its first entry."""
    entries: dict[str, Entry] = {}
    splits: dict[str, frozenset[int]] = {}
    groups: list[frozenset[str]] = []
    for kind, file_name in _FILES.items():
        for line in data_lines(file_name):
            entry = parse_entry(line, kind)
            for key in entry.keys:
                entries.setdefault(key, entry)
            groups.append(entry.keys)
            for spelling in _spellings(line):
                words = words_of(spelling)
                splits[words.joined] = splits.get(words.joined, frozenset()) | frozenset(words.starts[1:])
    groups.extend(frozenset(key_of(part) for part in line.split("|") if part.strip()) for line in data_lines(_SYNONYMS))
    equivalents: dict[str, frozenset[str]] = {}
    for group in groups:
        if len(group) > 1:
            for key in group:
                equivalents[key] = equivalents.get(key, frozenset()) | group
    prefixes = frozenset(key[:end] for key in entries for end in range(1, len(key) + 1))
    longest = max(map(len, [*entries, *equivalents]))
    return Vocabulary(entries, prefixes, equivalents, longest, splits)
