"""Checking one caption against the item it describes, offline and deterministically.

A caption a dataset can trust mentions what the item says (recall), claims no instrument or
genre the item does not have (invented), and states no other tempo than the item's. Every
rule is a fixed word-form comparison (``forms``) against shipped vocabularies (``vocab``), so
the same phrase and item give the same ``Check`` on every run and machine, with no model.

The rules that keep common words from reading as claims are in ``_Claims``; the README
(Captions a dataset can trust) describes all of them for users.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress
from typing import TYPE_CHECKING, Any

from adp_cli.captions.forms import (
    BREAK_KIND,
    CONNECTOR,
    Words,
    key_of,
    words_of,
)
from adp_cli.captions.vocab import Entry, Vocabulary, vocabulary
from adp_cli.errors import UsageError

if TYPE_CHECKING:
    from adp_cli.tasks.wizard import WizardData

# Presence values that mean no singing (as the offline templates read them): no vocal tags.
NO_VOCALS = frozenset({"none", "no", "no vocals", "instrumental"})
_TEMPO_SLACK = 2  # BPM a stated tempo may be off by: "about 128 BPM" for 127 is not a mismatch
_RECALL_DIGITS = 4
_SOMETHING = re.compile(r"[^\W_]")

# "128 BPM", "128bpm", "128-BPM", "120-125 BPM", "120 to 125 bpm", "at 128 beats per minute", on
# lower-cased text. The number must stand alone ("TR808 BPM" and "v2.128 BPM" state no tempo):
# checked on the character before a match rather than by a look-behind, which would cost the
# pattern its fast scan for a first digit. That scan needs a single digit first: "[0-9]{1,3}"
# (the same numbers) would have the matcher try every position of the text.
_TEMPO = re.compile(
    r"([0-9][0-9]{0,2}(?:\.[0-9]+)?)"
    r"(?:\s*(?:-|\u2013|\u2014|to)\s*([0-9]{1,3}(?:\.[0-9]+)?))?"
    r"\s*-?\s*(?:bpm|b\.p\.m\b\.?|beats?\s+(?:per|a)\s+minute)(?![a-z])"
)
_GLUED = re.compile(r"[\w.]")


@dataclass(frozen=True, slots=True)
class Check:
    """How far one caption can be trusted for its item."""

    recall: float  # the share of the item's tags the caption mentions (1.0 with no tags)
    missing: tuple[str, ...]  # the tags it does not mention, as the item gives them
    invented: tuple[str, ...]  # instrument and genre words the item does not have, as written
    tempo_mismatch: bool  # it states a tempo more than 2 BPM from the item's
    words: int
    passed: bool  # nothing invented, no tempo mismatch, recall at least the minimum

    def to_json(self) -> dict[str, Any]:
        return {
            "recall": round(self.recall, _RECALL_DIGITS),
            "missing": list(self.missing),
            "invented": list(self.invented),
            "tempo_mismatch": self.tempo_mismatch,
            "words": self.words,
            "passed": self.passed,
        }


def check(phrase: str, item: WizardData, min_recall: float = 0.5) -> Check:
    """Check ``phrase`` against ``item``; ``min_recall`` is the recall a passing caption needs."""
    if not 0.0 <= min_recall <= 1.0:
        raise UsageError(f"the minimum recall must be between 0 and 1, got {min_recall}")
    return check_words(phrase, words_of(phrase), item, min_recall)


def check_words(phrase: str, words: Words, item: WizardData, min_recall: float) -> Check:
    """``check`` of a phrase already in normal form (``words_of(phrase)``), for a caller that
    needs its words too (an evaluation counts them), so the phrase is tokenised once."""
    tags = item_tags(item)
    missing = tuple(
        text for text, spaced, forms in tags if spaced not in words.spaced and not any(map(words.contains, forms))
    )
    recall = (len(tags) - len(missing)) / len(tags) if tags else 1.0
    invented = _Claims(words, item, vocabulary()).invented()
    mismatch = tempo_mismatch(phrase, item.bpm)
    passed = not invented and not mismatch and recall >= min_recall
    return Check(recall, missing, invented, mismatch, words.count, passed)


Tag = tuple[str, str, frozenset[str]]  # as the item gives it, as ``Words.spaced`` has it, its forms
_ITEM_CACHE = 1 << 12  # distinct tag sets remembered: a catalogue repeats its combinations


def item_tags(item: WizardData) -> tuple[Tag, ...]:
    """The item's tags in item order, each with its words as ``Words.spaced`` has them and the
    forms that mention it (``tag_forms``). A tag given twice (mood "warm", texture "Warm") is
    one tag, and a value with no letter or digit is none.

    An instrument is a tag only when its role says something too: the offline templates leave
    out an instrument whose role is a placeholder ("-"), and a check should not fail them for it.
    """
    return _tags(tuple(_tag_values(item)))


@lru_cache(maxsize=_ITEM_CACHE)
def _tags(values: tuple[str, ...]) -> tuple[Tag, ...]:
    """``item_tags`` by the values alone: every caption of an item, and every item with the same
    tag values, asks for the same tags."""
    tags: list[Tag] = []
    seen: set[frozenset[str]] = set()
    for value, found in zip(values, map(tag_forms, values)):
        if found is not None and found[1] not in seen:
            seen.add(found[1])
            tags.append((value, *found))
    return tuple(tags)


def _described(item: WizardData) -> list[str]:
    """The genre, sub-genres, moods, energy and texture words: tags and item words alike."""
    values: list[str] = []
    if item.genre is not None:
        values.append(item.genre.primary)
        values += item.genre.secondary or ()
    for group in (item.mood, item.energy, item.texture):
        values += group or ()
    return values


def _tag_values(item: WizardData) -> list[str]:
    values = _described(item)
    values += [instrument.instrument for instrument in item.instrumentation or () if says_something(instrument.role)]
    vocals = item.vocals
    if vocals is not None and vocals.presence.strip().lower() not in NO_VOCALS:
        values.append(vocals.presence)
        if vocals.gender is not None:
            values.append(vocals.gender)
    return values


@lru_cache(maxsize=1 << 16)
def says_something(value: str) -> bool:
    """Whether a value has a letter or digit ('-' and '...' say nothing), as the templates judge it."""
    return _SOMETHING.search(value) is not None


@lru_cache(maxsize=1 << 16)
def tag_forms(value: str) -> tuple[str, frozenset[str]] | None:
    """A tag's words as ``Words.spaced`` has them, and the forms that mention it: its own, its
    other names, and its other names for a part of it ("acoustic drum kit" is mentioned by
    "acoustic drums"); None for a value that says nothing."""
    if not says_something(value):
        return None
    words = words_of(value)
    equivalents, limit = vocabulary().equivalents, vocabulary().longest
    whole = words.joined
    forms = {whole, *equivalents.get(whole, ())}
    for first in range(len(words.forms)):
        for last in range(first, len(words.forms)):
            if (last > first and words.broken(last)) or words.ends[last] - words.starts[first] > limit:
                break
            start, end = words.starts[first], words.ends[last]
            for other in equivalents.get(whole[start:end], ()):
                forms.add(whole[:start] + other + whole[end:])
    return words.spaced, frozenset(forms)


def tempo_mismatch(phrase: str, bpm: int | None) -> bool:
    """Whether a tempo the phrase states ("128 BPM", "120-125 BPM") misses ``bpm`` by more than 2."""
    lowered = phrase.lower()
    if bpm is None or not ("bpm" in lowered or "b.p.m" in lowered or "minute" in lowered):
        return False
    for match in _TEMPO.finditer(lowered):
        if match.start() and _GLUED.match(lowered, match.start() - 1):
            continue
        low = float(match.group(1))
        high = float(match.group(2)) if match.group(2) else low
        low, high = min(low, high), max(low, high)
        if bpm < low - _TEMPO_SLACK or bpm > high + _TEMPO_SLACK:
            return True
    return False


# An ambiguous genre word ("ambient", "dance", "new wave") names a genre only before one of these.
_GENRE_HEADS = frozenset(words_of(
    "track song tune piece number cut composition instrumental record recording production anthem "
    "banger jam beat groove rhythm style genre influence influenced inspired tinged infused "
    "inflected flavored flavoured flavor flavour leaning styled vibe feel edge tradition fusion "
    "revival cover remix version ballad classic standard hit hook sensibility music artist band "
    "scene act staple lineage"
).forms)
# After a hyphen these make a comparison, not a claim: "organ-like", "choir-esque", "vocal-free".
_COMPARISONS = frozenset(words_of("like esque ish sounding inducing free less").forms)
# Words before which plain "bass" is the low end of the mix, not an instrument: "bass-heavy".
_LOW_END = frozenset(words_of(
    "heavy rich boosted forward laden weighted frequency end register response boost weight range"
).forms)
_PLAIN_BASS = key_of("bass")
_TEMPO_WORDS = frozenset(words_of("bpm beats").forms)
# Up to three words before a match (within its clause), these say it is absent: "no vocals".
_NEGATIONS = frozenset(words_of("no not without sans minus lacking devoid zero absent").forms)
_NEGATION_REACH = 3


class _Claims:
    """The instrument and genre words of one phrase, judged against one item."""

    def __init__(self, words: Words, item: WizardData, vocab: Vocabulary) -> None:
        self.words = words
        self.item = item
        self.vocab = vocab
        self._item_keys: frozenset[str] | None = None
        # Most phrases negate nothing: then no match needs the words before it looked at.
        self._negating = not _NEGATIONS.isdisjoint(words.forms)

    def invented(self) -> tuple[str, ...]:
        """The matches the item does not have and the phrase claims. What the item has is never
        an invention, whatever is said around it, so only the others are read in context."""
        found: list[str] = []
        for first, last, entry in self._matches():
            if not self._in_item(first, last, entry) and self._is_claim(first, last, entry):
                written = self.words.written(first, last)
                if written not in found:
                    found.append(written)
        return tuple(found)

    def _matches(self) -> Iterator[tuple[int, int, Entry]]:
        """Leftmost-longest vocabulary matches, none crossing a break. A match can only start at
        a word that begins some vocabulary form, so only those are scanned from (found at C
        speed); from each the scan runs on while the words so far still begin a form."""
        forms, kinds = self.words.forms, self.words.kinds
        entries, prefixes = self.vocab.entries, self.vocab.prefixes
        count, resume = len(forms), 0
        for first in compress(range(count), map(prefixes.__contains__, forms)):
            if first < resume:
                continue
            key, last = forms[first], first
            best: tuple[int, Entry] | None = None
            while key in prefixes:
                entry = entries.get(key)
                if entry is not None and (last == first or self._spelled(key, first, last)):
                    best = (last, entry)
                last += 1
                if last == count or kinds[last] == BREAK_KIND:
                    break
                key += forms[last]
            if best is not None:
                yield first, best[0], best[1]
                resume = best[0] + 1

    def _spelled(self, key: str, first: int, last: int) -> bool:
        """Whether the words run together the way a name may be written: where a spelling of it
        has a space, or between words of two letters or more ("hip hop" for "hiphop"), but
        not from one-letter words ("a x é" is not "axé")."""
        forms = self.words.forms
        splits = self.vocab.splits.get(key, frozenset())
        offset = 0
        for word in range(first + 1, last + 1):
            offset += len(forms[word - 1])
            if offset not in splits and (len(forms[word - 1]) < 2 or len(forms[word]) < 2):
                return False
        return True

    def _next(self, last: int) -> str | None:
        """The word right after a match, when no break comes between."""
        following = last + 1
        if following < len(self.words.forms) and not self.words.broken(following):
            return self.words.forms[following]
        return None

    def _is_claim(self, first: int, last: int, entry: Entry) -> bool:
        """Whether the match says the music has it, rather than comparing, negating, or using a
        common word in its everyday sense."""
        following = self._next(last)
        if entry.ambiguous and following not in _GENRE_HEADS:
            return False
        if following in _COMPARISONS and self.words.hyphened(last + 1):
            return False
        if following in _LOW_END and _PLAIN_BASS in entry.keys:
            return False
        if following in _TEMPO_WORDS and "".join(self.words.forms[first : last + 1]).isdigit():
            return False  # "at 303 BPM" is a tempo, not a TB-303
        return not self._negating or not self._negated(first)

    def _negated(self, first: int) -> bool:
        """Whether a negation comes up to three words before word ``first``, within its clause."""
        position = first
        while position > 0 and first - position < _NEGATION_REACH and not self.words.broken(position):
            position -= 1
            if self.words.forms[position] in _NEGATIONS:
                return True
        return False

    def _in_item(self, first: int, last: int, entry: Entry) -> bool:
        """Whether the item has it: under any of its names, as a part of an item value ("guitar"
        of "Electric Guitar"), or word by word from the item's own values ("lead guitar")."""
        if self._item_keys is None:  # worked out once a phrase names something
            self._item_keys = _item_keys(tuple(_item_values(self.item)))
        keys, equivalents = self._item_keys, self.vocab.equivalents
        if not keys.isdisjoint(entry.keys):
            return True

        def has(form: str) -> bool:
            return form in keys or not keys.isdisjoint(equivalents.get(form, ()))

        if entry.head is not None:
            return has(entry.head)
        return all(form == CONNECTOR or has(form) for form in self.words.forms[first : last + 1])


@lru_cache(maxsize=1 << 16)
def value_keys(value: str) -> frozenset[str]:
    """The forms of every run of words in one item value, up to the longest vocabulary form
    (nothing longer can be asked about): "Electric Guitar" gives electric, guitar, electricguitar."""
    words = words_of(value)
    limit = vocabulary().longest
    keys: set[str] = set()
    for first in range(len(words.forms)):
        for last in range(first, len(words.forms)):
            if (last > first and words.broken(last)) or words.ends[last] - words.starts[first] > limit:
                break
            keys.add(words.key(first, last))
    return frozenset(keys)


@lru_cache(maxsize=_ITEM_CACHE)
def _item_keys(values: tuple[str, ...]) -> frozenset[str]:
    """The ``value_keys`` of all of an item's values, by the values alone (as ``_tags``)."""
    return frozenset().union(*map(value_keys, values))


def _item_values(item: WizardData) -> list[str]:
    """Every word the item uses, roles and descriptors included (the templates and a model may
    say "bass" for a synth in the bass role), and "vocals" when someone sings."""
    values = _described(item)
    for instrument in item.instrumentation or ():
        values += (instrument.instrument, instrument.role, *(instrument.descriptors or ()))
    vocals = item.vocals
    if vocals is not None and vocals.presence.strip().lower() not in NO_VOCALS:
        values += ("vocals", vocals.presence, *filter(None, (vocals.gender, vocals.style)), *(vocals.descriptors or ()))
    return values
