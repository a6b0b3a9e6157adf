"""Word forms: the normal form in which a phrase and an item's tags are compared.

Captions name the same thing many ways ("Hi-Hats", "hi hats", "hihat"; "Drum & Bass",
"drum'n'bass"), so both sides are reduced to one form before anything is matched:

- case is folded (``upper().casefold()``, so a value a template capitalised, "ß" -> "SS", still
  folds to what the item says);
- a word is a run of letters or digits; "and", ``&`` and a lone ``n`` ("rock 'n' roll") are one
  connector, kept as ``&`` so that it never runs together into a word ("b and a" is not "banda");
- a plural loses its ending ("drums" -> "drum", "melodies" -> "melody", "basses" -> "bass"),
  except the words in ``_KEEP`` whose ending is not a plural ("bass", "blues", "Rhodes") or
  whose plural is another word ("keys" the instrument, "key" the tonality; "pops" and "rocks",
  which are never the genres);
- words run together across spaces, hyphens, apostrophes and underscores, so "hip hop",
  "hip-hop" and "hiphop" are one form; any other punctuation (a comma, a slash, a bracket)
  is a break that no match crosses, so "dark, ambient pads" never reads "dark ambient".

A text in this form is a ``Words``: its words, and the words concatenated with a break mark
where the text had a break. A tag is mentioned when its concatenation occurs there starting
and ending on word boundaries.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import accumulate
from operator import sub
from typing import Any

_SPLIT = re.compile(r"([^\W_]+|&)")
# The same on ASCII text (folded, so lower case), which most captions are: a third faster.
_ASCII_SPLIT = re.compile(r"([a-z0-9]+|&)")
# Gaps made of these (and white space, as ``str.split`` sees it) join words; any other is a break.
_JOINERS = frozenset("-\u2010\u2011'\u2019_")
_HYPHENS = frozenset({"-", "\u2010", "\u2011"})
_CONNECTORS = frozenset({"&", "n", "and"})
BREAK = "\x01"  # stands for a break in ``Words.joined``; no word contains it
CONNECTOR = "&"  # the form of "and", "&" and "n"

# Words whose final "s" is not a plural ending, or whose plural is another word.
_KEEP = frozenset({
    "bass", "blues", "rhodes", "keys", "pops", "rocks", "news", "series", "species", "chaos",
    "afrobeats", "canvas", "lens", "bus", "gas", "yes", "always", "perhaps", "various", "previous", "serious",
})

_JOIN, _HYPHEN, _BREAK = 0, 1, 2
BREAK_KIND = _BREAK  # ``Words.kinds`` of a word a break comes before
_CACHE_LIMIT = 100_000


def singular(word: str) -> str:
    """'drums' -> 'drum', 'melodies' -> 'melody', 'boxes' -> 'box'; short words and ``_KEEP`` stay."""
    if len(word) <= 3 or not word.endswith("s") or word in _KEEP:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if word.endswith(("ss", "us", "is")):
        return word
    return word[:-1]


def fold(text: str) -> str:
    """Case folded so that a letter a template upper-cased folds like the item's own letter."""
    return text.upper().casefold()


def _gap_kind(gap: str) -> int:
    if gap in _HYPHENS:
        return _HYPHEN
    return _JOIN if all(char in _JOINERS or char.isspace() for char in gap) else _BREAK


class _Memo(dict[str, Any]):
    """A cache that fills itself (``__missing__``), so a whole text maps through it at C speed
    with ``map(memo.__getitem__, ...)``; a batch repeats the same few thousand words and gaps,
    and odd input cannot grow it without bound (it is emptied when full)."""

    def __init__(self, compute: Callable[[str], Any]) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key: str) -> Any:
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        value = self[key] = self.compute(key)
        return value


_FORMS = _Memo(lambda token: CONNECTOR if token in _CONNECTORS else singular(token))
_KINDS = _Memo(_gap_kind)
_SPACED_GAPS = _Memo(lambda gap: f" {BREAK} " if _gap_kind(gap) == _BREAK else " ")
_JOINED_GAPS = _Memo(lambda gap: BREAK if _gap_kind(gap) == _BREAK else "")
# Between two words, a single hyphen or apostrophe makes them one plain word; any other gap parts them.
_PLAIN_GAPS = _Memo(lambda gap: gap if gap in ("-", "'") else " ")


class Words:
    """A text in normal form, with what matching needs.

    Built for every check, so it is built from C-level maps over the memos (a caption's words
    are the hot path of checking a whole batch), and the words run together (``joined``) and
    their offsets are worked out only when a match needs them: ``spaced`` answers whether a tag
    is there as written, which for most tags of most captions is the whole question.
    """

    __slots__ = ("_bounds", "_ends", "_from_tokens", "_joined", "_plain", "_starts", "_text", "forms", "kinds", "parts", "spaced")

    def __init__(self, text: str) -> None:
        folded = fold(text)
        ascii_text = folded.isascii()
        parts = (_ASCII_SPLIT if ascii_text else _SPLIT).split(folded)  # gap, word, gap, ..., gap
        gaps = parts[0:-1:2]
        tokens = parts[1::2]
        self.parts = parts
        self.forms: list[str] = list(map(_FORMS.__getitem__, tokens))  # each word's normal form
        # How word i is joined to the one before: _JOIN, _HYPHEN or _BREAK.
        self.kinds: list[int] = list(map(_KINDS.__getitem__, gaps))
        spaced = parts[:-1]
        spaced[0::2] = list(map(_SPACED_GAPS.__getitem__, gaps))
        spaced[1::2] = self.forms
        if tokens:
            self.kinds[0] = _JOIN  # a break before the first word is no break between two
            spaced[0] = " "
        self.spaced = "".join(spaced) + " "  # " form form \x01 form ": each word between spaces
        self._joined: str | None = None
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._bounds: set[int] = set()
        self._text = text
        self._plain: list[str] | None = None
        # Folding can make ASCII of other text ("ı" -> "i"), which plain words keep as it is.
        self._from_tokens = text.isascii() and CONNECTOR not in tokens

    @property
    def joined(self) -> str:
        """The forms run together, BREAK where the text breaks: 'hip hop' and 'hiphop' alike."""
        if self._joined is None:
            pieces = self.parts[:-1]
            pieces[0::2] = list(map(_JOINED_GAPS.__getitem__, self.parts[0:-1:2]))
            pieces[1::2] = self.forms
            if self.forms:
                pieces[0] = ""
            self._ends = list(accumulate(map(len, pieces)))[1::2]
            self._starts = list(map(sub, self._ends, map(len, self.forms)))
            self._bounds = {*self._starts, *self._ends}
            self._joined = "".join(pieces)
        return self._joined

    @property
    def plain(self) -> list[str]:
        """``plain_words`` of the text: an evaluation needs them for every caption it checks, and
        on ASCII text without "&" they are the tokens already split, joined where a single
        hyphen or apostrophe stands between two ("hip-hop"), so the text is not scanned again."""
        if self._plain is None:
            self._plain = self._plain_from_tokens() if self._from_tokens else plain_words(self._text)
        return self._plain

    def _plain_from_tokens(self) -> list[str]:
        between = self.parts[2:-1:2]  # the gaps between two words
        if "-" not in between and "'" not in between:
            return self.parts[1::2]  # most captions: every token is a word
        pieces = self.parts[:]
        pieces[2:-1:2] = list(map(_PLAIN_GAPS.__getitem__, between))
        pieces[0] = pieces[-1] = " "
        return "".join(pieces).split()

    @property
    def count(self) -> int:
        """The words a reader counts ("hip-hop" is one)."""
        return len(self.plain)

    @property
    def starts(self) -> list[int]:
        """Where each word starts in ``joined``."""
        self.joined  # noqa: B018 - works the offsets out
        return self._starts

    @property
    def ends(self) -> list[int]:
        self.joined  # noqa: B018
        return self._ends

    def broken(self, index: int) -> bool:
        """Whether a break (comma, slash, bracket...) comes before word ``index``."""
        return self.kinds[index] == _BREAK

    def hyphened(self, index: int) -> bool:
        """Whether word ``index`` is joined to the one before by a single hyphen."""
        return self.kinds[index] == _HYPHEN

    def contains(self, key: str) -> bool:
        """Whether ``key`` (a concatenation of forms) occurs from a word start to a word end."""
        joined, bounds = self.joined, self._bounds
        at = joined.find(key)
        while at >= 0:
            if at in bounds and at + len(key) in bounds:
                return True
            at = joined.find(key, at + 1)
        return False

    def written(self, first: int, last: int) -> str:
        """Words ``first`` to ``last`` as the text has them (folded), gaps between included, for
        reporting them: the text split once into gaps and words holds them already."""
        return "".join(self.parts[2 * first + 1 : 2 * last + 2])

    def key(self, first: int, last: int) -> str:
        """The concatenated forms of words ``first`` to ``last`` (one run, no break inside)."""
        return self.joined[self.starts[first] : self.ends[last]]


def words_of(text: str) -> Words:
    """``text`` in normal form."""
    return Words(text)


def key_of(text: str) -> str:
    """The concatenated normal form of ``text``: equal keys name the same thing."""
    return words_of(text).joined


_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*")


def plain_words(text: str) -> list[str]:
    """The words a reader counts, lower-cased: 'hip-hop' and "rock'n'roll" are one word each."""
    return _WORD.findall(text.casefold())
