"""A CSV file's rows as wizard documents: the shape catalogues and spreadsheets are kept in.

Each row becomes the plain dict ``adp_cli.tasks.wizard.parse_wizard`` (and ``items.wizard_item``)
accepts, so CSV input goes through the same validation and flags as JSON. The file is read as
a stream, row by row. What is wrong with one row is that row's ``RowError``, yielded in its
place, so a batch makes it that item's error line and goes on; what is wrong with the header
(an unknown or repeated column) spoils every row and raises one ``InputError`` instead.

Columns (header names in snake_case or camelCase, any case; the README shows them under "CSV input"):

    id                                   the item's id, as text
    genre | genre_primary                the genre
    subgenre | subgenres | sub_genre | genre_secondary   sub-genres, split on ";"
    mood, energy, texture                lists, split on ";"
    instrumentation | instruments | instrument   NAME:ROLE[:DESC,DESC] items, split on ";"
    vocals                               PRESENCE[:GENDER[:STYLE]]
    bpm                                  a whole number

An empty cell is an absent field. Columns named in ``keep`` are copied, as text and under
their header names, into ``CsvRow.kept`` (and ``RowError.kept``) for the output line.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from adp_cli.documents import ItemError
from adp_cli.errors import InputError
from adp_cli.text import quote

_LIST = ";"
_BPM = re.compile(r"[+]?[0-9]+(?:\.0*)?")
_BOM = "\ufeff"


class RowError(ItemError):
    """One unusable row: its number (the header is row 1, as a spreadsheet counts), the column
    at fault, and the row's kept columns, so its error line still says which file it was."""

    def __init__(self, message: str, row: int, column: str | None, kept: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.row = row
        self.column = column
        self.kept = kept or {}


@dataclass(frozen=True, slots=True)
class CsvRow:
    row: int  # as a spreadsheet counts rows: the header is row 1
    document: dict[str, Any]  # wizard fields, for parse_wizard
    kept: dict[str, str] = field(default_factory=dict)  # the kept columns, by header name


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(_LIST) if part.strip()]


def _values(cell: str) -> list[str]:
    values = _split(cell)
    if not values:
        raise ValueError(f"no value in {quote(cell, 40)} (give one or more, separated by ';')")
    return values


def _instrument(spec: str) -> dict[str, Any]:
    parts = [part.strip() for part in spec.split(":", 2)]
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise ValueError(f"{quote(spec, 40)}: expected NAME:ROLE[:DESC,DESC]")
    instrument: dict[str, Any] = {"instrument": parts[0], "role": parts[1]}
    if len(parts) == 3 and parts[2]:
        descriptors = [part.strip() for part in parts[2].split(",") if part.strip()]
        if not descriptors:
            raise ValueError(f"{quote(spec, 40)}: the descriptors after the second ':' are empty")
        instrument["descriptors"] = descriptors
    return instrument


def _instrumentation(cell: str) -> list[dict[str, Any]]:
    return [_instrument(spec) for spec in _values(cell)]


def _vocals(cell: str) -> dict[str, str]:
    parts = [part.strip() for part in cell.split(":", 2)]
    if not parts[0]:
        raise ValueError(f"{quote(cell, 40)}: expected PRESENCE[:GENDER[:STYLE]]")
    return {key: value for key, value in zip(("presence", "gender", "style"), parts) if value}


def _bpm(cell: str) -> int:
    if not _BPM.fullmatch(cell):
        raise ValueError(f"{quote(cell, 40)} is not a whole number")
    value = int(cell.split(".")[0])
    if not 1 <= value <= 999:
        raise ValueError(f"{value} is not between 1 and 999")
    return value


def _text(cell: str) -> str:
    return cell


# Each wizard field: the column names that give it, and how a cell becomes its value.
_FIELDS: dict[str, tuple[tuple[str, ...], Callable[[str], Any]]] = {
    "id": (("id",), _text),
    "genre": (("genre", "genre_primary"), _text),
    "subgenre": (("subgenre", "subgenres", "sub_genre", "sub_genres", "genre_secondary"), _values),
    "mood": (("mood",), _values),
    "energy": (("energy",), _values),
    "texture": (("texture",), _values),
    "instrumentation": (("instrumentation", "instruments", "instrument"), _instrumentation),
    "vocals": (("vocals",), _vocals),
    "bpm": (("bpm",), _bpm),
}
_FIELD_OF = {name: wizard_field for wizard_field, (names, _) in _FIELDS.items() for name in names}


def column_key(header: str) -> str:
    """'subGenre', 'Sub Genre', 'SUB_GENRE' -> 'sub_genre': how a header names a field."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", header.strip())
    return re.sub(r"[\s\-]+", "_", spaced).lower()


@dataclass(frozen=True, slots=True)
class _Column:
    position: int
    header: str  # as written
    wizard_field: str | None  # None: a kept column only
    kept: bool


def _columns(header: list[str], name: str, keep: frozenset[str]) -> list[_Column]:
    """What each column is; an unknown, repeated or missing kept column spoils every row."""
    columns: list[_Column] = []
    given: dict[str, str] = {}
    names = [cell.strip() for cell in header]
    for position, written in enumerate(names):
        wizard_field = _FIELD_OF.get(column_key(written))
        if wizard_field is None and written not in keep:
            if not written:
                continue  # an unnamed column: its cells must be empty (checked per row)
            raise InputError(
                f"{name}: unknown column {quote(written, 60)} (the wizard columns are "
                f"{', '.join(_FIELDS)}; copy other columns into the output with --keep {written})"
            )
        if wizard_field is not None and wizard_field in given:
            raise InputError(f"{name}: columns {quote(given[wizard_field], 60)} and {quote(written, 60)} give the same field; keep one")
        if written in (column.header for column in columns):
            raise InputError(f"{name}: column {quote(written, 60)} appears twice in the header")
        if wizard_field is not None:
            given[wizard_field] = written
        columns.append(_Column(position, written, wizard_field, written in keep))
    missing = sorted(keep - set(names))
    if missing:
        raise InputError(f"{name}: no column {quote(missing[0], 60)} to keep (the header has {', '.join(filter(None, names))})")
    return columns


def _row(cells: list[str], number: int, columns: list[_Column], width: int, name: str) -> CsvRow | RowError:
    kept = {column.header: cells[column.position].strip() for column in columns if column.kept and column.position < len(cells)}

    def error(column: str | None, problem: str) -> RowError:
        where = f"row {number}, column {column}" if column else f"row {number}"
        return RowError(f"{name} {where}: {problem}", number, column, kept)

    if any(cell.strip() for cell in cells[width:]):
        # The cells are not where the header says, so no kept value can be trusted either.
        return RowError(f"{name} row {number}: {len(cells)} cells, but the header has {width} columns", number, None)
    named = {column.position for column in columns}
    for position, cell in enumerate(cells[:width]):
        if position not in named and cell.strip():
            return error(f"{position + 1} (unnamed)", f"a value under a column with no name: {quote(cell.strip(), 40)}")
    fields: dict[str, Any] = {}
    for column in columns:
        cell = cells[column.position].strip() if column.position < len(cells) else ""
        if column.wizard_field is None or not cell:
            continue
        try:
            fields[column.wizard_field] = _FIELDS[column.wizard_field][1](cell)
        except ValueError as problem:
            return error(column.header, str(problem))
    if "subgenre" in fields and "genre" not in fields:
        return error(next(c.header for c in columns if c.wizard_field == "subgenre"), "a sub-genre needs a genre, and the genre cell is empty")
    document: dict[str, Any] = {key: value for key, value in fields.items() if key not in ("genre", "subgenre")}
    if "genre" in fields:
        document["genre"] = {"primary": fields["genre"], **({"secondary": fields["subgenre"]} if "subgenre" in fields else {})}
    return CsvRow(number, document, kept)


def csv_documents(stream: Iterable[str], name: str, keep: frozenset[str] = frozenset()) -> Iterator[CsvRow | RowError]:
    """The rows of a CSV text stream, one at a time: a ``CsvRow`` or, for a bad row, a ``RowError``.

    ``stream`` is a text file (or any iterable of lines), read as the rows are asked for. Open
    the file with ``newline=""`` (so a quoted cell may hold a line break) and UTF-8 or
    ``utf-8-sig``; a BOM left in and CRLF line ends are fine. Rows with every cell empty are skipped, as spreadsheets add them.
    A header problem, a stream that is not UTF-8 or cannot be read, raises ``InputError``.
    """
    reader = csv.reader(stream)
    number = 1
    try:
        header = next(reader, None)
        if header is None:
            raise InputError(f"{name}: empty CSV file (expected a header row)")
        if header and header[0].startswith(_BOM):
            header[0] = header[0][len(_BOM) :]
        columns = _columns(header, name, keep)
        while True:
            try:
                cells = next(reader, None)
            except csv.Error as problem:
                number += 1
                yield RowError(f"{name} row {number}: unreadable CSV: {problem}", number, None)
                continue
            if cells is None:
                return
            number += 1
            if any(cell.strip() for cell in cells):
                yield _row(cells, number, columns, len(header), name)
    except csv.Error as problem:
        raise InputError(f"{name}: unreadable CSV header: {problem}") from None
    except UnicodeDecodeError as problem:
        raise InputError(f"{name}: not UTF-8 text (byte {problem.start})") from None
    except OSError as problem:
        raise InputError(f"{name}: cannot read: {problem.strerror or problem}") from None
