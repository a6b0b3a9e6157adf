"""Captions a dataset can trust, through the real CLI: each caption checked against its item's
tags (--check), asked again when it fails (--regenerate), several distinct ones per item
(--variants), the items read from CSV with their file names kept (--keep), and a run measured
(adp eval)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.cli import one_line, run, tsv
from tests.support.groqstub import GroqStub
from tests.support.items import json_lines, write_jsonl

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
MODEL = "openai/gpt-oss-20b"
ROCK = {"id": "r1", "genre": "Rock", "mood": ["energetic"], "instrumentation": [{"instrument": "Electric Guitar", "role": "lead"}], "bpm": 140}
GOOD = "An energetic rock track at 140 BPM driven by a lead electric guitar."
INVENTED = "An energetic rock track with a wailing saxophone and a lead electric guitar."
WRONG_TEMPO = "An energetic rock track at 90 BPM with a lead electric guitar."
VAGUE = "A track."


def scripted(groq: GroqStub, *phrases: str) -> list[dict]:
    """The stub answers each request with the next phrase; the bodies it got are returned."""
    bodies: list[dict] = []
    queue = list(phrases)

    def content(body: dict) -> str:
        bodies.append(body)
        return queue.pop(0) if len(queue) > 1 else queue[0]

    groq.content = content
    return bodies


def checked(cli: CliRunner, *args: str) -> dict:
    result = run(
        cli, "casual", "--genre", "Rock", "--mood", "energetic", "--instrument", "Electric Guitar:lead", "--bpm", "140", "-m", MODEL, "--json", "-q", *args
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_check_reports_recall_missing_invented_and_tempo(cli: CliRunner, groq: GroqStub) -> None:
    scripted(groq, INVENTED)

    shown = checked(cli, "--check")

    assert shown["check"] == {"recall": 1.0, "missing": [], "invented": ["saxophone"], "tempo_mismatch": False, "words": 13, "passed": False}
    assert "attempts" not in shown and "variants" not in shown


def test_a_wrong_tempo_and_a_vague_phrase_fail_the_check(cli: CliRunner, groq: GroqStub) -> None:
    scripted(groq, WRONG_TEMPO)
    wrong = checked(cli, "--check")["check"]
    scripted(groq, VAGUE)
    vague = checked(cli, "--check", "--min-recall", "0.2")["check"]

    assert (wrong["tempo_mismatch"], wrong["passed"]) == (True, False)
    assert vague == {"recall": 0.0, "missing": ["Rock", "energetic", "Electric Guitar"], "invented": [], "tempo_mismatch": False, "words": 2, "passed": False}


def test_regenerate_asks_again_until_a_caption_passes_and_bills_every_request(cli: CliRunner, groq: GroqStub, tmp_path: Path) -> None:
    bodies = scripted(groq, INVENTED, GOOD)

    shown = checked(cli, "--check", "--regenerate", "3")

    assert shown["phrase"] == GOOD and shown["check"]["passed"] is True and shown["attempts"] == 2
    assert len(bodies) == 2 and "seed" not in bodies[0] and bodies[1]["seed"] == 2  # a new seed for the new attempt
    ledger = json.loads((tmp_path / "ledger.json").read_text(encoding="utf-8"))["days"]
    [day] = ledger.values()
    assert day[MODEL]["requests"] == 2
    assert shown["cost_usd"] == pytest.approx(day[MODEL]["cost_usd"])
    assert shown["prompt_tokens"] == sum(entry for entry in [day[MODEL]["prompt_tokens"]])


def test_when_no_attempt_passes_the_best_one_is_kept(cli: CliRunner, groq: GroqStub) -> None:
    scripted(groq, VAGUE, INVENTED, WRONG_TEMPO)

    shown = checked(cli, "--check", "--regenerate", "2")

    assert shown["attempts"] == 3
    assert shown["phrase"] == INVENTED  # all fail; the invented one mentions every tag (recall 1.0)
    assert shown["check"]["recall"] == 1.0 and shown["check"]["passed"] is False


def test_variants_are_distinct_requests_each_with_its_own_seed(cli: CliRunner, groq: GroqStub) -> None:
    bodies = scripted(
        groq,
        GOOD,
        GOOD.upper(),
        "A driving energetic rock song, lead electric guitar up front, 140 BPM.",
        "An energetic rock cut at 140 BPM, all lead electric guitar.",
    )

    shown = checked(cli, "-n", "3", "--check", "--regenerate", "1")

    assert [variant["phrase"] for variant in shown["variants"]] == [
        GOOD,
        "A driving energetic rock song, lead electric guitar up front, 140 BPM.",
        "An energetic rock cut at 140 BPM, all lead electric guitar.",
    ]  # the upper-cased repeat was asked again
    assert shown["phrase"] == GOOD and all(variant["check"]["passed"] for variant in shown["variants"])
    assert [body["seed"] for body in bodies] == [1, 101, 102, 201]
    assert shown["attempts"] == 4


def test_plain_text_prints_each_variant_on_its_own_line(cli: CliRunner, groq: GroqStub) -> None:
    scripted(groq, GOOD, INVENTED)

    result = run(cli, "casual", "--genre", "Rock", "-m", MODEL, "-n", "2", "-q")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{GOOD}\n{INVENTED}\n"


def test_variants_that_stay_the_same_are_marked_repeated(cli: CliRunner, env: dict[str, str]) -> None:
    result = run(cli, "structure", str(SAMPLES / "jazz.json"), "--provider", "offline", "-n", "2", "--json", "-q")

    shown = json.loads(result.stdout)
    assert result.exit_code == 0
    assert [variant.get("repeated", False) for variant in shown["variants"]] == [False, True]  # templates do not vary


@pytest.mark.parametrize("sample", sorted(path.name for path in SAMPLES.iterdir() if path.suffix in (".yaml", ".json") and path.name != "bpm.yaml"))
def test_every_offline_caption_of_every_sample_passes(cli: CliRunner, env: dict[str, str], sample: str) -> None:
    for command in ("casual", "structure"):
        result = run(cli, command, str(SAMPLES / sample), "--provider", "offline", "--check", "--json", "-q")
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["check"]["passed"] is True, (command, result.stdout)


def test_a_batch_summary_says_how_many_items_were_asked_again(cli: CliRunner, groq: GroqStub, tmp_path: Path) -> None:
    def content(body: dict) -> str:
        genre = "funk" if "Funk" in body["messages"][-1]["content"] else "soul"
        invented = genre == "funk" and "seed" not in body  # the funk item's first caption invents a saxophone
        return f"An energetic {genre} track" + (" with a saxophone." if invented else ".")

    groq.content = content
    items = [{"genre": "Funk", "mood": "energetic"}, {"genre": "Soul", "mood": "energetic"}]
    result = run(cli, "casual", str(write_jsonl(tmp_path / "items.jsonl", items)), "-m", MODEL, "--check", "--regenerate", "1")

    lines = json_lines(result.stdout)
    assert [line["attempts"] for line in lines] == [2, 1]
    assert "1 item(s) asked again (--regenerate)" in " ".join(result.stderr.split())


CSV = (
    "file_name,genre,sub_genre,mood,instrumentation,vocals,bpm\n"
    "clips/a.wav,Rock,Alternative Rock,energetic;uplifting,Electric Guitar:lead:distorted,lead:male,140\n"
    "clips/b.wav,Jazz,,relaxed,,none,ninety\n"
)


def test_csv_items_keep_their_file_names_as_audiofolder_metadata(cli: CliRunner, env: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "catalogue.csv"
    source.write_text(CSV, encoding="utf-8")

    result = run(cli, "structure", str(source), "--keep", "file_name", "--provider", "offline", "-q")

    first, second = json_lines(result.stdout)
    assert result.exit_code == 1  # one row is bad
    assert list(first)[:3] == ["index", "file_name", "phrase"] and first["file_name"] == "clips/a.wav"
    assert first["phrase"].startswith("Alternative Rock")
    assert second["file_name"] == "clips/b.wav" and second["error"]["type"] == "input_error"
    assert "row 3, column bpm" in second["error"]["message"]


def test_csv_on_stdin_needs_format_csv(cli: CliRunner, env: dict[str, str]) -> None:
    header, first = CSV.splitlines(keepends=True)[:2]
    result = run(cli, "casual", "-", "--format", "csv", "--keep", "file_name", "--provider", "offline", "-q", input=header + first)

    [line] = json_lines(result.stdout)
    assert result.exit_code == 0 and line["file_name"] == "clips/a.wav"


def test_keep_copies_a_json_field_and_refuses_a_result_field(cli: CliRunner, env: dict[str, str], tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", [{"genre": "Rock", "path": "/music/a.flac"}, {"genre": "Jazz"}])

    kept = run(cli, "casual", str(source), "--keep", "path", "--provider", "offline", "-q")
    refused = run(cli, "casual", str(source), "--keep", "phrase", "--provider", "offline", "-q")
    unknown = run(cli, "casual", str(source), "--provider", "offline", "-q")

    assert [line.get("path") for line in json_lines(kept.stdout)] == ["/music/a.flac", None]
    assert refused.exit_code == 2 and "--keep 'phrase'" in one_line(refused.stderr)
    assert "unknown key 'path'" in json_lines(unknown.stdout)[0]["error"]["message"]


def test_caption_options_are_for_captions(cli: CliRunner, env: dict[str, str], tmp_path: Path) -> None:
    bpm = run(cli, "bpm", "--phrase", "fast", "--check", "--provider", "offline")
    batch_api = run(cli, "casual", str(write_jsonl(tmp_path / "items.jsonl", [{"genre": "Rock"}])), "--batch-api", "-o", str(tmp_path / "out.jsonl"), "--check")
    lonely = run(cli, "casual", "--genre", "Rock", "--regenerate", "2", "--provider", "offline")

    assert bpm.exit_code == 2 and "--check" in bpm.stderr
    assert batch_api.exit_code == 2 and "adp eval" in one_line(batch_api.stderr)
    assert lonely.exit_code == 2 and "--regenerate" in one_line(lonely.stderr)


def _results(tmp_path: Path, lines: list[dict]) -> Path:
    return write_jsonl(tmp_path / "results.jsonl", lines)


def test_eval_measures_a_run_against_its_input(cli: CliRunner, env: dict[str, str], tmp_path: Path) -> None:
    items = write_jsonl(tmp_path / "items.jsonl", [ROCK, {"id": "j1", "genre": "Jazz", "mood": ["relaxed"]}, {"id": "x", "genre": "Pop"}])
    results = _results(
        tmp_path,
        [
            {"index": 0, "id": "r1", "phrase": GOOD},
            {"index": 1, "id": "j1", "phrase": "A relaxed jazz tune with a saxophone."},
            {"index": 2, "id": "x", "error": {"type": "api_error", "message": "500"}},
        ],
    )

    shown = json.loads(run(cli, "eval", str(results), "--input", str(items), "--json").stdout)
    piped = {row["metric"]: row["value"] for row in tsv(run(cli, "eval", str(results), "--input", str(items)).stdout)}

    assert (shown["results"], shown["errors"], shown["items"], shown["phrases"]) == (3, 1, 2, 2)
    assert (shown["mean_recall"], shown["invented_share"], shown["passed_share"]) == (1.0, 0.5, 0.5)
    assert (shown["mean_words"], shown["median_words"], shown["duplicates"]) == (10.0, 10.0, 0)  # 13 and 7 words
    assert shown["length_histogram"] == {"0-9": 1, "10-19": 1, "20-29": 0, "30-39": 0, "40-49": 0, "50+": 0}
    assert piped["invented_share"] == "0.5" and piped["items"] == "2"


def test_eval_checks_variants_one_by_one(cli: CliRunner, env: dict[str, str], tmp_path: Path) -> None:
    items = write_jsonl(tmp_path / "items.jsonl", [ROCK])
    results = _results(tmp_path, [{"index": 0, "id": "r1", "phrase": GOOD, "variants": [{"phrase": GOOD}, {"phrase": GOOD.lower()}, {"phrase": INVENTED}]}])

    shown = json.loads(run(cli, "eval", str(results), "--input", str(items), "--json").stdout)

    assert (shown["phrases"], shown["duplicates"], shown["invented_share"]) == (3, 1, pytest.approx(1 / 3, abs=1e-4))


def test_eval_reads_a_csv_input_with_its_kept_columns(cli: CliRunner, env: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "catalogue.csv"
    source.write_text(CSV.splitlines(keepends=True)[0] + CSV.splitlines(keepends=True)[1], encoding="utf-8")
    produced = run(cli, "structure", str(source), "--keep", "file_name", "--provider", "offline", "--check", "-q")
    (tmp_path / "results.jsonl").write_text(produced.stdout, encoding="utf-8")

    shown = json.loads(run(cli, "eval", str(tmp_path / "results.jsonl"), "--input", str(source), "--keep", "file_name", "--json").stdout)

    assert (shown["items"], shown["passed_share"], shown["unmatched"]) == (1, 1.0, 0)
