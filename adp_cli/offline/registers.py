"""The registers a description can be written in, and which one each poetic level asks for.

The poetic level's bands are ``adp_cli.scales``' (the casual prompt's style instructions use the
same bands), so this module only says which register each band reads in.
"""

from __future__ import annotations

from enum import Enum

from adp_cli.scales import poetic_band


class Register(str, Enum):
    """How a description reads: the guide's five poetic bands, plus `structure`'s own."""

    VIVID = "vivid"  # the most poetic band: vivid and figurative
    EVOCATIVE = "evocative"  # the second band: quite poetic, imagery
    BALANCED = "balanced"  # the middle band: poetic and musical terms
    PRECISE = "precise"  # the fourth band: precise, musical vocabulary
    TECHNICAL = "technical"  # the most factual band: plain technical
    PROFESSIONAL = "professional"  # `structure`: concise, catalogue style


# The register of each poetic band, in the guide's order (very poetic ... very factual).
_BAND_REGISTERS: tuple[Register, ...] = (
    Register.VIVID,
    Register.EVOCATIVE,
    Register.BALANCED,
    Register.PRECISE,
    Register.TECHNICAL,
)


def register_for_poetic_level(level: int) -> Register:
    """The register of the guide's style band for ``level``; outside 1-100 is a caller bug."""
    return _BAND_REGISTERS[poetic_band(level)]
