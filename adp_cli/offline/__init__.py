"""The template engine behind the offline provider: fixed-template descriptions and a tempo
table, with no network and no key.

Everything here is a pure function of its input, so ``--provider offline`` gives the same answer
on every run: a new user sees the tool work before having a key, and tests can pin exact strings.
Where the wording varies it is chosen by a CRC-32 of the content (see ``parts``), never by
``hash()``, which Python salts per process.

One job per module, each importing only the ones above it:

- ``words``: energy and mood words as numbers, shared by the templates and the tempo estimate.
- ``registers``: the description registers and the one each poetic band reads in.
- ``tempo``: genre tempo ranges, genre-name matching and ``estimate_bpm``.
- ``grammar``: the English kit (lists, a/an, sentence case, verb agreement, mid-sentence case).
- ``parts``: the wizard data tidied into instruments, sections, voice, genre label and level.
- ``templates``: the six register renderers, their imagery and role tables, and ``describe``.

The rest of adp needs only the names below.
"""

from __future__ import annotations

from adp_cli.offline.registers import Register, register_for_poetic_level
from adp_cli.offline.templates import describe
from adp_cli.offline.tempo import estimate_bpm

__all__ = ["Register", "describe", "estimate_bpm", "register_for_poetic_level"]
