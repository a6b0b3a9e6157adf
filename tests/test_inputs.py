"""Reading items (files, stdin sniffing, streaming batches, clear errors) and the field flags."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from adp_cli.documents import ItemError, open_source
from adp_cli.errors import ExitStatus, InputError, UsageError
from adp_cli.tasks.items import Flags, apply_bpm_flags, apply_wizard_flags, parse_instrument, parse_vocals
from adp_cli.tasks.wizard import parse_bpm_input, parse_wizard

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
ROCK = {"genre": "Rock", "mood": ["energetic"], "bpm": 140}
JAZZ = {"genre": {"primary": "Jazz", "secondary": ["Smooth Jazz"]}, "mood": ["relaxed"]}


def _write(folder: Path, name: str, content: str | bytes) -> str:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


# -- files -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["item.yaml", "item.yml", "ITEM.YAML"])
def test_yaml_file_is_one_item(tmp_path: Path, name: str) -> None:
    source = open_source(_write(tmp_path, name, "genre: Rock\nmood: [energetic]\nbpm: 140\n"))
    assert source.batch is False
    assert list(source.documents) == [ROCK]


def test_json_file_is_one_item(tmp_path: Path) -> None:
    path = _write(tmp_path, "item.json", json.dumps(ROCK, indent=2))
    source = open_source(path)
    assert (source.batch, source.name) == (False, path)
    assert list(source.documents) == [ROCK]


def test_json_file_with_bom(tmp_path: Path) -> None:
    source = open_source(_write(tmp_path, "bom.json", b"\xef\xbb\xbf" + json.dumps(ROCK).encode()))
    assert list(source.documents) == [ROCK]


def test_jsonl_file_is_a_batch(tmp_path: Path) -> None:
    source = open_source(_write(tmp_path, "items.jsonl", f"{json.dumps(ROCK)}\n\n{json.dumps(JAZZ)}\n"))
    assert source.batch is True
    assert list(source.documents) == [ROCK, JAZZ]


def test_jsonl_of_one_item_is_still_a_batch(tmp_path: Path) -> None:
    source = open_source(_write(tmp_path, "one.jsonl", json.dumps(ROCK) + "\n"))
    assert source.batch is True
    assert list(source.documents) == [ROCK]


@pytest.mark.parametrize(
    "text", [json.dumps([ROCK, JAZZ]), json.dumps([ROCK, JAZZ], indent=2), "  \n[\n" + json.dumps(ROCK) + " , " + json.dumps(JAZZ) + "\n]\n"]
)
def test_json_array_file_is_a_batch(tmp_path: Path, text: str) -> None:
    source = open_source(_write(tmp_path, "items.json", text))
    assert source.batch is True
    assert list(source.documents) == [ROCK, JAZZ]


def test_json_array_of_one_and_of_none(tmp_path: Path) -> None:
    assert list(open_source(_write(tmp_path, "one.json", "[{}]")).documents) == [{}]
    empty = open_source(_write(tmp_path, "none.json", "[]"))
    assert empty.batch is True
    assert list(empty.documents) == []


def test_yaml_list_is_a_batch(tmp_path: Path) -> None:
    source = open_source(_write(tmp_path, "items.yaml", "- genre: Rock\n- genre: Jazz\n"))
    assert source.batch is True
    assert list(source.documents) == [{"genre": "Rock"}, {"genre": "Jazz"}]


def test_json_array_is_streamed_lazily(tmp_path: Path) -> None:
    """The first item comes out before the reader reaches the invalid tail."""
    text = "[" + json.dumps(ROCK) + ", " + json.dumps(JAZZ) + ", {not json at all"
    documents = open_source(_write(tmp_path, "broken.json", text)).documents
    assert next(documents) == ROCK
    assert next(documents) == JAZZ
    with pytest.raises(InputError, match="invalid JSON array element"):
        next(documents)


def test_big_json_array_is_streamed_lazily(tmp_path: Path) -> None:
    """Far more than one read chunk of items, then garbage: the first items still stream out."""
    items = [{"id": n, "genre": "Rock", "mood": ["m" * 100]} for n in range(2000)]
    text = "[" + ", ".join(json.dumps(item) for item in items) + ", {oops"
    assert len(text) > 200_000
    documents = open_source(_write(tmp_path, "big.json", text)).documents
    assert [next(documents) for _ in range(3)] == items[:3]
    rest = []
    with pytest.raises(InputError):
        for document in documents:
            rest.append(document)
    assert rest == items[3:]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_json_array_items_across_read_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    import adp_cli.documents as inputs

    monkeypatch.setattr(inputs, "_CHUNK", chunk)
    items: list[Any] = [1, 22, 333, "str, with ] and \\\" inside", True, None, [1, [2]], {"genre": "Café 🎸", "bpm": 12.5}, {}]
    text = "[ " + " ,\n".join(json.dumps(item, ensure_ascii=False) for item in items) + " ]"
    assert list(open_source(_write(tmp_path, "items.json", text)).documents) == items


def test_json_array_number_split_by_a_read_boundary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A top-level number cut after its "." or "e" by a read is not taken as a shorter number."""
    import adp_cli.documents as inputs

    path = _write(tmp_path, "items.json", '[{"genre": "Rock"}, -4.5e3, 12.5]')
    for chunk in range(1, 9):
        monkeypatch.setattr(inputs, "_CHUNK", chunk)
        assert list(open_source(path).documents) == [{"genre": "Rock"}, -4500.0, 12.5], f"read size {chunk}"


def test_unclosed_json_array_is_an_input_error(tmp_path: Path) -> None:
    documents = open_source(_write(tmp_path, "open.json", "[" + json.dumps(ROCK))).documents
    assert next(documents) == ROCK
    with pytest.raises(InputError, match="not closed"):
        next(documents)


def test_jsonl_bad_line_is_an_item_error_and_the_rest_parse(tmp_path: Path) -> None:
    path = _write(tmp_path, "items.jsonl", json.dumps(ROCK) + "\n{bad json\n" + json.dumps(JAZZ) + "\n")
    documents = list(open_source(path).documents)
    assert documents[0] == ROCK
    assert isinstance(documents[1], ItemError)
    assert isinstance(documents[1], InputError)
    assert str(documents[1]).startswith(f"{path} line 2: invalid JSON: ")
    assert documents[2] == JAZZ


def test_jsonl_non_utf8_line_is_an_item_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "items.jsonl", json.dumps(ROCK).encode() + b'\n{"genre": "caf\xe9"}\n' + json.dumps(JAZZ).encode())
    documents = list(open_source(path).documents)
    assert documents[0] == ROCK
    assert isinstance(documents[1], ItemError)
    assert str(documents[1]) == f"{path} line 2: not UTF-8 text"
    assert documents[2] == JAZZ


def test_jsonl_lines_are_refused_as_json_loads_refuses_them(tmp_path: Path) -> None:
    """One decoder reads every line of a batch: each line must still get what ``json.loads``
    says of it alone (a second BOM, a key given twice in any object), and the lines after a
    refused one must read as they would alone."""
    bom = "\ufeff"
    lines = [
        bom + json.dumps(ROCK),
        bom + bom + json.dumps(ROCK),
        '{"genre": "Rock", "genre": "Jazz"}',
        '{"genre": {"primary": "Jazz", "primary": "Rock"}}',
        json.dumps(JAZZ),
    ]
    path = _write(tmp_path, "items.jsonl", "\n".join(lines) + "\n")
    documents = list(open_source(path).documents)
    assert documents[0] == ROCK
    assert [str(document) for document in documents[1:4]] == [
        f"{path} line 2: invalid JSON: Unexpected UTF-8 BOM (decode using utf-8-sig) (column 1)",
        f"{path} line 3: duplicate key 'genre' (a key may appear once per object)",
        f"{path} line 4: duplicate key 'primary' (a key may appear once per object)",
    ]
    assert documents[4] == JAZZ


def test_jsonl_is_streamed_lazily(tmp_path: Path) -> None:
    path = _write(tmp_path, "items.jsonl", json.dumps(ROCK) + "\n" + "{never finished")
    documents = open_source(path).documents
    assert next(documents) == ROCK
    assert isinstance(next(documents), ItemError)


def test_unknown_extension_is_sniffed(tmp_path: Path) -> None:
    assert list(open_source(_write(tmp_path, "item.txt", json.dumps(ROCK))).documents) == [ROCK]
    assert open_source(_write(tmp_path, "items.txt", json.dumps([ROCK]))).batch is True
    assert list(open_source(_write(tmp_path, "item", "genre: Rock\n")).documents) == [{"genre": "Rock"}]


def test_no_input_means_one_empty_item() -> None:
    source = open_source(None)
    assert (source.batch, source.name) == (False, "flags")
    assert list(source.documents) == [{}]


@pytest.mark.parametrize("name", ["rock.yaml", "techno.yaml", "minimal.yaml", "bpm.yaml", "jazz.json", "folk.json"])
def test_samples_open_as_single_items(name: str) -> None:
    source = open_source(str(SAMPLES / name))
    assert source.batch is False
    [document] = list(source.documents)
    parse = parse_bpm_input if name == "bpm.yaml" else parse_wizard
    parse(document)


# -- stdin -----------------------------------------------------------------------------------


def _stdin(data: bytes):  # type: ignore[no-untyped-def]
    return open_source("-", stdin=io.BytesIO(data))


def test_stdin_json_object() -> None:
    source = _stdin(json.dumps(ROCK, indent=2).encode())
    assert (source.batch, source.name) == (False, "stdin")
    assert list(source.documents) == [ROCK]


def test_stdin_json_array() -> None:
    source = _stdin(b"\n  " + json.dumps([ROCK, JAZZ]).encode())
    assert source.batch is True
    assert list(source.documents) == [ROCK, JAZZ]


def test_stdin_json_lines() -> None:
    source = _stdin((json.dumps(ROCK) + "\n" + json.dumps(JAZZ) + "\n").encode())
    assert source.batch is True
    assert list(source.documents) == [ROCK, JAZZ]


def test_stdin_yaml() -> None:
    source = _stdin(b"genre: Rock\nmood:\n  - energetic\nbpm: 140\n")
    assert source.batch is False
    assert list(source.documents) == [ROCK]


def test_stdin_yaml_list() -> None:
    source = _stdin(b"- genre: Rock\n- genre: Jazz\n")
    assert source.batch is True
    assert list(source.documents) == [{"genre": "Rock"}, {"genre": "Jazz"}]


def test_stdin_with_bom() -> None:
    assert list(_stdin(b"\xef\xbb\xbf" + json.dumps(ROCK).encode()).documents) == [ROCK]


@pytest.mark.parametrize("data", [b"", b"  \n\t\n"])
def test_empty_stdin_is_an_input_error(data: bytes) -> None:
    with pytest.raises(InputError, match="^stdin: empty input$"):
        _stdin(data)


def test_malformed_json_object_on_stdin_is_one_input_error_with_position() -> None:
    """A pretty-printed object with a syntax error is one bad document, not a batch of bad lines."""
    data = b'{\n  "genre": "Rock",\n  "mood": ["calm"\n}\n'
    with pytest.raises(InputError) as caught:
        list(_stdin(data).documents)
    assert "line 4 column 1" in str(caught.value)


# -- bad files -------------------------------------------------------------------------------


def test_malformed_yaml_names_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.yaml", "genre: Rock\nmood: [calm, dreamy\nbpm: 90\n")
    with pytest.raises(InputError) as caught:
        open_source(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: invalid YAML at line ")
    assert " column " in message


def test_malformed_yaml_position(tmp_path: Path) -> None:
    path = _write(tmp_path, "tab.yaml", "genre: Rock\n\tmood: calm\n")
    with pytest.raises(InputError, match=r"invalid YAML at line 2 column 1: "):
        open_source(path)


def test_malformed_yaml_on_stdin() -> None:
    with pytest.raises(InputError, match=r"^stdin: invalid YAML at line \d+ column \d+: "):
        _stdin(b"genre: [Rock\n")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('{"genre": "Rock",}', 1),
        ('{\n  "genre": "Rock"\n  "mood": "calm"\n}', 3),
        ('{"genre": }', 1),
    ],
)
def test_malformed_json_names_line_and_column(tmp_path: Path, text: str, line: int) -> None:
    """adp's wording around the position and reason the json module gives (Python 3.13 moved
    some columns and reworded some reasons: those are the standard library's, not adp's)."""
    with pytest.raises(json.JSONDecodeError) as reason:
        json.loads(text)
    path = _write(tmp_path, "bad.json", text)
    with pytest.raises(InputError) as caught:
        open_source(path)
    assert reason.value.lineno == line
    assert str(caught.value) == f"{path}: invalid JSON at line {line} column {reason.value.colno}: {reason.value.msg}"


def test_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        open_source(str(tmp_path))


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot open"):
        open_source(str(tmp_path / "absent.yaml"))


@pytest.mark.parametrize("name", ["latin1.yaml", "latin1.json", "latin1.txt"])
def test_non_utf8_file_is_an_input_error(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, "genre: café\n".encode("latin-1") if name.endswith(("yaml", "txt")) else b'{"genre": "caf\xe9"}')
    with pytest.raises(InputError, match=r"not UTF-8 text \(byte \d+\)"):
        list(open_source(path).documents)


def test_non_utf8_json_array_is_an_input_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "latin1.json", b'[{"genre": "caf\xe9"}]')
    with pytest.raises(InputError, match="not UTF-8 text"):
        list(open_source(path).documents)


def test_non_utf8_stdin_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"^stdin: not UTF-8 text"):
        _stdin(b"genre: caf\xe9\n")


@pytest.mark.parametrize("name", ["empty.yaml", "empty.yml", "empty.json", "blank.yaml"])
def test_empty_file_is_an_input_error(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, "\n  \n" if name.startswith("blank") else "")
    with pytest.raises(InputError) as caught:
        list(open_source(path).documents)
    assert str(caught.value).startswith(f"{path}: ")


# -- wizard flags ----------------------------------------------------------------------------


def test_flags_fill_an_empty_item() -> None:
    flags = Flags(
        genre="Folk",
        subgenre=["Indie Folk", "Americana"],
        mood=["nostalgic,warm", " gentle "],
        energy=["low"],
        texture=["warm", "intimate"],
        instrument=["Acoustic Guitar:rhythm:fingerpicked, bright", "Fiddle:melody"],
        vocals="lead:female:breathy",
        bpm=92,
    )
    assert flags.any() is True
    assert apply_wizard_flags({}, flags) == {
        "genre": {"primary": "Folk", "secondary": ["Indie Folk", "Americana"]},
        "mood": ["nostalgic", "warm", "gentle"],
        "energy": ["low"],
        "texture": ["warm", "intimate"],
        "instrumentation": [
            {"instrument": "Acoustic Guitar", "role": "rhythm", "descriptors": ["fingerpicked", "bright"]},
            {"instrument": "Fiddle", "role": "melody"},
        ],
        "vocals": {"presence": "lead", "gender": "female", "style": "breathy"},
        "bpm": 92,
    }


def test_flags_override_the_file_and_keep_the_rest() -> None:
    document = {"id": "a", "genre": {"primary": "Rock", "secondary": ["Grunge"]}, "mood": ["angry"], "bpm": 150}
    merged = apply_wizard_flags(document, Flags(mood=["calm"], bpm=80))
    assert merged == {"id": "a", "genre": {"primary": "Rock", "secondary": ["Grunge"]}, "mood": ["calm"], "bpm": 80}
    assert document["mood"] == ["angry"]  # the input document is not modified


def test_subgenre_flag_on_genre_shortcut() -> None:
    assert apply_wizard_flags({"genre": "Rock"}, Flags(subgenre=["Grunge", "Post-Grunge,Alt"]))["genre"] == {
        "primary": "Rock",
        "secondary": ["Grunge", "Post-Grunge", "Alt"],
    }


def test_genre_flag_replaces_primary() -> None:
    merged = apply_wizard_flags({"genre": "Rock"}, Flags(genre="Jazz"))
    assert parse_wizard(merged).genre.primary == "Jazz"  # type: ignore[union-attr]


def test_no_flags_change_nothing() -> None:
    assert Flags().any() is False
    assert apply_wizard_flags(dict(ROCK), Flags()) == ROCK
    assert Flags(bpm=0).any() is True


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("Drums:rhythm", {"instrument": "Drums", "role": "rhythm"}),
        (" Drums : rhythm ", {"instrument": "Drums", "role": "rhythm"}),
        ("Drums:rhythm:", {"instrument": "Drums", "role": "rhythm"}),
        ("Bass:low end:warm,round", {"instrument": "Bass", "role": "low end", "descriptors": ["warm", "round"]}),
        ("Synth:lead:acid: squelchy", {"instrument": "Synth", "role": "lead", "descriptors": ["acid: squelchy"]}),
    ],
)
def test_parse_instrument(spec: str, expected: dict[str, Any]) -> None:
    assert parse_instrument(spec) == expected


@pytest.mark.parametrize("spec", ["Drums", "", ":lead", "Drums:", "Drums: :x", " : "])
def test_bad_instrument_spec_is_a_usage_error(spec: str) -> None:
    with pytest.raises(UsageError) as caught:
        apply_wizard_flags({}, Flags(instrument=[spec]))
    assert str(caught.value) == f"--instrument {spec!r}: expected NAME:ROLE[:DESC,DESC]"
    assert caught.value.exit_status == ExitStatus.USAGE


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("lead", {"presence": "lead"}),
        ("lead:female", {"presence": "lead", "gender": "female"}),
        ("lead:female:breathy", {"presence": "lead", "gender": "female", "style": "breathy"}),
        ("backing::airy", {"presence": "backing", "style": "airy"}),
        ("none", {"presence": "none"}),
    ],
)
def test_parse_vocals(spec: str, expected: dict[str, str]) -> None:
    assert parse_vocals(spec) == expected


@pytest.mark.parametrize("spec", ["", ":female", " :male:raspy"])
def test_bad_vocals_spec_is_a_usage_error(spec: str) -> None:
    with pytest.raises(UsageError, match="--vocals"):
        apply_wizard_flags({}, Flags(vocals=spec))


def test_flagged_item_validates() -> None:
    merged = apply_wizard_flags(
        {"genre": "Rock"}, Flags(instrument=["Guitar:lead:fuzzy"], vocals="lead:male:gritty", mood=["raw"])
    )
    wizard = parse_wizard(merged)
    assert wizard.vocals.style == "gritty"  # type: ignore[union-attr]
    assert wizard.instrumentation[0].descriptors == ["fuzzy"]  # type: ignore[index]


# -- BPM flags -------------------------------------------------------------------------------


def test_phrase_flag_sets_both_phrases() -> None:
    merged = apply_bpm_flags({}, Flags(phrase="A fast techno track", genre="Electronic", subgenre=["Techno"], energy=["high,intense"]))
    assert merged == {
        "input_phrase": "A fast techno track",
        "standardized_phrase": "A fast techno track",
        "genre": "Electronic",
        "subgenres": ["Techno"],
        "energy": ["high", "intense"],
    }
    item = parse_bpm_input(merged)
    assert item.input_phrase == item.standardized_phrase == "A fast techno track"


def test_standardized_flag_overrides() -> None:
    merged = apply_bpm_flags({}, Flags(phrase="fast techno", standardized="High-energy electronic music"))
    assert (merged["input_phrase"], merged["standardized_phrase"]) == ("fast techno", "High-energy electronic music")


def test_bpm_flags_override_a_snake_case_file() -> None:
    document = yaml.safe_load((SAMPLES / "bpm.yaml").read_text(encoding="utf-8"))
    item = parse_bpm_input(apply_bpm_flags(document, Flags(standardized="Driving techno", mood=["dark"])))
    assert item.input_phrase == "A fast-paced techno track with pounding kicks"
    assert item.standardized_phrase == "Driving techno"
    assert item.mood == ["dark"]
    assert item.subgenres == ["Techno"]


def test_phrase_flag_keeps_the_files_standardized_phrase() -> None:
    item = parse_bpm_input(apply_bpm_flags({"input_phrase": "a", "standardized_phrase": "b"}, Flags(phrase="x")))
    assert (item.input_phrase, item.standardized_phrase) == ("x", "b")


def test_bpm_flags_override_a_camel_case_file() -> None:
    """A TypeScript-style file is as good as a snake_case one, flags included."""
    document = {"inputPhrase": "a", "standardizedPhrase": "b", "genre": "Rock"}
    item = parse_bpm_input(apply_bpm_flags(document, Flags(phrase="x")))
    assert (item.input_phrase, item.standardized_phrase, item.genre) == ("x", "b", "Rock")
    item = parse_bpm_input(apply_bpm_flags(document, Flags(standardized="s")))
    assert (item.input_phrase, item.standardized_phrase) == ("a", "s")


def test_bpm_flags_on_wizard_data_are_wizard_flags() -> None:
    merged = apply_bpm_flags({"genre": "Rock"}, Flags(subgenre=["Grunge"], mood=["angry"], bpm=150))
    assert merged == {"genre": {"primary": "Rock", "secondary": ["Grunge"]}, "mood": ["angry"], "bpm": 150}
    item = parse_bpm_input(merged)
    assert (item.genre, item.subgenres, item.mood, item.bpm) == ("Rock", ["Grunge"], ["angry"], 150)
    assert item.input_phrase == "Genre: Rock. (Grunge). Mood: angry. Tempo: 150 BPM"


def test_phrase_flag_on_a_wizard_file() -> None:
    """`adp bpm samples/rock.yaml --phrase ...`: the phrase is the user's, the rest comes from the wizard data."""
    document = yaml.safe_load((SAMPLES / "rock.yaml").read_text(encoding="utf-8"))
    item = parse_bpm_input(apply_bpm_flags(document, Flags(phrase="A fast, loud anthem")))
    assert item.input_phrase == item.standardized_phrase == "A fast, loud anthem"
    assert (item.genre, item.subgenres) == ("Rock", ["Alternative Rock"])
    assert item.mood == ["energetic", "uplifting"]


def test_genre_flags_on_a_malformed_file_genre() -> None:
    """--genre wins over whatever the file had; --subgenre alone on a malformed genre is an InputError.

    Either way a malformed file value is never an internal error (ValueError/TypeError).
    """
    for bad_genre in (["Rock", "Pop"], 5, True):
        merged = apply_wizard_flags({"genre": bad_genre}, Flags(genre="Jazz"))
        assert parse_wizard(merged).genre.primary == "Jazz"  # type: ignore[union-attr]
    for bad_genre in (["Rock", "Pop"], 5):
        with pytest.raises(InputError, match="genre"):
            parse_wizard(apply_wizard_flags({"genre": bad_genre}, Flags(subgenre=["Grunge"])))
