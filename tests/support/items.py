"""Sample items for tests and benchmarks: varied wizard data, and JSON Lines in and out."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

GENRES = [
    "Rock", "Jazz", "Folk", "Techno", "Ambient", "Hip Hop", "Blues", "Reggae", "Metal", "Classical",
    "Funk", "Soul", "Country", "Disco", "House", "Punk", "Gospel", "Salsa", "Trap", "Bossa Nova",
]
MOODS = ["energetic", "calm", "nostalgic", "dark", "uplifting", "dreamy", "melancholic", "playful"]
ENERGIES = ["low", "medium", "high"]

INSTRUMENTS = ["Electric Guitar", "Piano", "Drums", "Synth", "Bass", "Saxophone", "Violin"]


def wizard_items(count: int = 20) -> list[dict[str, Any]]:
    """Varied wizard items, one genre each; ids are strings, a few ints, and one item has none."""
    items: list[dict[str, Any]] = []
    for number in range(count):
        genre = GENRES[number % len(GENRES)] + ("" if number < len(GENRES) else f" {number}")
        item: dict[str, Any] = {
            "genre": {"primary": genre, "secondary": [f"{genre} revival"]} if number % 3 == 0 else genre,
            "mood": [MOODS[number % len(MOODS)], MOODS[(number + 3) % len(MOODS)]],
            "energy": ENERGIES[number % len(ENERGIES)],
        }
        if number % 4 == 1:
            item["instrumentation"] = [{"instrument": "Piano", "role": "lead", "descriptors": ["warm"]}]
        if number % 5 == 2:
            item["vocals"] = {"presence": "lead", "gender": "female", "style": "breathy"}
        if number != 7:
            item["id"] = number * 100 if number % 6 == 0 else f"trk-{number:02d}"
        items.append(item)
    return items


def catalogue_items(count: int) -> Iterator[dict[str, Any]]:
    """``count`` rich wizard items with ids (two instruments, vocals, a tempo), as a catalogue has."""
    for number in range(count):
        genre = GENRES[number % len(GENRES)]
        yield {
            "id": f"item-{number:05d}",
            "genre": {"primary": genre, "secondary": [f"{genre} revival"]},
            "mood": [MOODS[number % len(MOODS)], MOODS[(number * 3 + 1) % len(MOODS)]],
            "energy": [ENERGIES[number % len(ENERGIES)]],
            "instrumentation": [
                {"instrument": INSTRUMENTS[number % len(INSTRUMENTS)], "role": "lead", "descriptors": ["warm"]},
                {"instrument": INSTRUMENTS[(number + 2) % len(INSTRUMENTS)], "role": "rhythm"},
            ],
            "vocals": {"presence": "lead", "gender": "female" if number % 2 else "male", "style": "smooth"},
            "bpm": 60 + number % 120,
        }


def write_jsonl(path: Path, documents: Iterable[Any], raw_lines: dict[int, str] | None = None) -> Path:
    """One JSON document a line, streamed; ``raw_lines`` puts verbatim (e.g. broken) lines at given
    positions."""
    extra = dict(raw_lines or {})
    with path.open("w", encoding="utf-8") as handle:
        position = 0
        for document in documents:
            while position in extra:
                handle.write(extra.pop(position) + "\n")
                position += 1
            handle.write(json.dumps(document) + "\n")
            position += 1
        for _, raw in sorted(extra.items()):
            handle.write(raw + "\n")
    return path


def json_lines(stdout: str) -> list[dict[str, Any]]:
    """Every stdout line must be one JSON object: nothing else may reach stdout in a batch."""
    lines = stdout.splitlines()
    parsed = [json.loads(line) for line in lines]
    assert all(isinstance(line, dict) for line in parsed)
    return parsed


def file_lines(path: Path) -> list[dict[str, Any]]:
    """The parseable lines of an --output file (a line torn by a kill is skipped)."""
    kept = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        try:
            kept.append(json.loads(raw))
        except json.JSONDecodeError:
            pass
    return kept


