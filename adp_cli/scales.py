"""The two scales the whole tool agrees on: the guide's poetic level bands and the BPM range.

The casual prompt's style instructions, the offline templates' registers, the CLI's option
bounds and BPM validation all read them from here, so a band or a bound changes in one place.
"""

from __future__ import annotations

POETIC_LEVEL_MIN = 1  # very poetic
POETIC_LEVEL_MAX = 100  # very factual
POETIC_LEVEL_DEFAULT = 50
# The upper bound of each of the guide's five style bands: 1-20, 21-40, 41-60, 61-80, 81-100.
POETIC_BAND_TOPS = (20, 40, 60, 80, 100)

BPM_MIN = 40
BPM_MAX = 250


def poetic_band(level: int) -> int:
    """The guide's band for ``level``, 0 (most poetic) to 4 (most factual); outside 1-100 is a
    caller bug, since every input path validates the level first."""
    if not POETIC_LEVEL_MIN <= level <= POETIC_LEVEL_MAX:
        raise ValueError(f"poetic level must be between {POETIC_LEVEL_MIN} and {POETIC_LEVEL_MAX}, got {level}")
    return next(band for band, top in enumerate(POETIC_BAND_TOPS) if level <= top)


def clamp_bpm(bpm: int) -> int:
    """A tempo pulled into the range every BPM answer must fall in."""
    return max(BPM_MIN, min(BPM_MAX, bpm))
