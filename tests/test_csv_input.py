"""CSV rows as wizard documents: column names, cell formats, kept columns, and a bad row or
header reported by row and column."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator

import pytest

from adp_cli.csv_rows import CsvRow, RowError, csv_documents
from adp_cli.errors import InputError
from adp_cli.tasks.items import Flags, wizard_item
from adp_cli.tasks.wizard import WizardData


def rows(text: str, keep: frozenset[str] = frozenset()) -> list[CsvRow | RowError]:
    return list(csv_documents(io.StringIO(text, newline=""), "catalogue.csv", keep))


def documents(text: str) -> list[object]:
    return [row.document if isinstance(row, CsvRow) else str(row) for row in rows(text)]


FULL = (
    "id,genre,subgenre,mood,energy,texture,instrumentation,vocals,bpm\n"
    "trk-1,Rock,Alternative Rock;Grunge,energetic; uplifting,high,dense,"
    '"Electric Guitar:lead:distorted,aggressive; Drums:rhythm",lead:male:powerful,140\n'
)


def test_every_column_becomes_its_wizard_field() -> None:
    assert documents(FULL) == [
        {
            "id": "trk-1",
            "mood": ["energetic", "uplifting"],
            "energy": ["high"],
            "texture": ["dense"],
            "instrumentation": [
                {"instrument": "Electric Guitar", "role": "lead", "descriptors": ["distorted", "aggressive"]},
                {"instrument": "Drums", "role": "rhythm"},
            ],
            "vocals": {"presence": "lead", "gender": "male", "style": "powerful"},
            "bpm": 140,
            "genre": {"primary": "Rock", "secondary": ["Alternative Rock", "Grunge"]},
        }
    ]


def test_a_row_document_is_what_the_item_parser_takes() -> None:
    row = rows(FULL)[0]
    assert isinstance(row, CsvRow)
    assert wizard_item(row.document, Flags(mood=["calm"])) == WizardData.model_validate(
        {**row.document, "mood": ["calm"]}
    )


@pytest.mark.parametrize(
    "header",
    [
        "genre,subgenre,bpm",
        "Genre,SubGenre,BPM",
        "genrePrimary,genreSecondary,bpm",
        "genre_primary,sub_genres,Bpm",
        "Genre , Sub Genre , bpm",
    ],
)
def test_columns_may_be_named_in_snake_or_camel_case(header: str) -> None:
    assert documents(f"{header}\nHouse,Deep House,124\n") == [
        {"bpm": 124, "genre": {"primary": "House", "secondary": ["Deep House"]}}
    ]


def test_instruments_and_instrument_name_the_instrumentation_column() -> None:
    assert documents("instruments\nPiano:lead\n") == [{"instrumentation": [{"instrument": "Piano", "role": "lead"}]}]
    assert documents("Instrument\nPiano:lead\n") == [{"instrumentation": [{"instrument": "Piano", "role": "lead"}]}]


def test_empty_cells_are_absent_fields_and_empty_list_parts_are_dropped() -> None:
    assert documents("genre,mood,bpm,vocals\nJazz,,  ,\n,calm;;dreamy;,,none\n") == [
        {"genre": {"primary": "Jazz"}},
        {"mood": ["calm", "dreamy"], "vocals": {"presence": "none"}},
    ]


@pytest.mark.parametrize(
    ("cell", "vocals"),
    [
        ("lead", {"presence": "lead"}),
        ("lead:female", {"presence": "lead", "gender": "female"}),
        ("background::breathy", {"presence": "background", "style": "breathy"}),
        ("lead:male:raspy: shouted", {"presence": "lead", "gender": "male", "style": "raspy: shouted"}),
    ],
)
def test_vocals_are_presence_gender_style(cell: str, vocals: dict[str, str]) -> None:
    assert documents(f"vocals\n{cell}\n") == [{"vocals": vocals}]


def test_a_bom_and_crlf_line_ends_are_read() -> None:
    assert documents("\ufeffgenre,bpm\r\nTechno,132\r\nHouse,124\r\n") == [
        {"bpm": 132, "genre": {"primary": "Techno"}},
        {"bpm": 124, "genre": {"primary": "House"}},
    ]


def test_kept_columns_come_beside_the_document_under_their_header_names() -> None:
    result = rows("genre,file_name,Path\nJazz,a.wav, /music/a.wav \n", frozenset({"file_name", "Path"}))
    assert result == [CsvRow(2, {"genre": {"primary": "Jazz"}}, {"file_name": "a.wav", "Path": "/music/a.wav"})]


def test_a_kept_column_may_also_be_a_wizard_field() -> None:
    result = rows("id,genre\nx1,Jazz\n", frozenset({"id"}))
    assert result == [CsvRow(2, {"id": "x1", "genre": {"primary": "Jazz"}}, {"id": "x1"})]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("genre,bpm\nJazz,12x\n", "catalogue.csv row 2, column bpm: '12x' is not a whole number"),
        ("genre,bpm\nJazz,0\n", "catalogue.csv row 2, column bpm: 0 is not between 1 and 999"),
        ("genre,bpm\nJazz,1000\n", "catalogue.csv row 2, column bpm: 1000 is not between 1 and 999"),
        ("mood\n;;\n", "catalogue.csv row 2, column mood: no value in ';;' (give one or more, separated by ';')"),
        ("instruments\nPiano\n", "catalogue.csv row 2, column instruments: 'Piano': expected NAME:ROLE[:DESC,DESC]"),
        ('instruments\n"Piano:lead:,"\n', "catalogue.csv row 2, column instruments: 'Piano:lead:,': the descriptors after the second ':' are empty"),
        ("vocals\n:male\n", "catalogue.csv row 2, column vocals: ':male': expected PRESENCE[:GENDER[:STYLE]]"),
        ("subgenre,mood\nGrunge,dark\n", "catalogue.csv row 2, column subgenre: a sub-genre needs a genre, and the genre cell is empty"),
        ("genre,bpm\nJazz,90,extra\n", "catalogue.csv row 2: 3 cells, but the header has 2 columns"),
        ("genre,,bpm\nJazz,oops,90\n", "catalogue.csv row 2, column 2 (unnamed): a value under a column with no name: 'oops'"),
    ],
)
def test_a_bad_row_is_a_row_error_naming_row_and_column(text: str, message: str) -> None:
    [result] = rows(text)
    assert isinstance(result, RowError)
    assert str(result) == message


def test_a_row_error_carries_its_row_column_and_kept_columns_and_is_an_input_error() -> None:
    [result] = rows("genre,bpm,file_name\nJazz,fast,a.wav\n", frozenset({"file_name"}))
    assert isinstance(result, RowError)
    assert (result.row, result.column, result.kept) == (2, "bpm", {"file_name": "a.wav"})
    with pytest.raises(InputError, match="row 2, column bpm"):
        wizard_item(result, Flags())  # how a batch turns it into that item's error line


def test_bad_rows_leave_the_others_be_and_numbers_count_as_a_spreadsheet_does() -> None:
    text = 'genre,bpm\nJazz,90\n\n,\nRock,fast\n"Folk\nRevival",70\n'
    assert [(row.row, type(row).__name__) for row in rows(text)] == [(2, "CsvRow"), (5, "RowError"), (6, "CsvRow")]


def test_trailing_empty_cells_and_unnamed_empty_columns_are_fine() -> None:
    assert documents("genre,bpm,\nJazz,90,,\n") == [{"bpm": 90, "genre": {"primary": "Jazz"}}]


def test_short_rows_leave_the_missing_cells_empty() -> None:
    assert documents("genre,mood,bpm\nJazz\n") == [{"genre": {"primary": "Jazz"}}]


def test_an_unreadable_record_is_that_rows_error_and_reading_goes_on() -> None:
    text = f"genre,mood\nJazz,{'x' * 200_000}\nRock,dark\n"
    first, second = rows(text)
    assert str(first) == "catalogue.csv row 2: unreadable CSV: field larger than field limit (131072)"
    assert isinstance(second, CsvRow) and second.document == {"mood": ["dark"], "genre": {"primary": "Rock"}}


@pytest.mark.parametrize(
    ("text", "keep", "message"),
    [
        (
            "genre,file_name\nJazz,a.wav\n",
            frozenset(),
            "catalogue.csv: unknown column 'file_name' (the wizard columns are id, genre, subgenre, mood, energy, texture, instrumentation, vocals, bpm;"
            " copy other columns into the output with --keep file_name)",
        ),
        ("genre,genre_primary\nJazz,Rock\n", frozenset(), "catalogue.csv: columns 'genre' and 'genre_primary' give the same field; keep one"),
        ("genre,path,path\nJazz,a,b\n", frozenset({"path"}), "catalogue.csv: column 'path' appears twice in the header"),
        ("genre\nJazz\n", frozenset({"file_name"}), "catalogue.csv: no column 'file_name' to keep (the header has genre)"),
        ("", frozenset(), "catalogue.csv: empty CSV file (expected a header row)"),
    ],
)
def test_a_bad_header_spoils_every_row_so_it_is_one_input_error(text: str, keep: frozenset[str], message: str) -> None:
    with pytest.raises(InputError) as raised:
        rows(text, keep)
    assert str(raised.value) == message


def test_text_that_is_not_utf8_is_an_input_error() -> None:
    stream = io.TextIOWrapper(io.BytesIO(b"genre\nJaz\xff\n"), encoding="utf-8", newline="")
    with pytest.raises(InputError, match=r"catalogue.csv: not UTF-8 text \(byte 9\)"):
        list(csv_documents(stream, "catalogue.csv"))


def test_rows_are_read_as_they_are_asked_for() -> None:
    """A stream of lines that fails past the third line: the first two rows come out anyway."""

    def lines() -> Iterator[str]:
        yield "genre,bpm\n"
        yield "Jazz,90\n"
        yield "Rock,120\n"
        raise AssertionError("read past the rows asked for")

    taken = list(itertools.islice(csv_documents(lines(), "stream.csv"), 2))
    assert [row.document["bpm"] for row in taken if isinstance(row, CsvRow)] == [90, 120]
