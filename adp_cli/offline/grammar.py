"""The English kit every template shares: lists, a/an, sentence case, verb agreement, mid-sentence case.

Kept apart from the templates so that each grammar rule is written, and fixed, once; the
templates then only decide what to say.
"""

from __future__ import annotations

import re
from collections.abc import Sequence


def join_list(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c' (no Oxford comma, in every template)."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def stack(words: Sequence[str]) -> str:
    """Coordinate adjectives before a noun: 'distorted, aggressive'."""
    return ", ".join(words)


def slashed(words: Sequence[str]) -> str:
    """Spec-sheet adjectives: 'distorted/aggressive'."""
    return "/".join(words)


def with_noun(modifier: str, noun: str) -> str:
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


def with_article(phrase: str) -> str:
    """The phrase with its indefinite article; an empty phrase stays empty."""
    return f"{_article(phrase)} {phrase}" if phrase else ""


def sentence(body: str) -> str:
    """Capitalise only the first letter (genres keep their case) and end with one period."""
    return f"{body[:1].upper()}{body[1:]}."


# Words kept capitalised mid-sentence: instrument makers and models, nationalities, places.
PROPER_WORDS = frozenset({
    "akai", "clavinet", "farfisa", "fender", "gibson", "gretsch", "hammond", "hofner", "hohner",
    "ibanez", "juno", "korg", "leslie", "linn", "marshall", "mellotron", "minimoog", "moog",
    "nord", "oberheim", "prophet", "rhodes", "rickenbacker", "roland", "simmons", "steinway",
    "stratocaster", "telecaster", "vox", "wurlitzer", "yamaha",
    "african", "american", "andean", "arabic", "balinese", "brazilian", "celtic", "chinese",
    "cuban", "english", "french", "german", "greek", "hawaiian", "indian", "irish", "italian",
    "japanese", "javanese", "latin", "persian", "portuguese", "scottish", "spanish", "tibetan",
    "turkish",
})


def clean(text: str) -> str:
    """One value as it sits in a sentence: single spaces, no trailing punctuation of its own."""
    collapsed = " ".join(text.split())
    return collapsed.rstrip(".,;:") or collapsed


def mid(text: str) -> str:
    """Form-style Title Case ('Electric Guitar') reads lower case mid-sentence.

    Proper names, nationalities and words with digits or inner capitals ('Rhodes', 'Spanish',
    '808', 'TR-808', 'DnB') keep their case.
    """
    words = clean(text).split()
    return " ".join(
        word.lower()
        if word.istitle() and re.fullmatch(r"[A-Za-z'-]+", word) and word.lower() not in PROPER_WORDS
        else word
        for word in words
    )


def third_person(verb: str) -> str:
    """'carry' -> 'carries', 'touch' -> 'touches', 'take' -> 'takes' (the role tables' verbs)."""
    if re.search(r"[^aeiou]y$", verb):
        return f"{verb[:-1]}ies"
    if verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        return f"{verb}es"
    return f"{verb}s"
